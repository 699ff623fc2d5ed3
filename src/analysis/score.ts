/**
 * The leak score: 0 to 100 per site, with a one-line explanation built from
 * the same numbers. docs/scoring.md gives the formulas and the reasons.
 *
 * A score combines independent kinds of evidence, each a chance in 0..1
 * that the site leaks, as "at least one of them is right":
 *
 *   score = 100 x (1 - (1 - growth) x (1 - stuck) x (1 - outlived) x (1 - piled))
 *
 * - growth: the count climbs during the window, confirmed by the tasks
 *   surviving it and being blocked (today's signal; a big existing pile
 *   that keeps growing is worse, not better, so it is not discounted);
 * - stuck: the same tasks sat in the same blocking frame at every look, in
 *   a state whose long wait means something (a lock held for a minute is a
 *   deadlock, a receive is an idle consumer), for as long as the window or
 *   the runtime's `N minutes` shows, with nothing at the site moving; dated
 *   by their ids (a block started with the process is a pool, ids spread
 *   over the process's life an accumulating leak) and weighed up when the
 *   site holds most of the process's tasks;
 * - outlived (Node): repeating timers made steadily before the window,
 *   more than the open connections, none cleared while watched, where a
 *   healthy population would have seen some end (outlived.ts);
 * - piled (Node): one emitter holds more copies of one listener than the
 *   limit the program left in force and the open connections, never fewer
 *   while watched: Node's own MaxListenersExceededWarning, read from the
 *   heap (piled-listeners.ts).
 *
 * A site the runtime itself proved leaked (Go's goroutineleak profile)
 * scores 100, unless the wait is one programs make on purpose (main parked
 * in `select {}`; intentional.ts). With a single snapshot growth is
 * unknown; the site is ranked by size, blocking and any minutes-long wait,
 * capped at 50, and the explanation says so.
 */
import type { SeriesResult, SiteSeries } from './series.js';
import { stateMeaning } from './state-meaning.js';
import { dateStayingIds, processMinutesAt } from './id-dating.js';
import type { IdDating } from './id-dating.js';
import { outlivedEvidence } from './outlived.js';
import type { OutlivedEvidence } from './outlived.js';
import { piledEvidence } from './piled-listeners.js';
import type { PiledEvidence } from './piled-listeners.js';
import { isUnplacedSite } from './unplaced-promises.js';
import { kindInWords } from '../model/resource-kinds.js';
import { isNodeInternalFrame } from '../model/runtime-frames.js';
import type { SameLeak } from './chains.js';
import { pluralWord } from '../util/plural.js';

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
  /** Share of the site's tasks at one look still there at the next (consecutive looks with ids); undefined without them. */
  stepSurvival?: number;
  /** Weighted share of observations blocked at this site, 0..1; undefined for aggregated input. */
  blocking?: number;
  /** The most common state and its share of observations. */
  mainState: string;
  mainStateShare: number;
  confirmed: boolean;
  /** Component values, for the JSON output and the docs. */
  components: { growth: number; lifetime: number; blocking: number };
  /** Each kind of evidence as a chance in 0..1 (the score combines them). */
  evidence: { growth: number; stuck: number; outlived: number; piled: number; proof: boolean };
  /** The tasks that made no progress, when any did (ids needed). */
  stuck?: StuckEvidence;
  /** Repeating timers made before the window, none of them cleared in it (Node; outlived.ts). */
  outlived?: OutlivedEvidence;
  /** Copies of one listener piled on one emitter past its limit, never fewer while watched (Node; piled-listeners.ts). */
  piled?: PiledEvidence;
  /** Other sites of the same leak, folded into this one (chains.ts): not suspects of their own. */
  sameLeak?: SameLeak[];
  /** The folded site whose higher score this one took, and its own score before (chains.ts). */
  scoredAs?: { key: string; ownScore: number };
}

/** Tasks that stayed put, and what that says (see stuckEvidence). */
export interface StuckEvidence {
  value: number;
  /** Tasks in the same state and frame at every look. */
  count: number;
  /** Snapshots with ids they were seen in. */
  looks: number;
  /** How long they are known to have waited: the window they stayed through, or the runtime's minutes if longer. */
  minutes: number;
  /** Whether `minutes` came from the runtime's wait time rather than the window. */
  fromRuntimeWait: boolean;
  /** The length of the whole series, first to last snapshot. */
  windowMinutes: number;
  /** Share of the site's tasks that stayed, against those that moved or left. */
  noProgress: number;
  /** The most common state of the stuck tasks and what it means. */
  state: string;
  meaning: number;
  says: string;
  dating?: IdDating;
  /** The site's share of all tasks in the last snapshot. */
  share: number;
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
  if (
    s.startsWith('chan receive') ||
    s.startsWith('chan send') ||
    s.startsWith('select') ||
    s.startsWith('sync.') ||
    s.startsWith('semacquire') ||
    s === 'sync.cond.wait' ||
    s.startsWith('synctest') ||
    s === 'pending'
  ) {
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
 * Growth component, 0..1: monotonicity x absolute size.
 * - monotonicity: a random walk around a level scores ~0, a steady climb 1;
 * - absolute: 1 - e^(-net/8), so a handful of extra tasks is not a leak but
 *   30 is (0.98).
 * The size of the pile already there does not lower it: a healthy pool does
 * not climb at every step, and a pile of 5,000 that keeps climbing is the
 * leak people attach for.
 */
export function growthComponent(g: GrowthStats): number {
  if (g.net <= 0 || g.steps === 0) return 0;
  const absolute = 1 - Math.exp(-g.net / 8);
  return g.monotonicity * absolute;
}

/**
 * Windows shorter than this say less than the defaults (12 snapshots 5 s
 * apart, 55 s): stuck evidence counts how long tasks stayed put, in full
 * from a minute, so a pile that stopped growing weighs less the shorter it
 * is watched. Below the defaults by a margin, so a default run whose last
 * snapshot came a moment early is not warned about.
 */
export const SHORT_WINDOW_SECONDS = 50;

/**
 * Stuck evidence, 0..1, from the tasks that stayed in the same state and
 * frame at every look (staying.ts):
 *
 *   meaning x duration x count x noProgress x age x concentration   (at most 1)
 *
 * - meaning: what a long wait in their state says (state-meaning.ts);
 * - duration: min(1, minutes / 1): a minute-long wait (the default attach,
 *   or the runtime's `N minutes`) counts fully;
 * - count: 1 - e^(-n/3): one stuck task may be a slow caller, five are a pile;
 * - noProgress: stayed / (stayed + left + moved): a site where tasks come
 *   and go is alive, even if some are caught waiting at every look;
 * - age (ids, id-dating.ts): x0.5 for a block started with the process (a
 *   pool or a loop meant to live as long as the program), up to x1.25 for
 *   ids spread over the process's life (accumulating, not a one-off);
 * - concentration: up to x1.2 as the site's share of all tasks goes from
 *   half to all (a pile that is the whole process is what LeakProf flags).
 */
export function stuckEvidence(site: SiteSeries, series: SeriesResult): StuckEvidence | undefined {
  const st = site.staying;
  if (st === undefined || st.count <= 0) return undefined;
  const windowMinutes = (series.times[st.lastIndex]! - series.times[st.firstIndex]!) / 60_000;
  const runtimeMinutes = st.maxWaitMinutes ?? 0;
  const minutes = Math.max(windowMinutes, runtimeMinutes);
  let weighted = 0;
  let state = '';
  let stateCount = -1;
  for (const [s, n] of st.states) {
    weighted += stateMeaning(s).weight * n;
    if (n > stateCount) {
      state = s;
      stateCount = n;
    }
  }
  const total = [...st.states.values()].reduce((a, b) => a + b, 0);
  const meaning = total > 0 ? weighted / total : 0;
  const n = st.count;
  const noProgress = n / (n + st.gone + st.moved);
  const seriesMinutes = (series.times[series.times.length - 1]! - series.times[0]!) / 60_000;
  const dating = dateStayingIds(series, st, seriesMinutes);
  // Nothing was made before the process started: a quiet window's slow id clock would date its past far too long ago.
  const processMinutes = processMinutesAt(series, st.firstIndex);
  if (dating?.oldestMinutesAgo !== undefined && processMinutes !== undefined) {
    dating.oldestMinutesAgo = Math.min(dating.oldestMinutesAgo, processMinutes);
    dating.newestMinutesAgo = Math.min(dating.newestMinutesAgo!, processMinutes);
  }
  const age = dating === undefined ? 1 : dating.startedWithProcess ? 0.5 : 1 + 0.25 * dating.accumulation * (1 - Math.exp(-n / 10));
  const last = series.times.length - 1;
  const everything = series.totals[last]! - series.ignored[last]! - series.notStarted[last]!;
  const share = everything > 0 ? site.counts[last]! / everything : 0;
  const concentration = 1 + 0.2 * Math.max(0, (share - 0.5) / 0.5);
  const value = Math.min(1, meaning * Math.min(1, minutes) * (1 - Math.exp(-n / 3)) * noProgress * age * concentration);
  const evidence: StuckEvidence = {
    value,
    count: n,
    looks: st.looks,
    minutes,
    fromRuntimeWait: runtimeMinutes > windowMinutes,
    windowMinutes: seriesMinutes,
    noProgress,
    state,
    meaning,
    says: stateMeaning(state).says,
    share,
  };
  if (dating !== undefined) evidence.dating = dating;
  return evidence;
}

export function scoreSites(series: SeriesResult): Suspect[] {
  const single = series.times.length < 2;
  const suspects = series.sites.map((site) => scoreSite(site, series, single));
  return suspects.sort(suspectOrder(series));
}

/** The order suspects are listed in: by score band, the program's sites first within one, then by score and the tie-breaks below. */
export function suspectOrder(series: SeriesResult): (a: Suspect, b: Suspect) => number {
  const ours = (s: Suspect): number => (series.runtime === 'node' && inNodeCode(s) ? 0 : 1);
  return (a, b) =>
    band(b.score) - band(a.score) ||
    ours(b) - ours(a) ||
    b.score - a.score ||
    located(b) - located(a) ||
    lastCount(b) - lastCount(a) ||
    (a.key < b.key ? -1 : 1);
}

/**
 * The bands the reports colour and `check` gates on by default: 70 or more
 * (a leak), 30 to 69 (a suspect), under 30 (quiet).
 */
function band(score: number): number {
  return score >= 70 ? 2 : score >= 30 ? 1 : 0;
}

/**
 * A Node site anchored in Node's own code (the function of a listener Node
 * adds, such as `clearIncoming`, which node:_http_server puts on every
 * request): the user can change nothing there. When the program holds
 * requests it leaks, their listeners grow with the program's own leaking
 * site, a point above or below it from one run to the next as requests in
 * flight come and go; within a band the program's site is listed first.
 */
function inNodeCode(s: Suspect): boolean {
  return s.site.anchor !== undefined && isNodeInternalFrame(s.site.anchor);
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
  // Snapshots that only count tasks (Go's debug=1 between full dumps) say
  // nothing of state: the main state and its share are of the looks that do.
  let stateless = 0;
  for (const [state, n] of site.states) {
    if (state === 'unknown') {
      stateless += n;
      continue;
    }
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
  const withState = site.observations - stateless;
  if (mainCount < 0) mainState = stateless > 0 ? 'unknown' : '';
  const mainStateShare = withState > 0 ? Math.max(0, mainCount) / withState : 0;

  const lastIndex = series.times.length - 1;
  let survival: number | undefined;
  // Ids may come from some snapshots only (counts-only snapshots in between): the window is theirs.
  const idWindowEnd = site.lastIdsAt ?? lastIndex;
  if (!site.idless && (site.firstIdsAt ?? site.firstSeen) < idWindowEnd && site.firstIds && site.firstIds.size > 0) {
    let alive = 0;
    for (const id of site.firstIds) if (site.lastIds?.has(id)) alive++;
    survival = alive / site.firstIds.size;
  }

  const stepSurvival = site.steps !== undefined && site.steps.seen >= IN_FLIGHT_MIN_SEEN ? site.steps.carried / site.steps.seen : undefined;
  const inFlight = isInFlight(stepSurvival);
  const confirmed = site.leaked > 0;
  const lifetimeComponent = survival ?? 0.5;
  const blockingComponent = blocking ?? 0.5;
  const stuck = stuckEvidence(site, series);
  const stuckValue = stuck?.value ?? 0;
  const outlived = single ? undefined : outlivedEvidence(site, series);
  const outlivedValue = outlived?.value ?? 0;
  const piled = single ? undefined : piledEvidence(site, series);
  const piledValue = piled?.value ?? 0;
  let growth: GrowthStats | undefined;
  let score: number;
  let growthValue = 0;
  let growthEvidence = 0;
  if (single) {
    const size = Math.min(1, site.counts[0]! / 100);
    const waited = site.maxWaitMinutes !== undefined && site.maxWaitMinutes >= 1 ? 1 : 0.5;
    score = Math.min(SINGLE_SNAPSHOT_CAP, Math.max(SINGLE_SNAPSHOT_CAP * size * blockingComponent * waited, 100 * stuckValue));
  } else {
    growth = growthStats(site.counts, series.times);
    growthValue = growthComponent(growth);
    growthEvidence = growthValue * (0.5 + 0.25 * lifetimeComponent + 0.25 * blockingComponent) * (inFlight ? IN_FLIGHT_GROWTH : 1);
    score = 100 * (1 - (1 - growthEvidence) * (1 - stuckValue) * (1 - outlivedValue) * (1 - piledValue));
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
    evidence: { growth: growthEvidence, stuck: stuckValue, outlived: outlivedValue, piled: piledValue, proof: confirmed },
  };
  if (stuck !== undefined) suspect.stuck = stuck;
  if (outlived !== undefined) suspect.outlived = outlived;
  if (piled !== undefined) suspect.piled = piled;
  if (growth) suspect.growth = growth;
  if (survival !== undefined) suspect.survival = survival;
  if (stepSurvival !== undefined) suspect.stepSurvival = stepSurvival;
  if (blocking !== undefined) suspect.blocking = blocking;
  suspect.explanation = explain(suspect, series);
  return suspect;
}

/** "+52/min over 6 snapshots (3 → 310), rising at every step; 98% survive the window; all blocked on chan receive" */
export function explain(s: Suspect, series: SeriesResult): string {
  const parts: string[] = [];
  const taskWords: TaskWords = series.runtime === 'go' ? ['goroutine', 'goroutines'] : ['resource', 'resources'];
  if (s.confirmed) parts.push(`${s.site.leaked} confirmed leaked by the Go runtime`);
  const n = series.times.length;
  if (s.growth === undefined) {
    parts.push(`${s.site.counts[0]} ${pluralWord(s.site.counts[0]!, ...taskWords)} in one snapshot, growth unknown`);
  } else {
    const g = s.growth;
    const rate = `${g.perMinute >= 0 ? '+' : '-'}${formatRate(Math.abs(g.perMinute))}/min`;
    let trend: string;
    if (g.net === 0 && g.up === 0 && g.down === 0) trend = 'flat';
    else if (g.up === g.steps) trend = 'rising at every step';
    else if (g.down === g.steps) trend = 'falling at every step';
    else if (g.up === 0) trend = `falling in ${g.down} of ${g.steps} steps`;
    else trend = `rising in ${g.up} of ${g.steps} steps${g.down > 0 ? `, falling in ${g.down}` : ''}`;
    parts.push(`${rate} over ${n} snapshots (${g.first} → ${g.last}), ${trend}`);
  }
  const placed = s.site.placedFromCensus;
  if (placed !== undefined) {
    parts.push(
      `${placed.snapshots} of the ${n} counts are estimates: this site's share (${formatPercent(placed.share)}) of the new pending promises counted before the agent's sampling saw where they were made`,
    );
  }
  if (isUnplacedSite(s.site)) parts.push("the agent's sampled windows caught none of them being made: --track all places each one");
  if (isInFlight(s.stepSurvival) && s.growth !== undefined && s.growth.net > 0) {
    parts.push(`${formatPercent(s.stepSurvival!)} last from one look to the next: work in flight piling up, not resources kept`);
  }
  if (s.survival !== undefined) {
    parts.push(`${formatPercent(s.survival)} survive the window`);
  } else if (s.site.idless && s.growth !== undefined) {
    parts.push(`lifetime unknown (${whyNoIds(s.site, series)})`);
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
  parts.push(...explainStuck(s, series, taskWords));
  if (s.outlived !== undefined) parts.push(explainOutlived(s.outlived));
  if (s.piled !== undefined) parts.push(explainPiled(s.piled));
  if (s.site.leakMarkSetAside !== undefined) {
    parts.push(`${s.site.leakMarkSetAside.count} marked leaked by the Go runtime, set aside: ${s.site.leakMarkSetAside.reason}`);
  }
  return parts.join('; ');
}

/**
 * Why an id-less site's tasks cannot be followed from look to look. Within
 * an input that has ids, a Go site's id-less tasks were counted past a
 * dump's 64 MiB cut; a Node site's, by the hook-free census (which names a
 * resource, not a stack: a frame with no file, or resource words beyond its
 * kind's) or folded into per-site counts past the agent's --max-tracked.
 */
function whyNoIds(site: SiteSeries, series: SeriesResult): string {
  if (series.idClock.every((clock) => clock === undefined)) return 'no task ids in this input';
  if (site.firstIdsAt === undefined) return 'seen only in snapshots that count tasks without ids';
  if (series.runtime === 'go') return 'some counted past the 64 MiB cut of a dump, without ids';
  const kindWords = new Set(site.kinds.map((k) => kindInWords(k.kind)));
  const census =
    site.exampleStack.every((frame) => frame.file === '') ||
    site.labels.some((set) => set.labels.resource !== undefined && !kindWords.has(set.labels.resource));
  return census ? 'counted by the census, no ids' : "some folded into counts past the agent's --max-tracked, no ids";
}

/**
 * A site whose tasks almost never last from one look to the next is work
 * in flight: its count grows when work arrives faster than it finishes (a
 * traffic ramp, a starved CPU), and falls back when that ends. A leak keeps
 * what it made. Its growth counts at a quarter (docs/scoring.md).
 */
const IN_FLIGHT_BELOW = 0.05;
const IN_FLIGHT_GROWTH = 0.25;
/** Fewer tasks than this over all steps say too little to call a site in flight. */
const IN_FLIGHT_MIN_SEEN = 10;

function isInFlight(stepSurvival: number | undefined): boolean {
  return stepSurvival !== undefined && stepSurvival < IN_FLIGHT_BELOW;
}

/** Below this the stuck evidence is not worth a word in the line. */
const STUCK_SHOWN = 0.1;

/** The runtime's word for a task, singular and plural. */
type TaskWords = [one: string, many: string];

/** "no progress: the same 300 goroutines in the same frame at all 12 looks over 55s; a lock ...; created ..." */
function explainStuck(s: Suspect, series: SeriesResult, [one, many]: TaskWords): string[] {
  const stuck = s.stuck;
  if (stuck === undefined || stuck.value < STUCK_SHOWN) return [];
  const parts: string[] = [];
  const how = stuck.fromRuntimeWait
    ? `waiting at least ${Math.floor(stuck.minutes)} min by the runtime's clock`
    : `at all ${stuck.looks} looks over ${formatMinutes(stuck.minutes)}`;
  const churn = stuck.noProgress < 0.995 ? `, ${formatPercent(1 - stuck.noProgress)} of the site's ${many} moved or left` : ', none moved or left';
  parts.push(`no progress: the same ${stuck.count} ${pluralWord(stuck.count, one, many)} in the same frame ${how}${churn}`);
  if (stuck.meaning >= 0.5) parts.push(`${stuck.state}: ${stuck.says}`);
  const d = stuck.dating;
  if (d !== undefined) {
    const tenths = Math.round(d.spread * 9) + 1;
    const shape = d.startedWithProcess
      ? 'started with the process'
      : d.accumulation >= 0.5
        ? `made steadily over ${tenths} of the 10 tenths of the process's ids: accumulating`
        : d.idsPerMinute !== undefined && (d.newestId - d.oldestId) / d.idsPerMinute < seriesMinutesOf(s)
          ? `made within about ${formatMinutes((d.newestId - d.oldestId) / d.idsPerMinute)}`
          : `made over ${tenths} of the 10 tenths of the process's ids`;
    parts.push(`ids ${d.oldestId}–${d.newestId} of ${d.clock}: ${shape}${whenCreated(s, d, series)}`);
  }
  if (stuck.share >= 0.5) parts.push(`${formatPercent(stuck.share)} of all ${many}`);
  return parts;
}

/**
 * When the stuck tasks were made. The id dating counts back from the look
 * the site was first seen at with ids, at the rate the process made new
 * tasks while watched: "before the first look" only when that look is the
 * first. A site the first look found empty made them inside the window,
 * and the looks on either side say when better than the ids do (Go hands
 * out ids in per-processor batches, so a burst's ids can reach far back).
 */
function whenCreated(s: Suspect, d: IdDating, series: SeriesResult): string {
  const firstIndex = s.site.staying?.firstIndex ?? 0;
  const startedAt = series.times[0]!;
  const intoWindow = (index: number) => formatMinutes((series.times[index]! - startedAt) / 60_000);
  // Only a look with ids says the site was empty: a counts-only look files
  // tasks under keys without their creators (staying.ts).
  const emptyAt = (index: number) => s.site.counts[index] === 0 && series.idClock[index] !== undefined;
  if (emptyAt(0)) {
    let emptyBefore = 0;
    for (let i = firstIndex - 1; i > 0; i--) {
      if (emptyAt(i)) {
        emptyBefore = i;
        break;
      }
    }
    return `, created between the looks at ${intoWindow(emptyBefore)} and ${intoWindow(firstIndex)} into the window`;
  }
  if (d.idsPerMinute === undefined) return '';
  const look = firstIndex === 0 ? 'the first look' : `the look at ${intoWindow(firstIndex)}`;
  const made = series.runtime === 'go' ? 'goroutines' : 'async resources';
  return `, created ${formatAgo(d.oldestMinutesAgo!, d.newestMinutesAgo!)} before ${look}, at the rate the process made new ${made} while watched (${formatRate(d.idsPerMinute)}/min)`;
}

/** "outlived: 600 repeating timers made over 5s, none cleared in 55s where a healthy site clears them as fast as it makes them (about 6064 in that time), more than the 1 open connection" */
function explainOutlived(o: OutlivedEvidence): string {
  const expected = o.spanMinutes > 0 ? (o.count * o.windowMinutes) / o.spanMinutes : o.count;
  const connections = `${o.connections} open ${pluralWord(o.connections, 'connection')}`;
  return `outlived: ${o.count} repeating ${pluralWord(o.count, 'timer')} made over ${formatMinutes(o.spanMinutes)}, none cleared in ${formatMinutes(o.windowMinutes)} where a healthy site clears them as fast as it makes them (about ${formatRate(expected)} in that time), more than the ${connections}`;
}

/** "piled on one emitter: 849 copies of this listener for its event, never fewer at 12 looks, more than its limit of 10, past which Node warns of a possible leak, and the 4 open connections" */
function explainPiled(p: PiledEvidence): string {
  const connections = `${p.connections} open ${pluralWord(p.connections, 'connection')}`;
  return `piled on one emitter: ${p.copies} copies of this listener for its event, never fewer at ${p.looks} looks, more than its limit of ${p.limit}, past which Node warns of a possible leak, and the ${connections}`;
}

function seriesMinutesOf(s: Suspect): number {
  return s.stuck?.windowMinutes ?? 0;
}

function formatMinutes(minutes: number): string {
  if (minutes < 2) return `${Math.round(minutes * 60)}s`;
  return `${Math.round(minutes)} min`;
}

function formatAgo(oldest: number, newest: number): string {
  const o = formatMinutes(oldest);
  const n = formatMinutes(newest);
  return o === n ? `about ${o}` : `about ${o} to ${n}`;
}

function formatRate(perMinute: number): string {
  if (perMinute >= 10) return String(Math.round(perMinute));
  if (perMinute >= 1) return perMinute.toFixed(1).replace(/\.0$/, '');
  return perMinute.toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
}

function formatPercent(share: number): string {
  return `${Math.round(share * 100)}%`;
}
