/**
 * The options of commands that sample a live target at an interval: when
 * and where to take snapshots, and how attach and run print what they found.
 */
import type { Command } from 'commander';
import { positiveInt, positiveSeconds, score } from './options.js';

/** Sampling and output options, shared by attach and run. */
export function addSamplingOptions(command: Command, defaults: { interval: number; count: number }): Command {
  return addOutputOptions(addScheduleOptions(command, defaults));
}

/**
 * When and where to take snapshots (attach, run, and check on a live
 * target); `scope` prefixes the help of a command where they apply to some
 * inputs only.
 */
export function addScheduleOptions(command: Command, defaults: { interval: number; count: number }, scope = ''): Command {
  return command
    .option('--interval <duration>', `${scope}time between snapshots`, positiveSeconds, defaults.interval)
    .option('--count <n>', `${scope}snapshots to take (default ${defaults.count}, unless --duration)`, positiveInt)
    .option('--duration <duration>', `${scope}sample for this long instead of a fixed count`, positiveSeconds)
    .option(
      '-o, --out <dir>',
      `${scope}where to save the snapshots (default: a new directory named after the pid and time, under $XDG_STATE_HOME/leakscan or ~/.local/state/leakscan)`,
    );
}

/** How attach and run print what they found. */
export function addOutputOptions(command: Command): Command {
  return command
    .option('-n, --top <n>', 'how many suspects to list', positiveInt, 10)
    .option('--min-score <score>', 'list only suspects scoring at least this', score)
    .option('--frames <n>', 'user frames to print under each suspect', (v) => (v === '0' ? 0 : positiveInt(v)), 3)
    .option('--json', 'print the result as JSON (schema leakscan.diff) instead of text', false)
    .option('--html <file>', 'where to write the HTML report (default: report.html beside the snapshots)')
    .option('--no-html', 'do not write the HTML report');
}
