/**
 * Ranks code sites across the fleet. The same site (keys hold no
 * directories, so they match across machines) is scored on each sampled
 * instance by the usual score (docs/scoring.md); across the fleet, a site
 * that leaks on many instances is stronger evidence than one that leaks on
 * one, which may be a single odd replica (a canary, a skewed shard):
 *
 *   fleet score = mean score on the leaking instances x (0.75 + 0.25 x breadth)
 *
 * where an instance counts as leaking at the site when it scored at least
 * 50 there, and breadth is the share of sampled instances of the site's
 * runtime that are leaking. A site leaking on every sampled instance keeps
 * its score; on one of forty it keeps about three quarters, so a site at 85
 * on thirty instances of forty ranks before one at 95 on one of them, and a
 * leak on a single replica can still fail a gate at 70. A site leaking nowhere
 * scores half its best single score, so the healthy sites of a fleet stay
 * as low as they are on one instance. A site the Go runtime confirmed
 * leaked on any instance stays confirmed, which fails the gate by itself.
 *
 * Prometheus's history backs a short sample up. A leak that has run for
 * days holds thousands of goroutines, so the few it adds during a
 * one-minute sample are small next to what it holds, and the sampled score
 * (whose growth term weighs new tasks against the site's first count)
 * stays low. When the instance grows in the pre-screen and the site rises
 * steadily while sampled, the site is where that growth went, up to the
 * goroutines it holds: the instance's score for the site is then at least
 * the same formula (docs/scoring.md) with the long horizon's numbers,
 *
 *   100 x monotonicity x (1 - e^(-net/8)) x min(1, 5 x net / level)
 *       x (0.5 + 0.25 x lifetime + 0.25 x blocking)
 *
 * where net = min(growth in Prometheus, goroutines at the site now) and
 * level = the instance's count at the start of the window (an upper bound
 * of the site's own: the estimate errs low).
 */
import type { Suspect } from '../analysis/score.js';
import type { InstanceHistory } from './prescreen.js';
import type { InstanceSample } from './sample.js';
import { plural } from '../report/format.js';

export const LEAKING_SCORE = 50;

export interface SiteOnInstance {
  job: string;
  instance: string;
  /** The instance's score for the site: the sampled one, or the history-backed one when higher. */
  score: number;
  sampledScore: number;
  historyBacked: boolean;
  confirmed: boolean;
  first: number;
  last: number;
  perMinute: number;
  /** Prometheus's long-horizon view of the same instance, when it has one. */
  history?: { growth: number; perHour: number; restarts: number; growing: boolean };
}

export interface FleetSuspect {
  key: string;
  score: number;
  confirmed: boolean;
  leaking: number;
  seenOn: number;
  sampled: number;
  explanation: string;
  /** Instances where the site was seen, highest score first. */
  instances: SiteOnInstance[];
  /** The site as scored on its highest-scoring instance, with the fleet's score and explanation: what the gate and its formats read. */
  suspect: Suspect;
}

export function rankFleet(samples: readonly InstanceSample[], histories: (s: InstanceSample) => InstanceHistory | undefined): FleetSuspect[] {
  const sampled = samples.filter((s) => s.status === 'sampled');
  const bySite = new Map<string, { suspect: Suspect; sample: InstanceSample; sampledScore: number }[]>();
  for (const sample of sampled) {
    const history = histories(sample);
    for (const sampledSuspect of sample.suspects) {
      const backed = historyBackedScore(sampledSuspect, history);
      const suspect = backed > sampledSuspect.score ? { ...sampledSuspect, score: backed } : sampledSuspect;
      const list = bySite.get(suspect.key) ?? [];
      list.push({ suspect, sample, sampledScore: sampledSuspect.score });
      bySite.set(suspect.key, list);
    }
  }
  const suspects: FleetSuspect[] = [];
  for (const [key, seen] of bySite) {
    seen.sort((a, b) => b.suspect.score - a.suspect.score);
    const best = seen[0]!.suspect;
    const leakingScores = seen.filter((s) => s.suspect.score >= LEAKING_SCORE || s.suspect.confirmed).map((s) => s.suspect.score);
    const breadth = sampled.length > 0 ? leakingScores.length / sampled.length : 0;
    const score =
      leakingScores.length > 0
        ? Math.round((leakingScores.reduce((a, b) => a + b, 0) / leakingScores.length) * (0.75 + 0.25 * breadth))
        : Math.round(best.score * 0.5);
    const confirmed = seen.some((s) => s.suspect.confirmed);
    const instances = seen.map(({ suspect, sample, sampledScore }) => siteOn(suspect, sampledScore, sample, histories(sample)));
    const explanation = explainFleet(leakingScores.length, seen.length, sampled.length, instances, best);
    suspects.push({
      key,
      score,
      confirmed,
      leaking: leakingScores.length,
      seenOn: seen.length,
      sampled: sampled.length,
      explanation,
      instances,
      suspect: { ...best, score, confirmed, explanation },
    });
  }
  suspects.sort((a, b) => b.score - a.score || b.leaking - a.leaking || b.seenOn - a.seenOn || (a.key < b.key ? -1 : 1));
  return suspects;
}

/** The site's score on an instance from the long horizon (see the top of this file); 0 when history does not back it. */
export function historyBackedScore(s: Suspect, history: InstanceHistory | undefined): number {
  const g = s.growth;
  if (history === undefined || !history.growing || g === undefined || g.net <= 0 || g.monotonicity < 0.5) return 0;
  const net = Math.min(history.growth, g.last);
  const level = Math.max(1, history.segments[0]?.first ?? 1);
  const absolute = 1 - Math.exp(-net / 8);
  const relative = Math.min(1, (5 * net) / level);
  const score = 100 * g.monotonicity * absolute * relative * (0.5 + 0.25 * s.components.lifetime + 0.25 * s.components.blocking);
  return Math.round(Math.max(0, Math.min(100, score)));
}

function siteOn(suspect: Suspect, sampledScore: number, sample: InstanceSample, history: InstanceHistory | undefined): SiteOnInstance {
  const counts = suspect.site.counts;
  return {
    job: sample.instance.job,
    instance: sample.instance.instance,
    score: suspect.score,
    sampledScore,
    historyBacked: suspect.score > sampledScore,
    confirmed: suspect.confirmed,
    first: counts[0] ?? 0,
    last: counts[counts.length - 1] ?? 0,
    perMinute: Math.round((suspect.growth?.perMinute ?? 0) * 10) / 10,
    ...(history ? { history: { growth: history.growth, perHour: history.perHour, restarts: history.restarts, growing: history.growing } } : {}),
  };
}

function explainFleet(leaking: number, seenOn: number, sampled: number, instances: SiteOnInstance[], best: Suspect): string {
  const parts: string[] = [];
  if (leaking > 0) parts.push(`leaking on ${leaking} of ${plural(sampled, 'sampled instance')}`);
  else parts.push(`seen on ${seenOn} of ${plural(sampled, 'sampled instance')}, leaking on none`);
  const growingInHistory = instances.filter((i) => i.score >= LEAKING_SCORE && i.history?.growing);
  if (growingInHistory.length > 0) {
    const fastest = Math.max(...growingInHistory.map((i) => i.history!.perHour));
    const backed = growingInHistory.filter((i) => i.historyBacked).length;
    parts.push(
      `${growingInHistory.length} of them also grow in Prometheus's history (up to ${signed(fastest)}/h${backed > 0 ? `; on ${backed} that history is what scores it` : ''})`,
    );
  }
  parts.push(`on the strongest: ${best.explanation}`);
  return parts.join('; ');
}

function signed(n: number): string {
  return `${n >= 0 ? '+' : ''}${Math.round(n)}`;
}
