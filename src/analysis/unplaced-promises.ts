/**
 * Places the pending promises a sampling Node agent counted but did not
 * place, so that a steady promise leak is one site with its whole history.
 *
 * In a busy service the agent watches short windows (--track adaptive over
 * its budget), and a leak of one promise in a thousand requests is caught
 * now and then, sometimes late in the attach. The census counts every
 * pending promise exactly at each heap walk; the target shows those made
 * since attach that no record places as one site (census-sites.ts) until a
 * record does, and from then on the records' sites hold them. Left so, the
 * series shows the leak twice, each half of the window: an unplaced count
 * that grows and then drops to nothing, and a site that appears late.
 *
 * So the unplaced count of each snapshot is spread over the promise sites
 * of the last snapshot, by their share of its pending promises: the
 * window's whole sample is the best estimate there is of where the
 * promises that stay pending are made. Its error is the sample's: with one
 * or two records caught, a share is rough, and the site's line says how
 * many of its counts are estimated this way. When no record placed any
 * promise by the last snapshot, the unplaced site stays as it is: growth
 * without a line, which says where to look next (--track all).
 */
import type { SeriesResult, SiteSeries } from './series.js';
import { BEFORE_ATTACH_PREFIX, UNPLACED_PROMISES_FRAME } from '../model/census-sites.js';

export function isUnplacedSite(site: SiteSeries): boolean {
  return site.exampleStack.length === 1 && site.exampleStack[0]!.file === '' && site.exampleStack[0]!.fn === UNPLACED_PROMISES_FRAME;
}

/** Pending promises the site holds in the last snapshot, if it is a site the agent placed. */
function placedPromises(site: SiteSeries, last: number): number {
  if (site.counts[last] === 0) return 0;
  if (site.exampleStack.length === 1 && site.exampleStack[0]!.fn.startsWith(BEFORE_ATTACH_PREFIX)) return 0;
  return site.kinds.find((k) => k.kind === 'PROMISE')?.count ?? 0;
}

/**
 * `parts` of `total`, in proportion to `weights`, as whole numbers that add
 * up to `total` (largest remainder first).
 */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0) return weights.map(() => 0);
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of byRemainder) {
    if (left <= 0) break;
    parts[i]!++;
    left--;
  }
  return parts;
}

/**
 * Spreads the unplaced site's counts over the promise sites of the last
 * snapshot. Returns a new series: the sites it changes are copies, because
 * the series builder's sites are read again at the next snapshot (an
 * attach ranks its snapshots so far after each one), and placing the same
 * counts twice would add them twice.
 */
export function placeUnplacedPromises(series: SeriesResult): SeriesResult {
  const unplaced = series.sites.find(isUnplacedSite);
  if (unplaced === undefined) return series;
  const last = series.times.length - 1;
  const originals = series.sites.filter((site) => site !== unplaced && placedPromises(site, last) > 0);
  if (originals.length === 0) return series;
  const weights = originals.map((site) => placedPromises(site, last));
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const estimated = unplaced.counts.filter((n) => n > 0).length;
  const targets = originals.map((site, t): SiteSeries => ({
    ...site,
    counts: [...site.counts],
    states: new Map(site.states),
    placedFromCensus: { snapshots: estimated, share: weights[t]! / totalWeight },
  }));
  for (let i = 0; i <= last; i++) {
    const count = unplaced.counts[i]!;
    if (count === 0) continue;
    apportion(count, weights).forEach((part, t) => {
      const site = targets[t]!;
      site.counts[i] = site.counts[i]! + part;
      site.observations += part;
      site.states.set('pending', (site.states.get('pending') ?? 0) + part);
      if (part > 0) site.firstSeen = Math.min(site.firstSeen, i);
    });
  }
  const copyOf = new Map(originals.map((site, t) => [site, targets[t]!]));
  return { ...series, sites: series.sites.filter((site) => site !== unplaced).map((site) => copyOf.get(site) ?? site) };
}
