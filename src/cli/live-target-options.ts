/**
 * How to read a live target: the options attach and check share by
 * construction (check --pid/--url samples as attach does, so it takes the
 * same options from the same definition, not copies of their defaults).
 */
import type { Command } from 'commander';
import { positiveSeconds } from './options.js';
import { addNodeAgentOptions } from './node-agent-options.js';
import type { NodeAgentFlags } from './node-agent-options.js';

export interface LiveTargetFlags extends NodeAgentFlags {
  timeout: number;
  leakProfile: boolean;
  labels: boolean;
  promiseCensus: boolean;
}

export const SNAPSHOT_TIMEOUT_SECONDS = 30;

export function addLiveTargetOptions(command: Command): Command {
  command
    .option('--timeout <seconds>', 'give up on a snapshot request after this long', positiveSeconds, SNAPSHOT_TIMEOUT_SECONDS)
    .option('--no-leak-profile', 'do not ask for /debug/pprof/goroutineleak (one extra GC cycle per snapshot)')
    .option('--no-labels', 'do not fetch ?debug=0 to learn pprof labels when dumps have none')
    .option('--no-promise-census', 'Node: do not count promises created before attach (it runs a GC in the target per snapshot)');
  return addNodeAgentOptions(command);
}
