/**
 * Ties the count profile (`goroutine?debug=1`: counts per stack) to full
 * dumps (`debug=2`), so that a goroutine lands on the same site whichever
 * view it was read from.
 *
 * The two views print a stack differently: debug=1 hides the runtime frames
 * at the top (runtime.gopark, runtime.chanrecv) and has no `created by`
 * frame, which site keys and the flamegraph's creator root use. Stacks are
 * matched by their frames without runtime ones (fn and line, as labels.ts
 * matches them), and each counted stack gets the creator its goroutines had
 * in the latest full dump. A stack that several places create (one worker
 * function started from two `go` statements) is split between its creators
 * in the proportions of that dump: the split is an estimate, exact again at
 * the next full dump.
 *
 * A counted stack the full dump did not have (a goroutine caught at another
 * line of the same function, a stack the dump elided past 100 frames, the
 * goroutine serving the request) takes the creators of the goroutines
 * anchored at the same function (model/site.ts) in that dump.
 */
import type { Frame, Snapshot, Task } from '../../model/format.js';
import { stackSignatures } from '../../formats/go/labels.js';
import { CodeClassifier, anchorFrame } from '../../model/site.js';

interface CreatorShare {
  /** Undefined for goroutines with no `created by` (the main goroutine). */
  creator: Frame | undefined;
  goroutines: number;
}

export class CreatorTable {
  private byStack = new Map<string, CreatorShare[]>();
  private byAnchor = new Map<string, CreatorShare[]>();
  /** When the full dump the table was learned from was taken; undefined before any. */
  learnedAt: number | undefined;

  /** Replaces what was known with the creators of this full dump. */
  learn(full: Snapshot): void {
    const byStack = new Map<string, CreatorShare[]>();
    const byAnchor = new Map<string, CreatorShare[]>();
    const signature = stackSignatures(full);
    const anchor = anchorFunctions(full);
    for (const task of full.tasks) {
      if (task.id === undefined) continue; // a count added beyond a cut: no creator of its own
      const creatorStack = task.createdBy === undefined ? undefined : full.stacks[task.createdBy];
      const creator = creatorStack && creatorStack.length > 0 ? full.frames[creatorStack[0]!] : undefined;
      addShare(byStack, signature(task.stack), creator, task.count ?? 1);
      addShare(byAnchor, anchor(task.stack), creator, task.count ?? 1);
    }
    this.byStack = byStack;
    this.byAnchor = byAnchor;
    this.learnedAt = full.takenAt;
  }

  /** Gives the counted tasks of a count-profile snapshot their creators. */
  apply(counts: Snapshot): void {
    const interner = new Interner(counts);
    const signature = stackSignatures(counts);
    const anchor = anchorFunctions(counts);
    const tasks: Task[] = [];
    for (const task of counts.tasks) {
      // No frame to match: it has no site, so no creator to learn either.
      const shares = task.notStarted === true ? undefined : (this.byStack.get(signature(task.stack)) ?? this.byAnchor.get(anchor(task.stack)));
      if (shares === undefined) {
        tasks.push(task);
        continue;
      }
      const parts = apportion(
        task.count ?? 1,
        shares.map((s) => s.goroutines),
      );
      shares.forEach((share, i) => {
        if (parts[i] === 0) return;
        const part: Task = { ...task, count: parts[i]! };
        if (share.creator) part.createdBy = interner.stack([interner.frame(share.creator)]);
        tasks.push(part);
      });
    }
    counts.tasks = tasks;
  }
}

/**
 * A full dump cut at 64 MiB lacks the goroutines past the cut; the count
 * profile taken with it has them all. Adds, per stack, what the count
 * profile counted beyond the dump, as counted tasks without ids (state
 * "unknown"), with the creators this dump shows for that stack.
 */
export function addCountsBeyondCut(full: Snapshot, counts: Snapshot, creators: CreatorTable): void {
  const fullSignature = stackSignatures(full);
  const inDump = new Map<string, number>();
  for (const task of full.tasks) {
    const key = fullSignature(task.stack);
    inDump.set(key, (inDump.get(key) ?? 0) + (task.count ?? 1));
  }
  const countSignature = stackSignatures(counts);
  const counted = new Map<string, { task: Task; total: number; sameLabels: boolean }>();
  for (const task of counts.tasks) {
    // The dump prints a goroutine not yet run with its wrapper frame, which
    // the count profile lacks: matched by stack, it would count twice.
    if (task.notStarted === true) continue;
    const key = countSignature(task.stack);
    const seen = counted.get(key);
    if (seen === undefined) counted.set(key, { task, total: task.count ?? 1, sameLabels: true });
    else {
      seen.total += task.count ?? 1;
      if (JSON.stringify(seen.task.labels) !== JSON.stringify(task.labels)) seen.sameLabels = false;
    }
  }
  const beyond: Snapshot = { ...counts, tasks: [] };
  for (const [key, { task, total, sameLabels }] of counted) {
    const missing = total - (inDump.get(key) ?? 0);
    if (missing <= 0) continue;
    const extra: Task = { kind: 'goroutine', state: 'unknown', stack: task.stack, count: missing };
    if (sameLabels && task.labels) extra.labels = task.labels;
    beyond.tasks.push(extra);
  }
  creators.apply(beyond);
  const interner = new Interner(full);
  for (const task of beyond.tasks) {
    const moved: Task = { ...task, stack: interner.copyStack(counts, task.stack) };
    if (task.createdBy !== undefined) moved.createdBy = interner.copyStack(counts, task.createdBy);
    full.tasks.push(moved);
  }
}

function addShare(table: Map<string, CreatorShare[]>, key: string, creator: Frame | undefined, goroutines: number): void {
  let shares = table.get(key);
  if (shares === undefined) table.set(key, (shares = []));
  const share = shares.find((s) => sameFrame(s.creator, creator));
  if (share) share.goroutines += goroutines;
  else shares.push({ creator, goroutines });
}

/** The function a stack's site is anchored at, cached per stack index. */
function anchorFunctions(snapshot: Snapshot): (stack: number) => string {
  const code = new CodeClassifier('go', snapshot.frames);
  const cache = new Map<number, string>();
  return (stack) => {
    let fn = cache.get(stack);
    if (fn === undefined) {
      fn = anchorFrame(code, snapshot.frames, snapshot.stacks[stack] ?? [])?.fn ?? '';
      cache.set(stack, fn);
    }
    return fn;
  };
}

/** Splits n in proportion to weights, in whole numbers that sum to n (largest remainders). */
export function apportion(n: number, weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (total <= 0) return weights.map((_, i) => (i === 0 ? n : 0));
  const exact = weights.map((w) => (n * w) / total);
  const parts = exact.map(Math.floor);
  let left = n - parts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    parts[i]!++;
  }
  return parts;
}

function sameFrame(a: Frame | undefined, b: Frame | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.fn === b.fn && a.file === b.file && a.line === b.line);
}

/** Adds frames and stacks to an existing snapshot without duplicating those it has. */
class Interner {
  private readonly frames = new Map<string, number>();
  private readonly stacks = new Map<string, number>();

  constructor(private readonly snapshot: Snapshot) {
    snapshot.frames.forEach((f, i) => this.frames.set(frameKey(f), i));
    snapshot.stacks.forEach((s, i) => this.stacks.set(s.join(','), i));
  }

  frame(frame: Frame): number {
    const key = frameKey(frame);
    let id = this.frames.get(key);
    if (id === undefined) {
      id = this.snapshot.frames.push({ fn: frame.fn, file: frame.file, line: frame.line }) - 1;
      this.frames.set(key, id);
    }
    return id;
  }

  stack(frameIds: number[]): number {
    const key = frameIds.join(',');
    let id = this.stacks.get(key);
    if (id === undefined) {
      id = this.snapshot.stacks.push(frameIds) - 1;
      this.stacks.set(key, id);
    }
    return id;
  }

  /** The index here of stack `stack` of another snapshot. */
  copyStack(from: Snapshot, stack: number): number {
    return this.stack((from.stacks[stack] ?? []).map((id) => this.frame(from.frames[id]!)));
  }
}

function frameKey(frame: Frame): string {
  return `${frame.fn}\u0000${frame.file}\u0000${frame.line}`;
}
