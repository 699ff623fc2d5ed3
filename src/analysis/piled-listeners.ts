/**
 * Piled listeners: copies of one listener on one emitter, more than the
 * emitter allows and than there are open connections, never fewer while
 * leakscan watched (Node).
 *
 * A listener leak adds the same function to the same long-lived emitter
 * again and again (a shared config, a price feed, `process`): each request
 * or session subscribes, and nothing unsubscribes. Node itself calls this
 * a possible leak: past an emitter's listener limit (10 unless the program
 * sets one with `setMaxListeners`) it prints MaxListenersExceededWarning.
 * The census reads the same count (Task.onOneEmitter), so a pile made
 * before attach that stopped growing still shows, where growth says
 * nothing and listeners carry no id to follow.
 *
 * It holds only when, at every look:
 * - one emitter holds more copies of the listener for its event than its
 *   limit: the program's own statement of how many it expects (its
 *   `setMaxListeners(n)`, or Node's default it left in place);
 * - and more than the open connections: a hub that gives each connected
 *   client one listener holds one per connection, however many clients;
 * - and never fewer than at the look before: a pile of listeners for work
 *   in flight (one per pending order) falls as the work ends. A leak only
 *   adds.
 * Listeners made by design at boot stay within the limit the program set
 * for them (boot-timers: 64 under a limit of 74).
 *
 * Where the program removed the limit (`setMaxListeners(0)`), nothing is
 * said: it declared that it expects an unbounded number, and healthy
 * programs do hold many by design (a hub with several topic subscriptions
 * per client, a listener per HTTP/2 stream on one connection, a listener
 * per job of a busy pool, steady at every look). A new user's healthy
 * programs of each kind scored 76 to 79 when Node's default stood in for a
 * removed limit. A leak on such an emitter is found by its growth, or by
 * the timers or sockets it leaves too.
 *
 * The value grows with how far the weakest look is past its threshold:
 *
 *   piled = 0.8 × (1 − e^(−1.5 × (copies / threshold − 1)))
 *
 * Twice what Node warns at is a suspect (0.62), three times a leak (0.76).
 * It is capped like the other evidence read from state (outlived.ts).
 */
import type { SeriesResult, SiteSeries } from './series.js';

/** Piled evidence is worth at most this much, as a state's meaning is. */
export const PILED_CAP = 0.8;

export interface PiledEvidence {
  /** 0..PILED_CAP. */
  value: number;
  /** Copies of the listener on one emitter at the last look. */
  copies: number;
  /** That emitter's listener limit. */
  limit: number;
  /** Open connections (TCP and pipe sockets, both ends) at the last look. */
  connections: number;
  /** Looks the pile was seen at, all of them. */
  looks: number;
}

export function piledEvidence(site: SiteSeries, series: SeriesResult): PiledEvidence | undefined {
  const piles = site.onOneEmitter;
  if (series.runtime !== 'node' || piles === undefined || piles.length < 2) return undefined;
  let weakest = Infinity;
  for (let i = 0; i < piles.length; i++) {
    const { copies, limit } = piles[i]!;
    if (limit === 0 || (i > 0 && copies < piles[i - 1]!.copies)) return undefined;
    const threshold = Math.max(limit, series.connections?.[i] ?? 0);
    if (copies <= threshold) return undefined;
    weakest = Math.min(weakest, copies / threshold);
  }
  const last = piles[piles.length - 1]!;
  return {
    value: PILED_CAP * (1 - Math.exp(-1.5 * (weakest - 1))),
    copies: last.copies,
    limit: last.limit,
    connections: series.connections?.[piles.length - 1] ?? 0,
    looks: piles.length,
  };
}
