/**
 * A real, small file system to fill up: a tmpfs of a given size, mounted for
 * one test. Writes to it fail the way they fail on a full volume, with
 * ENOSPC from the kernel, part-way through a file if that is where the
 * space runs out. Mounting needs root with CAP_SYS_ADMIN (CI runs as root);
 * where it is not allowed the caller skips its test and says why.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Mounts a tmpfs of `bytes` on the existing directory `dir`; returns why it could not, or undefined. */
export function mountSmallDisk(dir: string, bytes: number): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'leakscan-test', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    return undefined;
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    return `cannot mount a small tmpfs to fill (needs root with CAP_SYS_ADMIN): ${stderr || (error as Error).message}`;
  }
}

/** Lazy unmount: succeeds even if something still has a file open there. */
export function unmountSmallDisk(dir: string): void {
  execFileSync('umount', ['-l', dir]);
}

/** Writes a filler file until the kernel answers ENOSPC: the disk is then full. Returns the bytes written. */
export function fillDisk(dir: string): number {
  const fd = openSync(join(dir, 'filler'), 'w');
  const chunk = Buffer.alloc(64 << 10, 0x5a);
  let written = 0;
  try {
    for (;;) {
      // Short writes near the end are fine: the next one fails.
      written += writeSync(fd, chunk);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    return written;
  } finally {
    closeSync(fd);
  }
}
