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

/**
 * Creates a directory that did not exist, for output under a predictable
 * name (`leakscan-<pid>-<time>` in the current directory): never an existing
 * directory, never through a symlink planted under that name, since mkdir(2)
 * fails with EEXIST on any existing name, a symlink included (O_EXCL
 * semantics). When the name is taken, `-2`, `-3`, ... is tried. Only the
 * last component is created; its parent must exist. Returns the path made.
 */
export async function makeNewDirectory(path: string): Promise<string> {
  for (let attempt = 1; attempt <= MAX_NAME_ATTEMPTS; attempt++) {
    const candidate = attempt === 1 ? path : `${path}-${attempt}`;
    try {
      await mkdir(candidate, { recursive: false });
      return candidate;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new OutputError(`cannot create ${candidate}: ${describeFsError(error)}`);
    }
  }
  throw new OutputError(`cannot create ${path}: it and ${MAX_NAME_ATTEMPTS - 1} numbered names after it exist already (give --out)`);
}

const MAX_NAME_ATTEMPTS = 100;
