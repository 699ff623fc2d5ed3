/**
 * Runs a command's action and turns what it throws into one line on stderr
 * and the documented exit code. No stack trace reaches a user unless they ask
 * for it with LEAKSCAN_DEBUG=1.
 */
import { LeakscanError } from '../util/errors.js';
import { safeText } from '../report/format.js';

/** Exit code for a bug in leakscan itself (sysexits EX_SOFTWARE). */
export const INTERNAL_ERROR_EXIT = 70;

export type ActionResult = number | void;

export function reportError(error: unknown): number {
  if (error instanceof LeakscanError) {
    // Messages may quote the input or the target: one line, no terminal escapes.
    process.stderr.write(`leakscan: ${safeText(error.message)}\n`);
    if (process.env.LEAKSCAN_DEBUG) process.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`leakscan: internal error: ${safeText(message)} (set LEAKSCAN_DEBUG=1 for details and please report it)\n`);
  if (process.env.LEAKSCAN_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return INTERNAL_ERROR_EXIT;
}
