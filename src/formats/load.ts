/** Loads a snapshot from a file of any supported kind (see detect.ts). */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Snapshot } from '../model/format.js';
import { InputError } from '../util/errors.js';
import { describeFsError } from '../util/atomic-write.js';
import { snapshotFromChunks } from './detect.js';

export async function loadSnapshotFile(path: string): Promise<Snapshot> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer that never comes.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new InputError(`cannot read ${path}: ${describeFsError(error)}`);
  }
  try {
    // What was opened is checked, not the name (a name can be swapped
    // between a stat and an open): only a regular file is read. A FIFO
    // never ends without a writer; /dev/zero (or a symlink to it) never ends.
    const info = await handle.stat();
    if (info.isDirectory()) throw new InputError(`cannot read ${path}: it is a directory`);
    if (!info.isFile()) throw new InputError(`cannot read ${path}: not a regular file (a FIFO, socket or device)`);
    const stream = handle.createReadStream({ highWaterMark: 1 << 20, autoClose: false });
    try {
      return await snapshotFromChunks(stream, { name: path, source: { file: path }, takenAt: info.mtimeMs });
    } finally {
      stream.destroy();
    }
  } catch (error) {
    if (!(error instanceof InputError) && (error as NodeJS.ErrnoException).code) {
      throw new InputError(`cannot read ${path}: ${describeFsError(error)}`);
    }
    throw error;
  } finally {
    await handle.close();
  }
}
