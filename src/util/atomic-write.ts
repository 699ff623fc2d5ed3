import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { OutputError } from './errors.js';

/**
 * Writes a file so that readers see either the old content or the new,
 * never half of it: write a temporary file beside it, flush it to the disk,
 * then rename. Without the flush, a crash soon after the rename can leave
 * the new name on an empty or partial file on some file systems.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    // 'wx': a fresh file, never one (or a symlink) already under that name;
    // flushed to disk before the rename, so a crash leaves the old file or the new.
    const file = await open(temp, 'wx');
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new OutputError(`cannot write ${path}: ${describeFsError(error)}`);
  }
}

/** "no such file or directory" rather than "ENOENT: no such file or directory, open '...'". */
export function describeFsError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EISDIR':
      return 'it is a directory';
    case 'ENOTDIR':
      return 'a parent is not a directory';
    case 'EROFS':
      return 'read-only file system';
    default:
      return e.message ?? String(error);
  }
}
