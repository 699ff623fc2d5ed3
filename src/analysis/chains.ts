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
 * - promise sites anchored in the same function of the program, called
 *   from the same frames, are one chain: the call that made them is the
 *   same, so the fix is the same;
 * - a promise site whose function is on another's call path, growing in
 *   step with it, is a caller awaiting it (its async function's promise,
 *   its `.then` or `.catch`): pending because the callee is. The callee,
 *   where the promise is made or stuck, is the one listed;
 * - a listener site of Node's own code whose file the chain's stacks pass
 *   through (node:events), and that grew in step with the chain (its
 *   growth at each step a constant multiple of the chain's), is the chain's
 *   listeners.
 *
 * The site with the highest score is the one listed (among equals the
 * deepest call, then the one that holds the most); the others are kept
 * with it (`sameLeak`) and said in its lines, and no longer count as
 * suspects of their own (check fails on the leak once).
 */
import type { SeriesResult, SiteSeries } from './series.js';
import type { Suspect } from './score.js';
import type { Frame } from '../model/format.js';
import { isNodeInternalFrame } from '../model/runtime-frames.js';

/** The score from which a site is a suspect (docs/scoring.md); quieter sites are left as they are. */
const SUSPECT_FROM = 30;
/** Caller frames compared below the anchor: enough to tell call paths apart, few enough to survive stack-depth cuts. */
const CALLERS_COMPARED = 6;
/** How far a listener site's growth may stray from a constant multiple of the chain's and still be in step. */
const IN_STEP_TOLERANCE = 0.2;

export type SameLeakReason = 'the same async call' | 'a caller awaiting it' | 'its listeners, growing in step';

export interface SameLeak {
  suspect: Suspect;
  reason: SameLeakReason;
}

const isAnonymous = (frame: Frame): boolean => frame.fn === '' || frame.fn === '(anonymous)';
const sameFrame = (a: Frame, b: Frame): boolean => a.fn === b.fn && a.file === b.file && a.line === b.line;

/** The frames below the site's anchor in its example stack (its callers), or undefined without an anchor in it. */
function callersOf(site: SiteSeries): Frame[] | undefined {
  const anchor = site.anchor;
  if (anchor === undefined) return undefined;
  const at = site.exampleStack.findIndex((f) => sameFrame(f, anchor));
  return at < 0 ? undefined : site.exampleStack.slice(at + 1, at + 1 + CALLERS_COMPARED);
}

function holdsOnly(site: SiteSeries, kind: string): boolean {
  return site.kinds.length > 0 && site.kinds.every((k) => k.kind === kind);
}

/** Two promise sites made by the same call: same function of the program, same callers (as deep as both stacks go). */
function sameCall(a: SiteSeries, b: SiteSeries): boolean {
  if (!a.userCode || !b.userCode || a.anchor === undefined || b.anchor === undefined) return false;
  if (a.anchor.fn !== b.anchor.fn || a.anchor.file !== b.anchor.file) return false;
  // Two anonymous functions of one file are told apart only by where they are.
  if (isAnonymous(a.anchor) && a.anchor.line !== b.anchor.line) return false;
  const ca = callersOf(a);
  const cb = callersOf(b);
  if (ca === undefined || cb === undefined) return false;
  const n = Math.min(ca.length, cb.length);
  if (n === 0 && ca.length !== cb.length) return false;
  for (let i = 0; i < n; i++) if (!sameFrame(ca[i]!, cb[i]!)) return false;
  return true;
}

/** A frame of `caller`'s function on `site`'s call path (below its anchor): named functions by name, anonymous ones by their line too. */
function calledFrom(site: SiteSeries, caller: Frame): boolean {
  const path = callersOf(site);
  if (path === undefined) return false;
  return path.some((f) => f.fn === caller.fn && f.file === caller.file && (!isAnonymous(caller) || f.line === caller.line));
}

/**
 * A promise site of a caller that awaits another leaking promise site: the
 * caller's own promise (or its `.then`/`.catch`) stays pending because the
 * callee's does. Made on the same call path and growing in step.
 */
function awaits(caller: SiteSeries, callee: SiteSeries): boolean {
  return caller.userCode && caller.anchor !== undefined && calledFrom(callee, caller.anchor) && growsInStep(callee.counts, caller.counts);
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

/** A listener site with no frame of the program, in one of `files`. */
function isNodeListenerIn(site: SiteSeries, files: ReadonlySet<string>): boolean {
  return holdsOnly(site, 'listener') && site.anchor !== undefined && !site.userCode && files.has(site.anchor.file);
}

/** The suspects with each leak's other sites folded into the one that holds the most; order kept. */
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
    // The listed one keeps the chain's highest score (so check fails on the
    // leak exactly as it did on its sites); among equals, it is where the
    // promises are made or stuck: a site that awaits no other member (the
    // deepest call), then the one that holds the most.
    const awaitsAnother = (c: Suspect) => chain.some((o) => o !== c && awaits(c.site, o.site));
    const head = [...chain].sort((a, b) => b.score - a.score || Number(awaitsAnother(a)) - Number(awaitsAnother(b)) || held(b) - held(a))[0]!;
    head.sameLeak = chain
      .filter((o) => o !== head)
      .map((o) => ({ suspect: o, reason: sameCall(o.site, head.site) ? 'the same async call' : 'a caller awaiting it' }));
    for (const o of chain) if (o !== head) folded.add(o);
  }
  for (const head of promiseSites) {
    if (folded.has(head)) continue;
    const chain = [head, ...(head.sameLeak ?? []).map((m) => m.suspect)];
    const files = nodeFilesOf(chain);
    if (files.size === 0) continue;
    const total = head.site.counts.map((_, i) => chain.reduce((sum, s) => sum + s.site.counts[i]!, 0));
    for (const s of candidates) {
      // Never under a lower score: check must fail on the leak whenever it failed on one of its sites.
      if (folded.has(s) || s === head || s.score > head.score || !isNodeListenerIn(s.site, files) || !growsInStep(total, s.site.counts)) continue;
      (head.sameLeak ??= []).push({ suspect: s, reason: 'its listeners, growing in step' });
      folded.add(s);
    }
  }
  return suspects.filter((s) => !folded.has(s));
}
