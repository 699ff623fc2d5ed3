/**
 * The leak score: 0 to 100 per site, with a one-line explanation built from
 * the same numbers. docs/scoring.md gives the formula and the reasons.
 *
 *   score = 100 x growth x (0.5 + 0.25 x lifetime + 0.25 x blocking)
 *
 * Growth is the main signal and gates everything: a site that does not grow
 * scores 0 however long its tasks live or however blocked they are, which is
 * what keeps worker pools, tickers and idle keep-alive connections low.
 * Lifetime and blocking confirm growth: tasks that pile up, survive the whole
 * window and sit on a channel are a leak; tasks that pile up but come and go
 * or keep running are more likely load.
 *
 * A site the runtime itself proved leaked (Go's goroutineleak profile)
 * scores 100. With a single snapshot growth is unknown; the site is ranked by
 * size and blocking only, capped at 50, and the explanation says so.
 */
import type { SeriesResult, SiteSeries } from './series.js';

export interface GrowthStats {
  first: number;
  last: number;
  net: number;
  /** Least-squares slope in tasks per minute. */
  perMinute: number;
  /** Steps (between consecutive snapshots) that rose, fell, stayed. */
  up: number;
  down: number;
  steps: number;
  /** 0..1: how steadily the count rose (rising minus falling steps, over all steps). */
  monotonicity: number;
}

export interface Suspect {
  key: string;
  site: SiteSeries;
  score: number;
  explanation: string;
  /** Undefined with one snapshot. */
  growth?: GrowthStats;
  /** Share of the site's first tasks still alive at the end; undefined without ids. */
  survival?: number;
  /** Weighted share of observations blocked at this site, 0..1; undefined for aggregated input. */
  blocking?: number;
  /** The most common state and its share of observations. */
  mainState: string;
  mainStateShare: number;
  confirmed: boolean;
  /** Component values, for the JSON output and the docs. */
  components: { growth: number; lifetime: number; blocking: number };
}

export const SINGLE_SNAPSHOT_CAP = 50;

/**
 * How strongly a state says "stuck waiting for something that may never
 * come". Channel, select and sync waits weigh most (the classic leaks); IO
 * wait and sleep less (a read on an idle connection is normal); running and
 * runnable not at all.
 */
export function blockingWeight(state: string): number | undefined {
  const s = state.toLowerCase();
  if (s === 'unknown') return undefined;
  if (s === 'running' || s === 'runnable' || s.startsWith('gc ') || s === 'preempted') return 0;
  if (s.startsWith('chan receive') || s.startsWith('chan send') || s.startsWith('select') || s.startsWith('sync.') ||
      s.startsWith('semacquire') || s === 'sync.cond.wait' || s.startsWith('synctest') || s === 'pending') {
    return 1;
  }
  if (s === 'io wait' || s === 'syscall' || s.startsWith('netpoll')) return 0.3;
  if (s === 'sleep' || s === 'timer goroutine (idle)') return 0.2;
  return 0.5;
}

export function growthStats(counts: readonly number[], times: readonly number[]): GrowthStats {
  const n = counts.length;
  const first = counts[0]!;
  const last = counts[n - 1]!;
  let up = 0;
  let down = 0;
  for (let i = 1; i < n; i++) {
    if (counts[i]! > counts[i - 1]!) up++;
    else if (counts[i]! < counts[i - 1]!) down++;
  }
  const steps = n - 1;
  // Least squares over (minutes since the first snapshot, count).
  const xs = times.map((t) => (t - times[0]!) / 60_000);
  const meanX = xs.reduce((a, b) => a + b, 0) / n;
  const meanY = counts.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - meanX) * (counts[i]! - meanY);
    sxx += (xs[i]! - meanX) ** 2;
  }
  const perMinute = sxx > 0 ? sxy / sxx : 0;
  return { first, last, net: last - first, perMinute, up, down, steps, monotonicity: steps > 0 ? Math.max(0, (up - down) / steps) : 0 };
}

/**
 * Growth component, 0..1: monotonicity x absolute size x relative size.
 * - monotonicity: a random walk around a level scores ~0, a steady climb 1;
 * - absolute: 1 - e^(-net/8), so a handful of extra tasks is not a leak but
 *   30 is (0.98);
 * - relative: min(1, 5 x net / first), so a pool of 1,000 that gained 10
 *   (+1%) stays low while a site that went from 0 to anything counts fully.
 */
export function growthComponent(g: GrowthStats): number {
  if (g.net <= 0 || g.steps === 0) return 0;
  const absolute = 1 - Math.exp(-g.net / 8);
  const relative = Math.min(1, (5 * g.net) / Math.max(g.first, 1));
  return g.monotonicity * absolute * relative;
}

export function scoreSites(series: SeriesResult): Suspect[] {
  const single = series.times.length < 2;
  const suspects = series.sites.map((site) => scoreSite(site, series, single));
  suspects.sort((a, b) => b.score - a.score || located(b) - located(a) || lastCount(b) - lastCount(a) || (a.key < b.key ? -1 : 1));
  return suspects;
}

/**
 * On equal scores, a site that points at code ranks before one that does
 * not: a leaked client socket and the server's accepted end of it grow
 * together, and only the first (the `net.connect` line) can be acted on; the
 * accepted socket is created by the runtime with no frame of the program.
 */
function located(s: Suspect): number {
  return s.site.anchor === undefined ? 0 : 1;
}

function lastCount(s: Suspect): number {
  return s.site.counts[s.site.counts.length - 1]!;
}

function scoreSite(site: SiteSeries, series: SeriesResult, single: boolean): Suspect {
  // Blocking: weighted share of observations.
  let weighted = 0;
  let known = 0;
  let mainState = '';
  let mainCount = -1;
  for (const [state, n] of site.states) {
    if (n > mainCount) {
      mainState = state;
      mainCount = n;
    }
    const w = blockingWeight(state);
    if (w !== undefined) {
      weighted += w * n;
      known += n;
    }
  }
  const blocking = known > 0 ? weighted / known : undefined;
  const mainStateShare = site.observations > 0 ? mainCount / site.observations : 0;

  const lastIndex = series.times.length - 1;
  let survival: number | undefined;
  // Ids may come from some snapshots only (counts-only snapshots in between): the window is theirs.
  const idWindowEnd = site.lastIdsAt ?? lastIndex;
  if (!site.idless && (site.firstIdsAt ?? site.firstSeen) < idWindowEnd && site.firstIds && site.firstIds.size > 0) {
    let alive = 0;
    for (const id of site.firstIds) if (site.lastIds?.has(id)) alive++;
    survival = alive / site.firstIds.size;
  }

  const confirmed = site.leaked > 0;
  const lifetimeComponent = survival ?? 0.5;
  const blockingComponent = blocking ?? 0.5;
  let growth: GrowthStats | undefined;
  let score: number;
  let growthValue = 0;
  if (single) {
    const size = Math.min(1, site.counts[0]! / 100);
    const waited = site.maxWaitMinutes !== undefined && site.maxWaitMinutes >= 1 ? 1 : 0.5;
    score = SINGLE_SNAPSHOT_CAP * size * blockingComponent * waited;
  } else {
    growth = growthStats(site.counts, series.times);
    growthValue = growthComponent(growth);
    score = 100 * growthValue * (0.5 + 0.25 * lifetimeComponent + 0.25 * blockingComponent);
  }
  if (confirmed) score = 100;
  score = Math.round(Math.max(0, Math.min(100, score)));

  const suspect: Suspect = {
    key: site.key,
    site,
    score,
    explanation: '',
    mainState,
    mainStateShare,
    confirmed,
    components: { growth: growthValue, lifetime: lifetimeComponent, blocking: blockingComponent },
  };
  if (growth) suspect.growth = growth;
  if (survival !== undefined) suspect.survival = survival;
  if (blocking !== undefined) suspect.blocking = blocking;
  suspect.explanation = explain(suspect, series);
  return suspect;
}

/** "+52/min over 6 snapshots (3 → 310), rising at every step; 98% survive the window; all blocked on chan receive" */
export function explain(s: Suspect, series: SeriesResult): string {
  const parts: string[] = [];
  const taskWord = series.runtime === 'go' ? 'goroutines' : 'resources';
  if (s.confirmed) parts.push(`${s.site.leaked} confirmed leaked by the Go runtime`);
  const n = series.times.length;
  if (s.growth === undefined) {
    parts.push(`${s.site.counts[0]} ${taskWord} in one snapshot, growth unknown`);
  } else {
    const g = s.growth;
    const rate = `${g.perMinute >= 0 ? '+' : '-'}${formatRate(Math.abs(g.perMinute))}/min`;
    let trend: string;
    if (g.net === 0 && g.up === 0 && g.down === 0) trend = 'flat';
    else if (g.up === g.steps) trend = 'rising at every step';
    else if (g.down === g.steps) trend = 'falling at every step';
    else trend = `rising in ${g.up} of ${g.steps} steps${g.down > 0 ? `, falling in ${g.down}` : ''}`;
    parts.push(`${rate} over ${n} snapshots (${g.first} → ${g.last}), ${trend}`);
  }
  if (s.survival !== undefined) {
    parts.push(`${formatPercent(s.survival)} survive the window`);
  } else if (s.site.idless && s.growth !== undefined) {
    parts.push('lifetime unknown (no task ids in this input)');
  }
  if (s.mainState !== '' && s.mainState !== 'unknown') {
    // Go states are wait reasons ("blocked on chan receive"); Node's are "pending" or "active".
    const blockedWord = series.runtime === 'go' && (blockingWeight(s.mainState) ?? 0) > 0 ? 'blocked on ' : '';
    const share = s.mainStateShare >= 0.995 ? 'all' : formatPercent(s.mainStateShare);
    parts.push(`${share} ${blockedWord}${s.mainState}`);
  }
  if (s.site.maxWaitMinutes !== undefined && s.site.maxWaitMinutes >= 1) {
    parts.push(`waiting up to ${s.site.maxWaitMinutes} min`);
  }
  return parts.join('; ');
}

function formatRate(perMinute: number): string {
  if (perMinute >= 10) return String(Math.round(perMinute));
  if (perMinute >= 1) return perMinute.toFixed(1).replace(/\.0$/, '');
  return perMinute.toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
}

function formatPercent(share: number): string {
  return `${Math.round(share * 100)}%`;
}
