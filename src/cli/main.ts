/**
 * The leakscan command line: wires commands to sources, analysis and
 * output. No parsing or scoring here.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { packagePath } from '../util/package-root.js';
import { reportError } from './action.js';
import { applyColorChoice } from './color.js';
import { guardOutputStreams, guardUnexpectedErrors } from './process-guards.js';
import { registerSnapshot } from './commands/snapshot.js';
import { registerShow } from './commands/show.js';
import { registerDiff } from './commands/diff.js';
import { registerDemo } from './commands/demo.js';
import { registerAttach } from './commands/attach.js';
import { registerRun } from './commands/run.js';
import { registerReport } from './commands/report.js';
import { registerCheck } from './commands/check.js';
import { registerBaseline } from './commands/baseline.js';
import { registerDoctor } from './commands/doctor.js';
import { registerExport } from './commands/export.js';
import { registerScan } from './commands/scan.js';
import { registerWatch } from './commands/watch.js';
import { ExitCode } from '../util/errors.js';
import { formatDuration } from '../util/duration.js';

const version = (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;

export async function main(argv: readonly string[]): Promise<number> {
  guardOutputStreams();
  guardUnexpectedErrors();
  applyColorChoice(argv);
  let exitCode: number = ExitCode.ok;
  const run = async (action: () => Promise<number | void>) => {
    try {
      exitCode = (await action()) ?? ExitCode.ok;
    } catch (error) {
      exitCode = reportError(error);
    }
  };
  const program = new Command('leakscan')
    .description('Find goroutine leaks in Go services and async-resource leaks in Node.js services.')
    .version(version, '-v, --version', 'print the version')
    .option('--color', 'colour the output even when it is not a terminal')
    .option('--no-color', 'no colour (also: NO_COLOR set and not empty)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeErr: (text) => process.stderr.write(text),
      outputError: (text, write) => write(text.startsWith('error:') ? `leakscan: ${text.slice('error: '.length)}` : text),
    })
    .addHelpText(
      'after',
      `
Durations are written as Go writes them (5s, 1m30s, 500ms) or in plain
seconds (5). A pprof address may be host:port, :port (this machine) or a URL.

Exit codes: 0 success, 1 leaks found (check), 2 usage, input or output
error (a bad --out, a full disk), 3 the target could not be reached or
read, 70 a bug in leakscan, 130/143 check interrupted by Ctrl-C or SIGTERM
(no verdict).`,
    );
  registerAttach(program, run);
  registerRun(program, run);
  registerSnapshot(program, run);
  registerShow(program, run);
  registerDiff(program, run);
  registerReport(program, run);
  registerCheck(program, run, version, argv);
  registerBaseline(program, run);
  registerExport(program, run, version);
  registerScan(program, run);
  registerWatch(program, run);
  registerDemo(program, run);
  registerDoctor(program, run, version);
  for (const command of program.commands) {
    command.exitOverride();
    showDurationDefaults(command);
  }

  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version "fail" with exit code 0.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    return reportError(error);
  }
  return exitCode;
}

/**
 * Help shows a duration's default as a duration ("5s", "6h"), as it is
 * typed, rather than the seconds the option holds.
 */
function showDurationDefaults(command: Command): void {
  for (const option of command.options) {
    if (option.flags.includes('<duration>') && typeof option.defaultValue === 'number' && option.defaultValueDescription === undefined) {
      option.defaultValueDescription = formatDuration(option.defaultValue);
    }
  }
}
