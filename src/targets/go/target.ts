/**
 * A Go process being sampled by pid: each snapshot checks that the pid is
 * still alive (a port can be taken over by another process), retries a
 * failed fetch once, and skips a snapshot rather than ending the attach
 * when the target is alive but slow.
 */
import type { Snapshot } from '../../model/format.js';
import { LeakscanError, TargetError } from '../../util/errors.js';
import { processExists, processStartedAt } from '../proc.js';
import { NotPprofError } from './pprof-client.js';
import { BudgetedGoReader } from './budgeted-reader.js';
import type { BudgetedReadOptions } from './budgeted-reader.js';
import { DEFAULT_EVIDENCE_PAUSE_MS, DEFAULT_PAUSE_BUDGET_MS } from './pause-budget.js';
import type { SnapshotTurn, Target } from '../target.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { plural } from '../../report/format.js';

/** The target went away: the attach ends, and says when. */
export class TargetExitedError extends TargetError {
  constructor(pid: number, taken: number) {
    super(`the target (pid ${pid}) exited after ${plural(taken, 'snapshot')}`);
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
  /**
   * Give up at once when the first snapshot's answer is not pprof's (a
   * wrong --url): waiting out every retry would only repeat it. Off for
   * watch, which may start before the service does.
   */
  firstAnswerDecides?: boolean;
  onSkip?: (message: string) => void;
}

/** A Go process read through its pprof endpoint. It holds nothing open in the target between snapshots. */
export class GoTarget implements Target {
  readonly runtime = 'go';
  private taken = 0;
  private failuresInARow = 0;
  // One reader for the whole attach: it keeps what earlier snapshots taught
  // (the pause a full dump costs, creators, whether goroutineleak exists).
  private readonly reader: BudgetedGoReader;

  constructor(
    readonly url: string,
    private readonly options: GoTargetOptions,
  ) {
    this.reader = new BudgetedGoReader(url, {
      ...options,
      pauseBudgetMs: options.pauseBudgetMs ?? DEFAULT_PAUSE_BUDGET_MS,
      evidencePauseMs: options.evidencePauseMs ?? DEFAULT_EVIDENCE_PAUSE_MS,
    });
  }

  get pid(): number | undefined {
    return this.options.pid;
  }

  /**
   * Retried once; skipped (null) after, unless that makes
   * `maxConsecutiveFailures` in a row. Given its turn, it takes full dumps
   * at the first and last snapshot when they fit the evidence pause.
   */
  async snapshot(turn?: SnapshotTurn): Promise<Snapshot | null> {
    const { options } = this;
    if (!(await this.alive())) throw new TargetExitedError(options.pid!, this.taken);
    let lastError: LeakscanError | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const snapshot = await this.reader.read(turn);
        if (options.pid !== undefined) snapshot.source.pid = options.pid;
        if (options.runtimeVersion !== undefined) snapshot.source.runtimeVersion = options.runtimeVersion;
        // The process's age bounds how long ago its goroutines can have been made (id-dating.ts).
        const startedAt = await this.startedAt();
        if (startedAt !== undefined) snapshot.source.startedAt = startedAt;
        this.taken++;
        this.failuresInARow = 0;
        return snapshot;
      } catch (error) {
        if (!(error instanceof LeakscanError)) throw error;
        lastError = error;
        if (!(await this.alive())) throw new TargetExitedError(options.pid!, this.taken);
        if (this.taken === 0 && options.firstAnswerDecides === true && error instanceof NotPprofError) {
          throw new TargetError(`${error.message}; not a readable pprof endpoint, nothing was taken`);
        }
        if (attempt === 0) await sleep(options.retryDelayMs);
      }
    }
    this.failuresInARow++;
    if (this.failuresInARow >= options.maxConsecutiveFailures) {
      throw new TargetError(`${lastError!.message} (${plural(this.failuresInARow, 'snapshot')} in a row failed; giving up)`);
    }
    options.onSkip?.(`snapshot skipped: ${lastError!.message}`);
    return null;
  }

  /** Nothing to undo: pprof is read with plain HTTP requests, none left open between snapshots. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  private startTime: Promise<number | undefined> | undefined;

  /** When the process started (read once; by pid only). */
  private startedAt(): Promise<number | undefined> {
    if (this.options.pid === undefined) return Promise.resolve(undefined);
    return (this.startTime ??= processStartedAt(this.options.pid));
  }

  private async alive(): Promise<boolean> {
    return this.options.pid === undefined || (await processExists(this.options.pid));
  }
}
