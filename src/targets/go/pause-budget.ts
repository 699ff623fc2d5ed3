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
 * full dump minus that of the count profile fetched just before (what the
 * two requests share, the round trip and the handler, is not a pause).
 * Time to the first byte bounds the pause from above (the runtime writes
 * nothing until it has formatted the whole dump), so the estimate errs
 * toward not pausing. Measurements are pooled with a prior worth 1,000
 * goroutines of measurement: a dump of 20 goroutines that came back 10 ms
 * late because the machine was busy says little about the cost per
 * goroutine, and must not stop full dumps for the rest of the attach,
 * while a dump of 10,000 goroutines outweighs the prior.
 */

export type FullDumpProfile = 'goroutineleak?debug=2' | 'debug=2';

/** The default budget: the worst pause leakscan may cause per snapshot, in milliseconds. */
export const DEFAULT_PAUSE_BUDGET_MS = 10;

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
    return this.budgetMs === Infinity || this.estimateMs(profile, goroutines) <= this.budgetMs;
  }

  /**
   * Learns from one full dump: `fullMs` and `countsMs` are the times to the
   * first byte of the full dump and of the count profile of the same snapshot.
   */
  record(profile: FullDumpProfile, goroutines: number, fullMs: number, countsMs: number): void {
    if (goroutines <= 0) return;
    let samples = this.measured.get(profile);
    if (samples === undefined) this.measured.set(profile, (samples = []));
    samples.push({ ms: Math.max(0, fullMs - countsMs), goroutines });
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
