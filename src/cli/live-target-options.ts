/**
 * How to read a live target: the options attach and check share by
 * construction (check --pid/--url samples as attach does, so it takes the
 * same options from the same definition, not copies of their defaults).
 */
import type { Command } from 'commander';
import { pauseBudget, positiveSeconds } from './options.js';
import { DEFAULT_PAUSE_BUDGET_MS } from '../targets/go/pause-budget.js';
import { addNodeAgentOptions } from './node-agent-options.js';
import type { NodeAgentFlags } from './node-agent-options.js';

export interface LiveTargetFlags extends NodeAgentFlags {
  timeout: number;
  leakProfile: boolean;
  labels: boolean;
  /** Go: the worst pause per snapshot, in milliseconds (Infinity: none). */
  pauseBudget?: number;
  promiseCensus: boolean;
}

export const SNAPSHOT_TIMEOUT_SECONDS = 30;

export function addLiveTargetOptions(command: Command): Command {
  command
    .option('--timeout <duration>', 'give up on a snapshot request after this long', positiveSeconds, SNAPSHOT_TIMEOUT_SECONDS)
    .option('--no-leak-profile', 'do not ask for /debug/pprof/goroutineleak (one extra GC cycle per snapshot)')
    .option('--no-labels', 'do not give goroutines of a full dump the pprof labels of the count profile when the dump has none')
    .option(
      '--pause-budget <duration>',
      `Go: the worst pause a snapshot may cause the target (default ${DEFAULT_PAUSE_BUDGET_MS}ms; 1s, 500us, none): full dumps (ids, wait reasons) only when they fit, counts per stack always`,
      pauseBudget,
    )
    .option('--no-promise-census', 'Node: do not count promises created before attach (it runs a GC in the target per snapshot)');
  return addNodeAgentOptions(command);
}
