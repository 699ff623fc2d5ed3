/**
 * Reading and writing snapshot files (see format.ts for the format itself).
 * JSON, gzip-compressed when the name ends in ".gz"; written atomically.
 */
import { gzipSync } from 'node:zlib';
import { SNAPSHOT_FORMAT, SNAPSHOT_VERSION } from './format.js';
import type { Snapshot, Task } from './format.js';
import { copyDictionary } from './dictionary.js';
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
    throw new InputError(`${name}: snapshot format version ${s.version} is newer than this leakscan reads (${SNAPSHOT_VERSION}); upgrade leakscan`);
  }
  if (s.runtime !== 'go' && s.runtime !== 'node') throw new InputError(`${name}: ${runtimeProblem(s.runtime)}`);
  if (!Array.isArray(s.frames) || !Array.isArray(s.stacks) || !Array.isArray(s.tasks)) {
    throw new InputError(`${name}: snapshot is missing frames, stacks or tasks`);
  }
  // A time a Date can hold, not before the epoch: everything downstream prints it.
  if (typeof s.takenAt !== 'number' || !(s.takenAt >= 0 && s.takenAt <= MAX_DATE_MS)) {
    throw new InputError(`${name}: snapshot has no valid takenAt time (milliseconds since 1970)`);
  }
  if (s.watchedShare !== undefined && (typeof s.watchedShare !== 'number' || !(s.watchedShare >= 0 && s.watchedShare <= 1))) {
    throw new InputError(`${name}: snapshot has a watchedShare that is not a share from 0 to 1`);
  }
  s.source ??= {};
  checkSource(s.source, name);
  if (s.warnings !== undefined && (!Array.isArray(s.warnings) || s.warnings.some((w) => typeof w !== 'string'))) {
    throw new InputError(`${name}: snapshot has warnings that are not text`);
  }
  checkReferences(s, name);
  return s;
}

/** What is wrong with a snapshot's runtime field, in words: it may be missing or any JSON value. */
function runtimeProblem(runtime: unknown): string {
  const wanted = 'leakscan reads "go" and "node" snapshots';
  if (runtime === undefined || runtime === null) return `snapshot names no runtime (a damaged snapshot file?); ${wanted}`;
  if (typeof runtime !== 'string') return `snapshot has a runtime that is not text; ${wanted}`;
  const shown = runtime.length > 40 ? `${runtime.slice(0, 37)}...` : runtime;
  return `snapshot is of runtime ${JSON.stringify(shown)}; ${wanted}`;
}

/** The largest time a JavaScript Date holds (ECMA-262 21.4.1.1). */
const MAX_DATE_MS = 8.64e15;

const SOURCE_TEXT_FIELDS = ['url', 'file', 'command', 'runtimeVersion', 'profile'] as const;

function checkSource(source: unknown, name: string): void {
  if (typeof source !== 'object' || source === null || Array.isArray(source)) throw new InputError(`${name}: snapshot has a malformed source`);
  const { pid } = source as { pid?: unknown };
  if (pid !== undefined && !(Number.isSafeInteger(pid) && (pid as number) > 0)) throw new InputError(`${name}: snapshot has a pid that is not a process id`);
  for (const field of SOURCE_TEXT_FIELDS) {
    const value = (source as Record<string, unknown>)[field];
    if (value !== undefined && typeof value !== 'string') throw new InputError(`${name}: snapshot has a source ${field} that is not text`);
  }
}

const TASK_TEXT_FIELDS = ['id', 'creatorId', 'lineage'] as const;
const TASK_NUMBER_FIELDS = ['waitMinutes', 'ageMs'] as const;

/** Optional task fields of the right type; labels become null-prototype dictionaries of text. */
function checkTaskFields(task: Task, name: string): void {
  for (const field of TASK_TEXT_FIELDS) {
    if (task[field] !== undefined && typeof task[field] !== 'string') throw new InputError(`${name}: snapshot has a task whose ${field} is not text`);
  }
  for (const field of TASK_NUMBER_FIELDS) {
    const value = task[field];
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value))) {
      throw new InputError(`${name}: snapshot has a task whose ${field} is not a number`);
    }
  }
  if (task.onOneEmitter !== undefined) {
    const pile = task.onOneEmitter as unknown as Record<string, unknown> | null;
    const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
    if (typeof pile !== 'object' || pile === null || !isCount(pile.copies) || !isCount(pile.limit)) {
      throw new InputError(`${name}: snapshot has a task whose listeners on one emitter are not counts`);
    }
  }
  if (task.labels !== undefined) {
    const labels = task.labels as unknown;
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels) || Object.values(labels).some((v) => typeof v !== 'string')) {
      throw new InputError(`${name}: snapshot has a task whose labels are not text`);
    }
    task.labels = copyDictionary(task.labels);
  }
}

/** Every index must point at something: a bad file fails here, not deep in analysis. */
function checkReferences(s: Snapshot, name: string): void {
  const frameCount = s.frames.length;
  for (const frame of s.frames) {
    if (typeof frame?.fn !== 'string' || typeof frame.file !== 'string' || !Number.isSafeInteger(frame.line) || frame.line < 0) {
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
    if (task.count !== undefined && (!Number.isSafeInteger(task.count) || task.count < 0)) {
      throw new InputError(`${name}: snapshot has a task with an invalid count`);
    }
    checkTaskFields(task, name);
  }
}
