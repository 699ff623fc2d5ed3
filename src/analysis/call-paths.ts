/**
 * A site's call paths: the frames just below its anchor (its callers) in
 * the stacks of its tasks. One site (a line of the program) can be reached
 * from several places: a helper two routes await is one site with two
 * paths. chains.ts reads them to tell which callers await a leaking site;
 * one example stack would name only one of them.
 */
import type { Frame } from '../model/format.js';

/** Caller frames kept below the anchor: enough to tell call paths apart, few enough to survive stack-depth cuts. */
export const CALLERS_COMPARED = 6;
/** Distinct paths kept per site: a site reached from more places than this is reached from everywhere, and the first ones say enough. */
const MAX_PATHS = 16;

export const sameFrame = (a: Frame, b: Frame): boolean => a.fn === b.fn && a.file === b.file && a.line === b.line;

/** The frames below `anchor` in `stack` (innermost first), or undefined when the anchor is not in it. */
export function callersBelow(stack: readonly Frame[], anchor: Frame): Frame[] | undefined {
  const at = stack.findIndex((f) => sameFrame(f, anchor));
  return at < 0 ? undefined : stack.slice(at + 1, at + 1 + CALLERS_COMPARED);
}

/** Whether one path is the other cut shorter (stacks are cut at a depth, so the shorter one may be a prefix). */
export function samePath(a: readonly Frame[], b: readonly Frame[]): boolean {
  const n = Math.min(a.length, b.length);
  if (n === 0 && a.length !== b.length) return false;
  for (let i = 0; i < n; i++) if (!sameFrame(a[i]!, b[i]!)) return false;
  return true;
}

/** Adds `path` to `paths` unless it is there already or the set is full. */
export function addCallPath(paths: Frame[][], path: Frame[]): void {
  if (paths.length >= MAX_PATHS) return;
  if (paths.some((p) => p.length === path.length && samePath(p, path))) return;
  paths.push(path);
}
