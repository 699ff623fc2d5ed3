/**
 * A Go process being sampled by pid: each snapshot checks that the pid is
 * still alive (a port can be taken over by another process), retries a
 * failed fetch once, and skips a snapshot rather than ending the attach
 * when the target is alive but slow.
 */
import type { Snapshot } from '../../model/format.js';
import { LeakscanError, TargetError } from '../../util/errors.js';
import { processExists } from '../proc.js';
import { BudgetedGoReader } from './budgeted-reader.js';
import type { BudgetedReadOptions } from './budgeted-reader.js';
import { DEFAULT_EVIDENCE_PAUSE_MS, DEFAULT_PAUSE_BUDGET_MS } from './pause-budget.js';
import type { SeriesPosition } from '../../session/sampler.js';

/** The target went away: the attach ends, and says when. */
export class TargetExitedError extends TargetError {
  constructor(pid: number, taken: number) {
    super(`the target (pid ${pid}) exited after ${taken} snapshot${taken === 1 ? '' : 's'}`);
    this.name = 'TargetExitedError';
  }
}

export interface GoTargetOptions extends Omit<BudgetedReadOptions, 'pauseBudgetMs' | 'evidencePauseMs'> {
  /** The worst pause a snapshot may cause, in milliseconds (pause-budget.ts); Infinity for none. */
  pauseBudgetMs?: number;
  /** The worst pause of the full dumps at the first and last snapshot (pause-budget.ts); 0 for none. */
  evidencePauseMs?: number;
  pid?: number;
  /** The target's Go version, from its build info, recorded in each snapshot. */
  runtimeVersion?: string;
  /** Failed snapshots in a row before the attach gives up. */
  maxConsecutiveFailures: number;
  retryDelayMs: number;
  onSkip?: (message: string) => void;
}

/** A taker for a series (sampler.ts): given its position, it takes full dumps at the first and last snapshot when they fit the evidence pause. */
export function goSnapshotTaker(url: string, options: GoTargetOptions): (position?: SeriesPosition) => Promise<Snapshot | null> {
  let taken = 0;
  let failuresInARow = 0;
  // One reader for the whole attach: it keeps what earlier snapshots taught
  // (the pause a full dump costs, creators, whether goroutineleak exists).
  const reader = new BudgetedGoReader(url, {
    ...options,
    pauseBudgetMs: options.pauseBudgetMs ?? DEFAULT_PAUSE_BUDGET_MS,
    evidencePauseMs: options.evidencePauseMs ?? DEFAULT_EVIDENCE_PAUSE_MS,
  });
  const alive = async () => options.pid === undefined || (await processExists(options.pid));
  return async (position) => {
    if (!(await alive())) throw new TargetExitedError(options.pid!, taken);
    let lastError: LeakscanError | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const snapshot = await reader.read(position);
        if (options.pid !== undefined) snapshot.source.pid = options.pid;
        if (options.runtimeVersion !== undefined) snapshot.source.runtimeVersion = options.runtimeVersion;
        taken++;
        failuresInARow = 0;
        return snapshot;
      } catch (error) {
        if (!(error instanceof LeakscanError)) throw error;
        lastError = error;
        if (!(await alive())) throw new TargetExitedError(options.pid!, taken);
        if (attempt === 0) await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs));
      }
    }
    failuresInARow++;
    if (failuresInARow >= options.maxConsecutiveFailures) {
      throw new TargetError(`${lastError!.message} (${failuresInARow} snapshots in a row failed; giving up)`);
    }
    options.onSkip?.(`snapshot skipped: ${lastError!.message}`);
    return null;
  };
}
