/**
 * Site keys: how tasks are grouped into "the place in the code where tasks
 * pile up". Baselines store these keys, so they must be stable across
 * snapshots, runs, rebuilds and machines:
 *
 * - no addresses, pc offsets, argument words, goroutine ids or columns
 *   (the parsers already drop them);
 * - no directory paths: a CI checkout and a laptop put the same code in
 *   different places, so only the file's base name is used, and only when
 *   grouping by line;
 * - Go function names carry their full import path, which is stable.
 *
 * A site is (anchor frame, creator frame). The anchor is the innermost frame
 * of the task's own code: for Go the innermost frame outside the standard
 * library, so the runtime and library frames of a channel wait or a read do
 * not hide where the user's code is stuck. A stack made only of library code
 * (an idle net/http connection) is anchored at its outermost frame, the
 * goroutine's entry function, which says what it is.
 */
import { isNodeInternalFrame, isNodeLibraryFrame } from './runtime-frames.js';
import type { Frame, Runtime, Snapshot, Task } from './format.js';

export type GroupBy = 'function' | 'line';

export interface Site {
  key: string;
  /** The frame the site is named after. */
  anchor?: Frame;
  /** Go: the `created by` frame. */
  createdBy?: Frame;
}

/**
 * Tells the user's code from the runtime and standard library, for the
 * frames of one snapshot.
 *
 * Go: a frame is standard library when its package path's first element has
 * no dot (unlike "github.com/...") and its file lies under GOROOT/src. GOROOT
 * is learned from the snapshot itself (where runtime.* functions live), so a
 * module named without a dot ("module myservice") is still user code, and a
 * linknamed function (os/signal.signal_recv in runtime/sigqueue.go) is still
 * library. Without a runtime frame to learn from, the file must sit under
 * ".../src/<package path>/".
 */
export class CodeClassifier {
  private readonly goSourceRoots: string[];

  constructor(
    readonly runtime: Runtime,
    frames: readonly Frame[],
  ) {
    this.goSourceRoots = runtime === 'go' ? findGoSourceRoots(frames) : [];
  }

  isLibrary(frame: Frame): boolean {
    return this.runtime === 'go' ? this.isGoStandardLibrary(frame) : isNodeLibraryFrame(frame);
  }

  /** Node's own code (not a dependency): never a creation site worth naming. */
  isInternal(frame: Frame): boolean {
    return this.runtime === 'node' && isNodeInternalFrame(frame);
  }

  private isGoStandardLibrary(frame: Frame): boolean {
    const pkg = goPackagePath(frame.fn);
    if (pkg === '' || pkg === 'main') return false;
    if (pkg.split('/', 1)[0]!.includes('.')) return false;
    if (frame.file === '') return true;
    if (this.goSourceRoots.some((root) => frame.file.startsWith(root))) return true;
    const dir = frame.file.slice(0, frame.file.lastIndexOf('/'));
    // GOROOT/src/net/http/server.go, or net/http/server.go when built with -trimpath.
    return dir.endsWith(`/src/${pkg}`) || dir === pkg;
  }
}

/**
 * GOROOT/src as the snapshot shows it: "/usr/local/go/src/" from a frame
 * like "net/http.(*conn).serve" in "/usr/local/go/src/net/http/server.go".
 */
function findGoSourceRoots(frames: readonly Frame[]): string[] {
  const roots = new Set<string>();
  for (const frame of frames) {
    const pkg = goPackagePath(frame.fn);
    if (pkg === '' || pkg === 'main' || pkg.split('/', 1)[0]!.includes('.')) continue;
    const suffix = `/src/${pkg}/`;
    const at = frame.file.lastIndexOf(suffix);
    if (at >= 0 && frame.file.indexOf('/', at + suffix.length) < 0) roots.add(frame.file.slice(0, at + '/src/'.length));
  }
  return [...roots];
}

/** "github.com/a/b.(*T).M" -> "github.com/a/b"; "main.main.func1" -> "main". */
export function goPackagePath(fn: string): string {
  const slash = fn.lastIndexOf('/');
  const dot = fn.indexOf('.', slash + 1);
  return dot < 0 ? fn : fn.slice(0, dot);
}

/** A frame's function as people read it: V8's "(anonymous)" for a function with no name (an arrow function, a callback). */
export function functionName(frame: Frame): string {
  return frame.fn || '(anonymous)';
}

/** The base name of a path, for keys that must not depend on where code is checked out. */
export function baseName(file: string): string {
  const slash = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return slash < 0 ? file : file.slice(slash + 1);
}

/**
 * Picks the frame a stack is named after (see the module comment). Node:
 * the innermost frame of the user's code, else of a dependency, else the
 * innermost frame at all (a stack of Node internals only).
 */
export function anchorFrame(code: CodeClassifier, frames: readonly Frame[], stack: readonly number[]): Frame | undefined {
  for (const id of stack) {
    const frame = frames[id]!;
    if (!code.isLibrary(frame)) return frame;
  }
  if (code.runtime === 'node') {
    for (const id of stack) {
      const frame = frames[id]!;
      if (!code.isInternal(frame)) return frame;
    }
    return stack.length > 0 ? frames[stack[0]!] : undefined;
  }
  for (let i = stack.length - 1; i >= 0; i--) {
    const frame = frames[stack[i]!]!;
    if (frame.fn !== 'runtime.goexit') return frame;
  }
  return undefined;
}

/**
 * A frame as it appears in a site key. Go functions are named by import
 * path, so the name alone is stable; with --group-by line the file's base
 * name and line are added. Node functions are often anonymous, so their
 * keys always carry the place: the last two path components and the line
 * ("routes/orders.js:42"), which stay the same across checkouts.
 */
export function frameLabel(frame: Frame, groupBy: GroupBy, runtime: Runtime = 'go'): string {
  if (runtime === 'node') {
    const where = frame.line > 0 ? `${shortPath(frame.file)}:${frame.line}` : shortPath(frame.file);
    return where ? `${frame.fn || '(anonymous)'} ${where}` : frame.fn;
  }
  if (groupBy === 'function' && frame.fn !== '') return frame.fn;
  const where = frame.line > 0 ? `${baseName(frame.file)}:${frame.line}` : baseName(frame.file);
  return frame.fn === '' ? where : `${frame.fn} ${where}`;
}

/** The last two components of a path: "lib/server.js". */
export function shortPath(file: string): string {
  const parts = file.split(/[\\/]/);
  return parts.slice(-2).join('/');
}

/**
 * Computes the site of every task of a snapshot, caching per (stack, creator)
 * pair: a snapshot of 100k goroutines usually has a few hundred of them.
 */
export class SiteResolver {
  /** Sites by task kind, stack and creator stack: numbers as keys, no string built per task. */
  private readonly cache = new Map<string, Map<number, Map<number | undefined, Site>>>();
  readonly code: CodeClassifier;

  constructor(
    private readonly snapshot: Snapshot,
    private readonly groupBy: GroupBy = 'function',
  ) {
    this.code = new CodeClassifier(snapshot.runtime, snapshot.frames);
  }

  siteOf(task: Task): Site {
    // Its stack is empty, like a stack the runtime did not print, but it says
    // something else: the goroutine has no place in the code yet.
    if (task.notStarted === true) return { key: `(not started: ${task.kind})` };
    // Stackless tasks are told apart by kind (Node: sockets accepted by native code).
    let byStack = this.cache.get(task.kind);
    if (byStack === undefined) {
      byStack = new Map();
      this.cache.set(task.kind, byStack);
    }
    let byCreator = byStack.get(task.stack);
    if (byCreator === undefined) {
      byCreator = new Map();
      byStack.set(task.stack, byCreator);
    }
    let site = byCreator.get(task.createdBy);
    if (site === undefined) {
      site = this.compute(task);
      byCreator.set(task.createdBy, site);
    }
    return site;
  }

  private compute(task: Task): Site {
    const { frames, stacks } = this.snapshot;
    const anchor = anchorFrame(this.code, frames, stacks[task.stack] ?? []);
    const creatorStack = task.createdBy === undefined ? undefined : stacks[task.createdBy];
    const createdBy = creatorStack && creatorStack.length > 0 ? frames[creatorStack[0]!] : undefined;
    const runtime = this.snapshot.runtime;
    let key = anchor ? frameLabel(anchor, this.groupBy, runtime) : `(no stack: ${task.kind})`;
    if (createdBy) key += ` <- ${frameLabel(createdBy, this.groupBy, runtime)}`;
    const site: Site = { key };
    if (anchor) site.anchor = anchor;
    if (createdBy) site.createdBy = createdBy;
    return site;
  }
}
