/**
 * What the process does when something fails outside a command's own
 * error handling: stdout or stderr cannot be written, or an error escapes
 * every handler. None of these may end in exit 1, which `check` reserves
 * for "leaks found".
 */
import { ExitCode } from '../util/errors.js';
import { describeFsError } from '../util/atomic-write.js';
import { reportError } from './action.js';

/**
 * `leakscan check ... | head -1`: a reader that leaves early (EPIPE) is not
 * an error, and must not change the verdict. The rest of the output is
 * discarded, the work finishes (a Node target is still detached), and the
 * exit code is the one the work has: 1 still means leaks found. Any other
 * write error (a full disk behind `> file`) is an output error: one line on
 * stderr, exit 2.
 */
export function guardOutputStreams(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') {
        stream.write = (() => true) as typeof stream.write;
        return;
      }
      const name = stream === process.stdout ? 'standard output' : 'standard error';
      if (stream !== process.stderr) process.stderr.write(`leakscan: cannot write to ${name}: ${describeFsError(error)}\n`);
      process.exit(ExitCode.output);
    });
  }
}

/**
 * An error that escapes every handler (a stream error with no listener, a
 * rejected promise nobody awaited) is a bug in leakscan: one line and exit
 * 70, never Node's default of a stack trace and exit 1. A LeakscanError that
 * got there keeps its own code.
 */
export function guardUnexpectedErrors(): void {
  const fail = (error: unknown) => process.exit(reportError(error));
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
}
