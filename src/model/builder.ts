import { SNAPSHOT_FORMAT, SNAPSHOT_VERSION } from './format.js';
import type { Frame, Runtime, Snapshot, SnapshotSource, Task } from './format.js';

/**
 * Builds a Snapshot while interning frames and stacks, so that parsers can
 * add tasks one at a time without ever holding duplicate frames.
 */
export class SnapshotBuilder {
  readonly frames: Frame[] = [];
  readonly stacks: number[][] = [];
  readonly tasks: Task[] = [];
  readonly warnings: string[] = [];
  /** See Snapshot.watchedShare. */
  watchedShare: number | undefined;
  private readonly frameIds = new Map<string, number>();
  /** Stack ids by a hash of their frame ids: no string is built per task. */
  private readonly stackBuckets = new Map<number, number[]>();

  constructor(
    readonly runtime: Runtime,
    public source: SnapshotSource = {},
  ) {}

  /** Index of the frame (fn, file, line), adding it on first sight. */
  frame(fn: string, file: string, line: number): number {
    const key = `${fn}\u0000${file}\u0000${line}`;
    let id = this.frameIds.get(key);
    if (id === undefined) {
      id = this.frames.length;
      this.frames.push({ fn, file, line });
      this.frameIds.set(key, id);
    }
    return id;
  }

  /** Index of the stack made of these frame indices, innermost first. */
  stack(frameIds: readonly number[]): number {
    let hash = frameIds.length;
    for (const frame of frameIds) hash = Math.imul(hash ^ frame, 0x9e3779b1) ^ (hash >>> 15);
    hash &= 0x3fffffff; // small enough for V8 to keep unboxed: no heap number per lookup
    const bucket = this.stackBuckets.get(hash);
    if (bucket !== undefined) {
      for (const id of bucket) if (sameIds(this.stacks[id]!, frameIds)) return id;
    }
    const id = this.stacks.length;
    this.stacks.push(frameIds.slice());
    if (bucket === undefined) this.stackBuckets.set(hash, [id]);
    else bucket.push(id);
    return id;
  }

  addTask(task: Task): void {
    this.tasks.push(task);
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  build(takenAt: number = Date.now()): Snapshot {
    const snapshot: Snapshot = {
      format: SNAPSHOT_FORMAT,
      version: SNAPSHOT_VERSION,
      runtime: this.runtime,
      takenAt,
      source: this.source,
      frames: this.frames,
      stacks: this.stacks,
      tasks: this.tasks,
    };
    if (this.warnings.length > 0) snapshot.warnings = this.warnings;
    if (this.watchedShare !== undefined) snapshot.watchedShare = this.watchedShare;
    return snapshot;
  }
}

/** Number of tasks a snapshot stands for, counting aggregated entries. */
export function taskTotal(snapshot: Snapshot): number {
  let total = 0;
  for (const task of snapshot.tasks) total += task.count ?? 1;
  return total;
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
