/**
 * The options of commands that sample a live target at an interval: when
 * and where to take snapshots, and how attach and run print what they found.
 */
import type { Command } from 'commander';
import { positiveInt, positiveSeconds, score } from './options.js';
import { addLiveTargetOptions } from './live-target-options.js';
import type { LiveTargetFlags } from './live-target-options.js';
import { agentSettingsFromFlags, NODE_AGENT_FLAG_DEFAULTS } from './node-agent-options.js';
import type { NodeAgentFlags } from './node-agent-options.js';
import { DEFAULT_READ_SETTINGS } from '../targets/open.js';
import type { ReadSettings } from '../targets/open.js';

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

/**
 * Everything that says when and how a live target is sampled, for every
 * command that samples one by pid or URL (attach, check): one definition,
 * so check --pid takes each option attach takes. `scope` prefixes the help
 * of the schedule options where they apply to some inputs only.
 */
export function addLiveSamplingOptions(command: Command, defaults: { interval: number; count: number }, scope = ''): Command {
  return addLiveTargetOptions(addScheduleOptions(command, defaults, scope));
}

/** The flags readSettings reads: run has no inspector options and no --no-promise-census (its Node programs start with the agent). */
export type ReadFlags = Pick<LiveTargetFlags, 'timeout' | 'leakProfile' | 'labels' | 'pauseBudget' | 'evidencePause'> &
  Partial<Pick<LiveTargetFlags, 'promiseCensus' | 'allowRemoteInspector' | 'inspectorPort'>> &
  Partial<NodeAgentFlags>;

/** How to read the target, from the flags of attach, run or check. */
export function readSettings(flags: ReadFlags): ReadSettings {
  return {
    timeoutMs: flags.timeout * 1000,
    go: {
      leakProfile: flags.leakProfile,
      labels: flags.labels,
      ...(flags.pauseBudget !== undefined ? { pauseBudgetMs: flags.pauseBudget } : {}),
      ...(flags.evidencePause !== undefined ? { evidencePauseMs: flags.evidencePause } : {}),
    },
    node: {
      promiseCensus: flags.promiseCensus ?? DEFAULT_READ_SETTINGS.node.promiseCensus,
      agent: agentSettingsFromFlags({ ...NODE_AGENT_FLAG_DEFAULTS, ...flags }),
      allowRemoteInspector: flags.allowRemoteInspector === true,
      ...(flags.inspectorPort !== undefined ? { inspectorPort: flags.inspectorPort } : {}),
    },
  };
}
