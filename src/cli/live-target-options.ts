/**
 * How to read a live target: the options attach and check share by
 * construction (check --pid/--url samples as attach does, so it takes the
 * same options from the same definition, not copies of their defaults).
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { pauseBudget, positiveSeconds } from './options.js';
import { DEFAULT_EVIDENCE_PAUSE_MS, DEFAULT_PAUSE_BUDGET_MS, formatPause } from '../targets/go/pause-budget.js';
import { addNodeAgentOptions } from './node-agent-options.js';
import type { NodeAgentFlags } from './node-agent-options.js';

export interface LiveTargetFlags extends NodeAgentFlags {
  timeout: number;
  leakProfile: boolean;
  labels: boolean;
  /** Go: the worst pause per snapshot, in milliseconds (Infinity: none). */
  pauseBudget?: number;
  /** Go: the worst pause of the full dumps at the first and last snapshot, in milliseconds (0: none). */
  evidencePause?: number;
  promiseCensus: boolean;
  /** Node: use or open an inspector that listens beyond loopback. */
  allowRemoteInspector?: boolean;
  /** Node: the port the inspector listens on or will open on, when the command line cannot tell. */
  inspectorPort?: number;
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
    );
  addEvidencePauseOption(command).option(
    '--no-promise-census',
    'Node: do not walk the heap for promises and listeners made before attach (each walk runs a GC in the target per snapshot; timers, sockets and servers are still found)',
  );
  addInspectorOptions(command);
  return addNodeAgentOptions(command);
}

/**
 * --evidence-pause, defined here only (attach, check and run take it from
 * this function): full dumps at the first and last snapshot when those of
 * every snapshot do not fit the pause budget.
 */
export function addEvidencePauseOption(command: Command): Command {
  return command.option(
    '--evidence-pause <duration>',
    `Go: when full dumps do not fit the pause budget, the first and last snapshot still take one if it pauses the target at most this long ` +
      `(default ${formatPause(DEFAULT_EVIDENCE_PAUSE_MS).replace(' ', '')}; 0 for never): goroutine ids and wait minutes show a leak that stopped growing`,
    pauseBudget,
  );
}

/** How to reach a Node target's inspector when its command line cannot say, and whether one beyond loopback may be used. */
export function addInspectorOptions(command: Command): Command {
  return command
    .option(
      '--inspector-port <port>',
      "Node: the port the target's inspector listens on or opens on (needed when its command line was rewritten, e.g. by process.title)",
      port,
    )
    .option(
      '--allow-remote-inspector',
      'Node: accept an inspector that listens beyond loopback (--inspect=0.0.0.0): anyone who reaches it can run code in the target',
    );
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new InvalidArgumentError('expected a TCP port from 1 to 65535');
  return n;
}
