/**
 * Flamegraph trees for the HTML report, in the shape d3-flame-graph reads
 * ({ name, value, children, delta }) plus the details the report shows for
 * a selected frame.
 *
 * Tasks are aggregated before anything is embedded: one node per distinct
 * path, so a million goroutines in thirty places make a tree of a few
 * hundred nodes. Wide nodes are capped: past `maxChildren` the smallest
 * children are folded into one "(N more)" node, and past `maxNodes` in all,
 * deeper frames are folded into their parent.
 */
import type { Frame, Snapshot, Task } from '../model/format.js';
import { SiteResolver, functionName } from '../model/site.js';
import type { GroupBy } from '../model/site.js';
import { emptyDictionary } from '../model/dictionary.js';

export interface FlameNode {
  /** Function name (what the flamegraph prints). */
  name: string;
  /** Tasks whose stack ends at this node (self value; the report uses selfValue). */
  value: number;
  children?: FlameNode[];
  /** Differential tree: self value now minus self value in the first snapshot. */
  delta?: number;
  /** "file:line" of the frame. */
  f?: string;
  /** Rank of the suspect whose site this node anchors (1 = top suspect). */
  s?: number;
  /** Details of the tasks ending here: states, example ids, longest wait, labels, creators. */
  st?: Record<string, number>;
  ids?: string[];
  wm?: number;
  age?: number;
  lb?: Record<string, string>[];
  cb?: string[];
}

export type TreeRoot = 'stack' | 'creator';

export interface TreeOptions {
  /** Root each path at the task's creator ("created by" frame) or at the stack's outermost frame. */
  root: TreeRoot;
  groupBy: GroupBy;
  /** Site key -> suspect rank, to mark anchor nodes. */
  ranks: Map<string, number>;
  maxChildren: number;
  maxNodes: number;
}

interface Building extends FlameNode {
  childMap?: Map<string, Building>;
}

const EXAMPLE_IDS = 5;
const LABEL_SETS = 3;

export function buildFlameTree(snapshot: Snapshot, options: TreeOptions): FlameNode {
  const root: Building = { name: snapshot.runtime === 'go' ? 'all goroutines' : 'all async resources', value: 0 };
  const resolver = new SiteResolver(snapshot, options.groupBy);
  // Tasks sharing a stack and a creator share a path: walk each path once.
  const groups = new Map<string, Task[]>();
  for (const task of snapshot.tasks) {
    const key = `${task.stack},${task.createdBy ?? ''}`;
    const group = groups.get(key);
    if (group) group.push(task);
    else groups.set(key, [task]);
  }
  let nodes = 1;
  for (const tasks of groups.values()) {
    const first = tasks[0]!;
    const path = pathOf(snapshot, first, options.root);
    const site = resolver.siteOf(first);
    const rank = options.ranks.get(site.key);
    let node = root;
    for (const frame of path) {
      const key = `${frame.fn}\u0000${frame.file}\u0000${frame.line}`;
      node.childMap ??= new Map();
      let child = node.childMap.get(key);
      if (child === undefined) {
        if (nodes >= options.maxNodes) break; // fold what is deeper into this node
        child = { name: functionName(frame), value: 0, f: frame.line > 0 ? `${frame.file}:${frame.line}` : frame.file };
        node.childMap.set(key, child);
        nodes++;
      }
      node = child;
      if (rank !== undefined && site.anchor !== undefined && sameFrame(frame, site.anchor)) node.s = rank;
    }
    for (const task of tasks) addTask(node, task, snapshot);
  }
  return finish(root, options.maxChildren);
}

/** Frames from the root of the flamegraph to the task's innermost frame. */
function pathOf(snapshot: Snapshot, task: Task, root: TreeRoot): Frame[] {
  const frames = (snapshot.stacks[task.stack] ?? []).map((id) => snapshot.frames[id]!).reverse();
  if (root === 'creator' && task.createdBy !== undefined) {
    const creator = snapshot.stacks[task.createdBy]?.[0];
    if (creator !== undefined) {
      const creatorFrame = snapshot.frames[creator]!;
      return [{ ...creatorFrame, fn: `created by ${creatorFrame.fn}` }, ...frames];
    }
  }
  return frames.length > 0 ? frames : [{ fn: '(no stack)', file: '', line: 0 }];
}

function sameFrame(a: Frame, b: Frame): boolean {
  return a.fn === b.fn && a.file === b.file && a.line === b.line;
}

function addTask(node: Building, task: Task, snapshot: Snapshot): void {
  const n = task.count ?? 1;
  node.value += n;
  node.st ??= emptyDictionary<number>(); // states are the target's words: "constructor" too
  node.st[task.state] = (node.st[task.state] ?? 0) + n;
  if (task.id !== undefined && (node.ids ??= []).length < EXAMPLE_IDS) node.ids.push(task.id);
  if (task.waitMinutes !== undefined) node.wm = Math.max(node.wm ?? 0, task.waitMinutes);
  if (task.ageMs !== undefined) node.age = Math.max(node.age ?? 0, task.ageMs);
  if (task.labels !== undefined) {
    node.lb ??= [];
    const text = JSON.stringify(task.labels);
    if (node.lb.length < LABEL_SETS && !node.lb.some((l) => JSON.stringify(l) === text)) node.lb.push(task.labels);
  }
  if (task.createdBy !== undefined) {
    const creator = snapshot.stacks[task.createdBy]?.[0];
    if (creator !== undefined) {
      const f = snapshot.frames[creator]!;
      const text = `${f.fn} ${f.file}:${f.line}`;
      node.cb ??= [];
      if (node.cb.length < LABEL_SETS && !node.cb.includes(text)) node.cb.push(text);
    }
  }
}

/** Turns child maps into arrays, largest first, folding the tail of wide nodes. */
function finish(node: Building, maxChildren: number): FlameNode {
  const { childMap, ...rest } = node;
  const out: FlameNode = rest;
  if (childMap === undefined || childMap.size === 0) return out;
  const children = [...childMap.values()].map((c) => finish(c, maxChildren)).sort((a, b) => total(b) - total(a));
  if (children.length > maxChildren) {
    const kept = children.slice(0, maxChildren - 1);
    const folded = children.slice(maxChildren - 1);
    kept.push({ name: `(${folded.length} more)`, value: folded.reduce((sum, c) => sum + total(c), 0) });
    out.children = kept;
  } else {
    out.children = children;
  }
  return out;
}

export function total(node: FlameNode): number {
  return node.value + (node.children ?? []).reduce((sum, c) => sum + total(c), 0);
}

/**
 * The last snapshot's tree with, on every node, its self value minus the
 * self value of the same path in the first snapshot's tree. Paths that
 * vanished are not drawn (a flamegraph has no room for zero-width frames);
 * the suspects table covers shrinking sites.
 */
export function differentialTree(first: FlameNode, last: FlameNode): FlameNode {
  const before = new Map<string, number>();
  const index = (node: FlameNode, path: string) => {
    before.set(path, node.value);
    for (const child of node.children ?? []) index(child, `${path}\u0001${child.name}\u0000${child.f ?? ''}`);
  };
  index(first, '');
  const diff = (node: FlameNode, path: string): FlameNode => {
    const out: FlameNode = { ...node, delta: node.value - (before.get(path) ?? 0) };
    if (node.children) out.children = node.children.map((c) => diff(c, `${path}\u0001${c.name}\u0000${c.f ?? ''}`));
    return out;
  };
  return diff(last, '');
}
