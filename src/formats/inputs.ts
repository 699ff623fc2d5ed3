/**
 * Expands command-line inputs (files and directories of snapshots) into an
 * ordered list of files, and loads them one at a time so a long series never
 * sits in memory whole.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Snapshot } from '../model/format.js';
import { InputError } from '../util/errors.js';
import { describeFsError } from '../util/atomic-write.js';
import { loadSnapshotFile } from './load.js';

/** Files of a directory that hold snapshots or dumps (attach writes *.json.gz). */
const SNAPSHOT_FILE = /\.(json|json\.gz|txt|txt\.gz|pb\.gz|pprof|gz)$/;

export async function expandInputs(inputs: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    let info;
    try {
      info = await stat(input);
    } catch (error) {
      throw new InputError(`cannot read ${input}: ${describeFsError(error)}`);
    }
    if (info.isDirectory()) {
      const names = (await readdir(input)).filter((name) => SNAPSHOT_FILE.test(name) && !name.startsWith('.')).sort(naturalOrder);
      if (names.length === 0) throw new InputError(`${input}: no snapshot files in this directory`);
      files.push(...names.map((name) => join(input, name)));
    } else {
      files.push(input);
    }
  }
  return files;
}

/** "s-2" before "s-10". */
function naturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Loads files in order, calling `each` with one snapshot at a time. */
export async function forEachSnapshot(
  files: readonly string[],
  each: (snapshot: Snapshot, file: string, index: number) => void,
  progress?: (done: number, total: number, file: string) => void,
): Promise<void> {
  for (const [index, file] of files.entries()) {
    progress?.(index, files.length, file);
    each(await loadSnapshotFile(file), file, index);
  }
}
