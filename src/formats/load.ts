/** Loads a snapshot from a file of any supported kind (see detect.ts). */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Snapshot } from '../model/format.js';
import { InputError } from '../util/errors.js';
import { describeFsError } from '../util/atomic-write.js';
import { snapshotFromChunks } from './detect.js';

export async function loadSnapshotFile(path: string): Promise<Snapshot> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new InputError(`cannot read ${path}: ${describeFsError(error)}`);
  }
  if (info.isDirectory()) throw new InputError(`cannot read ${path}: it is a directory`);
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    return await snapshotFromChunks(stream, { name: path, source: { file: path }, takenAt: info.mtimeMs });
  } catch (error) {
    if (!(error instanceof InputError) && (error as NodeJS.ErrnoException).code) {
      throw new InputError(`cannot read ${path}: ${describeFsError(error)}`);
    }
    throw error;
  } finally {
    stream.destroy();
  }
}
