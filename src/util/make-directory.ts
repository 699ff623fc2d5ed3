import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { OutputError } from './errors.js';
import { describeFsError } from './atomic-write.js';

/**
 * `mkdir -p` that always ends. Node 20's `mkdir(path, { recursive: true })`
 * never returns on a file system that answers ENOENT to every new name while
 * the parent exists (/proc, /proc/x): it creates the parent (EEXIST), retries
 * the child (ENOENT) and loops. Here each level is tried at most twice, and
 * the failure becomes one line.
 */
export async function makeDirectory(path: string): Promise<void> {
  try {
    await createLevel(path);
  } catch (error) {
    if (error instanceof OutputError) throw error;
    throw new OutputError(`cannot create ${path}: ${describeFsError(error)}`);
  }
}

async function createLevel(path: string): Promise<void> {
  const first = await tryMkdir(path);
  if (first === 'done') return;
  const parent = dirname(path);
  // Only a missing parent is worth climbing for (and the root has none).
  if ((first as NodeJS.ErrnoException).code !== 'ENOENT' || parent === path) throw first;
  await createLevel(parent);
  const second = await tryMkdir(path);
  if (second === 'done') return;
  if ((second as NodeJS.ErrnoException).code === 'ENOENT') {
    // The parent is there and still the name cannot be made: a virtual file system.
    throw new OutputError(`cannot create ${path}: ${parent} does not allow new directories (a virtual file system such as /proc or /sys?)`);
  }
  throw second;
}

/** 'done' when `path` is a directory now; otherwise the error, ENOENT meaning "try the parent first". */
async function tryMkdir(path: string): Promise<'done' | Error> {
  try {
    await mkdir(path);
    return 'done';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') return error as Error;
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory()) return 'done';
    return new OutputError(`cannot create ${path}: it exists and is not a directory`);
  }
}
