/**
 * One leak, one suspect. A Node leak often leaves several kinds of thing
 * pending at once, each a site of its own by its creation stack:
 *
 * - an async function that never finishes leaves its own promise (placed at
 *   the function's first line) and the promises of the await it is stuck
 *   in (placed at the await's line, some through Node's code such as
 *   `events.once`), all made by the same call;
 * - `await once(emitter, 'event')` for an event that never comes also
 *   leaves the listeners `once` added (Node's own `resolver` and
 *   `errorListener` functions, found by the census with no frame of the
 *   program).
 *
 * Listed apart, one bug takes three or four rows and pushes the next bug
 * off the screen. So, among the suspects (score 30 or more):
 *
 * - promise sites anchored in the same function of the program, reached
 *   by a call path they share, are one chain: the call that made them is
 *   the same, so the fix is the same;
 * - a promise site whose function is on one of another's call paths
 *   (call-paths.ts), growing in step with it, is a caller awaiting it (its
 *   async function's promise, its `.then` or `.catch`): pending because the
 *   callee is. A helper two routes await leaks through both: each route's
 *   promises then grow by a part of the helper's growth at every step, not
 *   in step with all of it, and that is enough. The callee, where the
 *   promise is made or stuck, is the one listed;
 * - a listener site of Node's own code whose file the chain's stacks pass
 *   through (node:events), and that grew in step with the chain or one of
 *   its sites (its growth at each step a constant multiple of theirs), is
 *   the chain's listeners;
 * - a listener site of Node's own code growing in step with any site of
 *   the program: what the program's leaked listener or promise closes over
 *   (a request) keeps the listeners Node put on it (`clearIncoming`, one
 *   per request).
 *
 * The deepest call is the one listed (where the promise is made or stuck),
 * then the one that holds the most, then the later line of one function; it
 * takes the chain's highest score. The others are kept with it (`sameLeak`)
 * and said in its lines, and no longer count as suspects of their own
 * (check fails on the leak once, exactly when it failed on one of them).
 */
import type { SeriesResult, SiteSeries } from './series.js';
import { suspectOrder } from './score.js';
import type { Suspect } from './score.js';
import type { Frame } from '../model/format.js';
import { isNodeInternalFrame } from '../model/runtime-frames.js';
import { samePath } from './call-paths.js';

/** The score from which a site is a suspect (docs/scoring.md); quieter sites are left as they are. */
const SUSPECT_FROM = 30;
/** How far a listener site's growth may stray from a constant multiple of the chain's and still be in step. */
const IN_STEP_TOLERANCE = 0.2;

export type SameLeakReason = 'the same async call' | 'a caller awaiting it' | 'its listeners, growing in step' | "Node's listeners on what it holds";

export interface SameLeak {
  suspect: Suspect;
  reason: SameLeakReason;
}

const isAnonymous = (frame: Frame): boolean => frame.fn === '' || frame.fn === '(anonymous)';

function holdsOnly(site: SiteSeries, kind: string): boolean {
  return site.kinds.length > 0 && site.kinds.every((k) => k.kind === kind);
}

/**
 * Two promise sites made by the same call: same function of the program,
 * reached by a call path they share (as deep as both stacks go).
 */
function sameCall(a: SiteSeries, b: SiteSeries): boolean {
  if (!a.userCode || !b.userCode || a.anchor === undefined || b.anchor === undefined) return false;
  if (a.anchor.fn !== b.anchor.fn || a.anchor.file !== b.anchor.file) return false;
  // Two anonymous functions of one file are told apart only by where they are.
  if (isAnonymous(a.anchor) && a.anchor.line !== b.anchor.line) return false;
  return a.callPaths.some((pa) => b.callPaths.some((pb) => samePath(pa, pb)));
}

/**
 * A frame of `caller`'s function on one of `site`'s call paths (below its
 * anchor). Named functions are matched by name. An anonymous function (an
 * async arrow handler) has no name: its own promise is placed at its first
 * line, and the call it is stuck in at a later line of the same file, so
 * the frame matches when it is at or after the caller's line and the
 * frames below it are the caller's own callers.
 */
function calledFrom(site: SiteSeries, caller: SiteSeries): boolean {
  const anchor = caller.anchor!;
  return site.callPaths.some((path) =>
    path.some((f, j) => {
      if (f.file !== anchor.file || f.fn !== anchor.fn) return false;
      if (!isAnonymous(anchor) || f.line === anchor.line) return true;
      const below = path.slice(j + 1);
      return f.line > anchor.line && below.length > 0 && caller.callPaths.some((own) => samePath(own, below));
    }),
  );
}

/**
 * A promise site of a caller that awaits another leaking promise site: the
 * caller's own promise (or its `.then`/`.catch`) stays pending because the
 * callee's does. Made on one of the callee's call paths, and growing in
 * step with it, or, when the callee has other callers too, by a part of its
 * growth at every step (growsWithin).
 */
function awaits(caller: SiteSeries, callee: SiteSeries): boolean {
  if (!caller.userCode || caller.anchor === undefined || !calledFrom(callee, caller)) return false;
  return growsInStep(callee.counts, caller.counts) || (callee.callPaths.length > 1 && growsWithin(callee.counts, caller.counts));
}

/**
 * Whether `part` grows and its every step lies between nothing and `whole`'s
 * step (within IN_STEP_TOLERANCE of `part`'s movement): the share of a
 * leak that comes through one of its callers. Each of the caller's pending
 * promises waits on one of the callee's, so it cannot grow faster.
 */
export function growsWithin(whole: readonly number[], part: readonly number[]): boolean {
  if (part[part.length - 1]! - part[0]! <= 0) return false;
  let stray = 0;
  let movement = 0;
  for (let i = 1; i < part.length; i++) {
    const dp = part[i]! - part[i - 1]!;
    const dw = whole[i]! - whole[i - 1]!;
    const inside = Math.min(Math.max(dp, Math.min(0, dw)), Math.max(0, dw));
    stray += Math.abs(dp - inside);
    movement += Math.abs(dp);
  }
  return stray <= IN_STEP_TOLERANCE * movement;
}

/**
 * Whether `b`'s growth at every step is the same multiple of `a`'s (within
 * IN_STEP_TOLERANCE of `b`'s total movement): made by the same events.
 */
export function growsInStep(a: readonly number[], b: readonly number[]): boolean {
  const da = a.slice(1).map((n, i) => n - a[i]!);
  const db = b.slice(1).map((n, i) => n - b[i]!);
  const netA = da.reduce((s, d) => s + d, 0);
  const netB = db.reduce((s, d) => s + d, 0);
  if (netA <= 0 || netB <= 0) return false;
  const ratio = netB / netA;
  let stray = 0;
  let movement = 0;
  for (let i = 0; i < da.length; i++) {
    stray += Math.abs(db[i]! - ratio * da[i]!);
    movement += Math.abs(db[i]!);
  }
  return stray <= IN_STEP_TOLERANCE * movement;
}

/** Node's own files the chain's stacks pass through ("node:events"). */
function nodeFilesOf(chain: readonly Suspect[]): Set<string> {
  const files = new Set<string>();
  for (const s of chain) for (const f of s.site.exampleStack) if (f.file !== '' && isNodeInternalFrame(f)) files.add(f.file);
  return files;
}

/** A listener site of Node's own code: no frame of the program. */
function isNodeListener(site: SiteSeries): boolean {
  return holdsOnly(site, 'listener') && site.anchor !== undefined && !site.userCode && isNodeInternalFrame(site.anchor);
}

/** A listener site with no frame of the program, in one of `files`. */
function isNodeListenerIn(site: SiteSeries, files: ReadonlySet<string>): boolean {
  return isNodeListener(site) && files.has(site.anchor!.file);
}

/**
 * Of two sites of one call, the later line first: an async function's own
 * promise is placed at its first line, the promise it is stuck on further
 * down, and that is the line to read.
 */
function laterLine(a: Suspect, b: Suspect): number {
  return (b.site.anchor?.line ?? 0) - (a.site.anchor?.line ?? 0);
}

/** The suspects with each leak's other sites folded into the one to act on, ordered as scoreSites orders them. */
export function foldSameLeaks(suspects: readonly Suspect[], series: SeriesResult): Suspect[] {
  if (series.runtime !== 'node') return [...suspects];
  const last = series.times.length - 1;
  const held = (s: Suspect) => s.site.counts[last]!;
  const candidates = suspects.filter((s) => s.score >= SUSPECT_FROM);
  const folded = new Set<Suspect>();
  const promiseSites = candidates.filter((s) => holdsOnly(s.site, 'PROMISE'));
  for (const s of promiseSites) {
    if (folded.has(s)) continue;
    // The chain grows from `s`: the same call's other promises, and the callers that await them.
    const chain = [s];
    for (let grew = true; grew;) {
      grew = false;
      for (const o of promiseSites) {
        if (folded.has(o) || chain.includes(o)) continue;
        if (chain.some((c) => sameCall(c.site, o.site) || awaits(o.site, c.site) || awaits(c.site, o.site))) {
          chain.push(o);
          grew = true;
        }
      }
    }
    if (chain.length === 1) continue;
    // The listed one is where the promises are made or stuck: a site that
    // awaits no other member (the deepest call), then the one that holds
    // the most, then the later line of one function. Which member happens to
    // score highest is noise between runs, and would list a caller one run
    // and the helper the next.
    const awaitsAnother = (c: Suspect) => chain.some((o) => o !== c && awaits(c.site, o.site));
    const head = [...chain].sort((a, b) => Number(awaitsAnother(a)) - Number(awaitsAnother(b)) || held(b) - held(a) || laterLine(a, b))[0]!;
    head.sameLeak = chain
      .filter((o) => o !== head)
      .map((o) => ({ suspect: o, reason: sameCall(o.site, head.site) ? 'the same async call' : 'a caller awaiting it' }));
    for (const o of chain) if (o !== head) folded.add(o);
    takeStrongestScore(head);
  }
  for (const head of promiseSites) {
    if (folded.has(head)) continue;
    const chain = [head, ...(head.sameLeak ?? []).map((m) => m.suspect)];
    const files = nodeFilesOf(chain);
    if (files.size === 0) continue;
    // In step with the chain as a whole, or with one of its sites: where the
    // chain is one helper under several callers, the sum counts each leaked
    // call several times, while the listeners come one per call.
    const total = head.site.counts.map((_, i) => chain.reduce((sum, s) => sum + s.site.counts[i]!, 0));
    const inStep = (counts: readonly number[]) => growsInStep(total, counts) || chain.some((c) => growsInStep(c.site.counts, counts));
    for (const s of candidates) {
      if (folded.has(s) || s === head || !isNodeListenerIn(s.site, files) || !inStep(s.site.counts)) continue;
      (head.sameLeak ??= []).push({ suspect: s, reason: 'its listeners, growing in step' });
      folded.add(s);
      takeStrongestScore(head);
    }
  }
  // A leaked listener or promise of the program holds what it closes over:
  // a request it captured keeps the listeners Node put on that request
  // (node:_http_server's clearIncoming, one per request), which grow with
  // the program's site, one per leaked thing. The program's site is the
  // one to act on.
  for (const head of candidates) {
    if (folded.has(head) || !head.site.userCode) continue;
    for (const s of candidates) {
      if (folded.has(s) || s === head || !isNodeListener(s.site) || !growsInStep(head.site.counts, s.site.counts)) continue;
      (head.sameLeak ??= []).push({ suspect: s, reason: "Node's listeners on what it holds" });
      folded.add(s);
      takeStrongestScore(head);
    }
  }
  for (const head of suspects) {
    if (head.scoredAs !== undefined) head.explanation += `; scored as ${head.scoredAs.key} of the same leak (its own score ${head.scoredAs.ownScore})`;
  }
  // A listed site may have taken a higher score from its leak: order again, as scoreSites does.
  return suspects.filter((s) => !folded.has(s)).sort(suspectOrder(series));
}

/**
 * The listed site stands for the whole leak, so it scores as the leak's
 * strongest site: check fails on the leak exactly when it failed on one of
 * its sites before they were folded, and its line says whose score it is.
 */
function takeStrongestScore(head: Suspect): void {
  const strongest = (head.sameLeak ?? []).reduce<Suspect | undefined>(
    (best, m) => (m.suspect.score > (best?.score ?? head.score) ? m.suspect : best),
    undefined,
  );
  if (strongest === undefined) return;
  head.scoredAs = { key: strongest.key, ownScore: head.scoredAs?.ownScore ?? head.score };
  head.score = strongest.score;
}
