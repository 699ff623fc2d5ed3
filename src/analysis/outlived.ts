/**
 * Outlived: repeating timers that were made steadily before the window and
 * that nobody cleared while leakscan watched (Node).
 *
 * A `setInterval` never ends by itself: it runs until the program clears
 * it. Programs make them per thing that lives a while (a session, a
 * connection, a subscription) and clear them when the thing goes. While such
 * a population is healthy, things end about as fast as they are made. So if
 * a site's `n` intervals were made over a stretch of `A` minutes, a healthy
 * site would see about `n × W / A` of them end in a window of `W` minutes;
 * seeing none end has a chance of `e^(−n·W/A)` (Poisson). The evidence is
 * the complement, capped like the "what the state means" evidence:
 *
 *   outlived = 0.8 × (1 − e^(−n·W/A))
 *
 * It holds only for:
 * - repeating timers found by the census (their callback, delay and async
 *   id; a one-shot timer ends by itself and says nothing by staying);
 * - none of the site's timers ended or moved during the window;
 * - ids spread over the process's history (at least 3 of its 10 tenths of
 *   ids), not among its first ids: a block made at one moment (at boot, by
 *   design: one refresher per shard) is a set the program meant to keep, not
 *   a stream of things made and never cleared;
 * - more of them than the open connections: a per-connection heartbeat of
 *   clients that stay online outlives any window, one per connection.
 *
 * `A` comes from the async id clock (id-dating.ts): the span of the timers'
 * ids at the window's id rate, but never more than the process's age (a
 * quiet process hands out few ids while watched, which would date its past
 * far too long ago).
 */
import type { SeriesResult, SiteSeries } from './series.js';
import { dateStayingIds, processMinutesAt } from './id-dating.js';

/** Outlived evidence is worth at most this much, as a state's meaning is. */
export const OUTLIVED_CAP = 0.8;
/** Tenths of the process's ids the timers must be spread over: not one block. */
const MIN_TENTHS = 3;

export interface OutlivedEvidence {
  /** 0..OUTLIVED_CAP. */
  value: number;
  /** Repeating timers that stayed through the window, none cleared. */
  count: number;
  /** The window they were watched over, in minutes (W). */
  windowMinutes: number;
  /** The stretch they were made over, in minutes (A), at most the process's age. */
  spanMinutes: number;
  /** Open connections (TCP and pipe sockets) at the last look. */
  connections: number;
}

/** A census timer that repeats: its resource is worded "Timeout: setInterval <ms> ms" (targets/node/census.ts). */
export function isRepeatingTimer(resource: string | undefined): boolean {
  return resource !== undefined && resource.startsWith('Timeout: setInterval ');
}

export function outlivedEvidence(site: SiteSeries, series: SeriesResult): OutlivedEvidence | undefined {
  if (series.runtime !== 'node') return undefined;
  const st = site.staying;
  if (st === undefined || st.count <= 0 || st.looks < 2 || st.gone > 0 || st.moved > 0) return undefined;
  if (site.labels.length === 0 || !site.labels.every((l) => isRepeatingTimer(l.labels.resource))) return undefined;
  const n = st.count;
  const connections = series.connections?.[st.lastIndex] ?? 0;
  if (n <= connections) return undefined;
  const windowMinutes = (series.times[st.lastIndex]! - series.times[st.firstIndex]!) / 60_000;
  if (windowMinutes <= 0) return undefined;
  const dating = dateStayingIds(series, st, windowMinutes);
  if (dating === undefined || dating.startedWithProcess || Math.round(dating.spread * 9) + 1 < MIN_TENTHS) return undefined;
  const processMinutes = processMinutesAt(series, st.firstIndex);
  const byRate = dating.idsPerMinute !== undefined ? (dating.newestId - dating.oldestId) / dating.idsPerMinute : undefined;
  const span = byRate !== undefined && processMinutes !== undefined ? Math.min(byRate, processMinutes) : (byRate ?? processMinutes);
  if (span === undefined) return undefined;
  // Made within a moment: as many ends expected as there are timers, at the least.
  const expectedEnds = span > 0 ? (n * windowMinutes) / span : n;
  return { value: OUTLIVED_CAP * (1 - Math.exp(-expectedEnds)), count: n, windowMinutes, spanMinutes: span, connections };
}
