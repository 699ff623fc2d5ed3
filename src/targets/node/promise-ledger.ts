/**
 * Splits a Node target's pending promises, as the census counts them at
 * each heap walk, into what the agent's records hold and what they do not.
 *
 * The census counts every pending promise exactly, but V8 says where a
 * promise was made only for those the agent saw made: all of them while it
 * watches all the time, a sample when it watches short windows over its
 * budget. The rest is one of two counts the target shows as sites of their
 * own (census-sites.ts):
 *
 * - made before attach: these can only settle, never multiply, so the
 *   count is held to never grow. Sampling noise is then never growth.
 * - unplaced: beyond the level pending at the first snapshot, what no
 *   sampled record places. A steady leak the agent's windows have not
 *   caught yet still shows as growth.
 *
 * The unplaced count starts from the first snapshot's level, not from
 * zero. A busy service always has promises in flight (a request awaiting
 * its database read), and at attach all of them were made before it. A
 * moment later, the same number are in flight again, all made since
 * attach. Counted from zero, that turnover read as growth from 0 to the
 * in-flight level, and every dip of the in-flight count lowered the
 * made-before-attach count for good and raised the unplaced one: a healthy
 * service at 400 requests/s showed 0 to 16 unplaced pending promises over
 * six seconds, and scored 30. A long-poll service whose pending requests
 * are replaced by new ones would show its whole pool. Counted from the
 * first level, turnover is no growth; a leak is.
 */
import type { CensusFindings } from './census-reader.js';

export interface RecordedPending {
  /** Pending promises the agent recorded while watching all the time: each record is one promise. */
  exact: number;
  /** The weight of sampled records: each stands for several promises. */
  sampled: number;
}

export interface PromiseShares {
  /** Pending promises made before attach (an upper bound). */
  beforeAttach: number;
  /** Pending promises beyond the first level that no sampled record places; 0 once one does. */
  unplaced: number;
  /** What each unit of the agent's sampled promise weight stands for. */
  scale: number;
}

export class PromiseLedger {
  private beforeAttach: number | undefined;
  /** Pending promises no record held at the first snapshot: what was in flight or piled up then. */
  private firstLevel: number | undefined;
  private scale: number | undefined;
  private unplaced: number | undefined;

  /**
   * The shares at one snapshot. A snapshot without a heap walk (`walked`
   * false) repeats the last walk's counts: the census's count is then an
   * older one, and the agent's records are not.
   */
  next(promises: NonNullable<CensusFindings['promises']>, walked: boolean, recorded: RecordedPending): PromiseShares {
    const unrecorded = Math.max(0, promises.pending - recorded.exact - recorded.sampled);
    let beforeAttach = !walked && this.beforeAttach !== undefined ? this.beforeAttach : unrecorded;
    if (this.beforeAttach !== undefined) beforeAttach = Math.min(beforeAttach, this.beforeAttach);
    this.beforeAttach = beforeAttach;
    this.firstLevel ??= unrecorded;
    // Made since attach, beyond those the agent saw made while watching all the time.
    const sinceAttach = Math.max(0, promises.pending - beforeAttach - recorded.exact);
    if (recorded.sampled > 0 && (walked || this.scale === undefined)) this.scale = sinceAttach / recorded.sampled;
    if (walked || this.unplaced === undefined) {
      this.unplaced = recorded.sampled > 0 ? 0 : Math.max(0, unrecorded - this.firstLevel);
    }
    return { beforeAttach, unplaced: this.unplaced, scale: recorded.sampled > 0 ? (this.scale ?? 1) : 1 };
  }
}
