/**
 * How long each goroutine profile stops a Go program, and whether a full
 * dump fits the pause the user allows per snapshot.
 *
 * - `goroutine?debug=1` (counts per stack) is collected while the program
 *   runs (Go 1.19+): a pause of milliseconds even at 100,000 goroutines.
 * - `goroutine?debug=2` stops the world while the runtime formats every
 *   stack, so its pause grows with the goroutine count: about 10 µs per
 *   goroutine on an idle machine, several times that on a busy one (about
 *   1 s at 100,000 goroutines; BENCHMARKS.md).
 * - `goroutineleak?debug=2` first runs a garbage collection that looks for
 *   leaked goroutines, then does the same.
 *
 * The pause of a full dump is estimated as goroutines x cost per goroutine.
 * The cost is measured on this target: the time to the first byte of the
 * full dump itself. It bounds the pause from above (the runtime writes
 * nothing until it has formatted the whole dump; the loopback round trip
 * adds well under a millisecond), so the estimate errs toward not pausing.
 * (Subtracting the count profile's own time to first byte, as was done
 * before, took away the time the runtime spends collecting that profile,
 * which grows with the goroutine count too: on a busy target it made the
 * full dump look nearly free.) Measurements are pooled with a prior worth 1,000
 * goroutines of measurement: a dump of 20 goroutines that came back 10 ms
 * late because the machine was busy says little about the cost per
 * goroutine, and must not stop full dumps for the rest of the attach,
 * while a dump of 10,000 goroutines outweighs the prior.
 */

export type FullDumpProfile = 'goroutineleak?debug=2' | 'debug=2';

/** The default budget: the worst pause leakscan may cause per snapshot, in milliseconds. */
export const DEFAULT_PAUSE_BUDGET_MS = 10;

/**
 * The default evidence pause: the worst pause the first and the last
 * snapshot of a series may cause, in milliseconds, when the full dumps of
 * the others do not fit the budget. Two full dumps, one at each end of the
 * window, are what dates goroutines and proves they made no progress (the
 * same ids, in the same frame, blocked for N minutes); the middle
 * snapshots only count. 200 ms twice a minute is a delay of the size of a
 * slow request or a busy machine's scheduling hiccup, far under the
 * timeouts clients and load balancers give a service (seconds), and is the
 * pause of a full dump of about 10,000 goroutines on a busy machine
 * (BENCHMARKS.md). A burst of 100,000 goroutines does not fit: it would
 * stop the service for a second or more.
 */
export const DEFAULT_EVIDENCE_PAUSE_MS = 200;

/**
 * The prior: the cost per goroutine on an idle machine, in microseconds
 * (debug=2 paused about 1 s for 100,000 goroutines), counted as if measured
 * over PRIOR_GOROUTINES goroutines. The leak profile adds its collection,
 * measured at under 1 µs per goroutine (BENCHMARKS.md).
 */
const PRIOR_US_PER_GOROUTINE: Record<FullDumpProfile, number> = { 'debug=2': 10, 'goroutineleak?debug=2': 11 };
const PRIOR_GOROUTINES = 1000;

/** Measurements kept per profile, pooled so that large dumps, measured above the noise, weigh most. */
const KEPT_MEASUREMENTS = 5;

export class PauseBudget {
  /** Per profile, the last few (pause ms, goroutines) measurements. */
  private readonly measured = new Map<FullDumpProfile, { ms: number; goroutines: number }[]>();

  /** `budgetMs` Infinity: always take the full dump. */
  constructor(readonly budgetMs: number) {}

  /** The pause a full dump of this profile is expected to cause, in milliseconds. */
  estimateMs(profile: FullDumpProfile, goroutines: number): number {
    const samples = this.measured.get(profile) ?? [];
    const pauseMs = samples.reduce((sum, s) => sum + s.ms, (PRIOR_US_PER_GOROUTINE[profile] * PRIOR_GOROUTINES) / 1000);
    const over = samples.reduce((sum, s) => sum + s.goroutines, PRIOR_GOROUTINES);
    return (goroutines * pauseMs) / over;
  }

  fits(profile: FullDumpProfile, goroutines: number): boolean {
    return this.fitsWithin(profile, goroutines, this.budgetMs);
  }

  /** Whether a full dump is expected to pause the target for at most `limitMs` (Infinity: any). */
  fitsWithin(profile: FullDumpProfile, goroutines: number, limitMs: number): boolean {
    return limitMs === Infinity || this.estimateMs(profile, goroutines) <= limitMs;
  }

  /** Learns from one full dump: `fullMs` is its time to the first byte. */
  record(profile: FullDumpProfile, goroutines: number, fullMs: number): void {
    if (goroutines <= 0) return;
    let samples = this.measured.get(profile);
    if (samples === undefined) this.measured.set(profile, (samples = []));
    samples.push({ ms: Math.max(0, fullMs), goroutines });
    if (samples.length > KEPT_MEASUREMENTS) samples.shift();
  }
}

/** "12 ms", "1.2 s", "350 µs": a pause in words. */
export function formatPause(ms: number): string {
  if (ms === Infinity) return 'no limit';
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s`;
  if (ms >= 1) return `${Math.round(ms)} ms`;
  return `${Math.max(1, Math.round(ms * 1000))} µs`;
}
