/**
 * Reading and writing snapshot files (see format.ts for the format itself).
 * JSON, gzip-compressed when the name ends in ".gz"; written atomically.
 */
import { gzipSync } from 'node:zlib';
import { SNAPSHOT_FORMAT, SNAPSHOT_VERSION } from './format.js';
import type { Snapshot } from './format.js';
import { InputError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';

export async function writeSnapshotFile(path: string, snapshot: Snapshot): Promise<void> {
  const json = JSON.stringify(snapshot);
  await writeFileAtomic(path, path.endsWith('.gz') ? gzipSync(json, { level: 6 }) : json);
}

/** Validates parsed JSON as a snapshot; `name` says where it came from in messages. */
export function snapshotFromJson(value: unknown, name: string): Snapshot {
  if (typeof value !== 'object' || value === null || (value as { format?: unknown }).format !== SNAPSHOT_FORMAT) {
    throw new InputError(`${name}: not a leakscan snapshot (no "format": "${SNAPSHOT_FORMAT}")`);
  }
  const s = value as Snapshot;
  if (typeof s.version !== 'number' || !Number.isInteger(s.version) || s.version < 1) {
    throw new InputError(`${name}: snapshot has no valid version`);
  }
  if (s.version > SNAPSHOT_VERSION) {
    throw new InputError(
      `${name}: snapshot format version ${s.version} is newer than this leakscan reads (${SNAPSHOT_VERSION}); upgrade leakscan`,
    );
  }
  if (s.runtime !== 'go' && s.runtime !== 'node') throw new InputError(`${name}: unknown runtime ${JSON.stringify(s.runtime)}`);
  if (!Array.isArray(s.frames) || !Array.isArray(s.stacks) || !Array.isArray(s.tasks)) {
    throw new InputError(`${name}: snapshot is missing frames, stacks or tasks`);
  }
  if (typeof s.takenAt !== 'number') throw new InputError(`${name}: snapshot has no takenAt time`);
  if (s.watchedShare !== undefined && (typeof s.watchedShare !== 'number' || !(s.watchedShare >= 0 && s.watchedShare <= 1))) {
    throw new InputError(`${name}: snapshot has a watchedShare that is not a share from 0 to 1`);
  }
  checkReferences(s, name);
  s.source ??= {};
  return s;
}

/** Every index must point at something: a bad file fails here, not deep in analysis. */
function checkReferences(s: Snapshot, name: string): void {
  const frameCount = s.frames.length;
  for (const frame of s.frames) {
    if (typeof frame?.fn !== 'string' || typeof frame.file !== 'string' || typeof frame.line !== 'number') {
      throw new InputError(`${name}: snapshot has a malformed frame`);
    }
  }
  for (const stack of s.stacks) {
    if (!Array.isArray(stack) || stack.some((id) => !Number.isInteger(id) || id < 0 || id >= frameCount)) {
      throw new InputError(`${name}: snapshot has a stack that refers to a missing frame`);
    }
  }
  const stackCount = s.stacks.length;
  const validStack = (id: unknown) => Number.isInteger(id) && (id as number) >= 0 && (id as number) < stackCount;
  for (const task of s.tasks) {
    if (typeof task?.kind !== 'string' || typeof task.state !== 'string' || !validStack(task.stack)) {
      throw new InputError(`${name}: snapshot has a malformed task`);
    }
    if (task.createdBy !== undefined && !validStack(task.createdBy)) {
      throw new InputError(`${name}: snapshot has a task whose creator refers to a missing stack`);
    }
    if (task.count !== undefined && (!Number.isInteger(task.count) || task.count < 0)) {
      throw new InputError(`${name}: snapshot has a task with an invalid count`);
    }
  }
}
