/**
 * Takes a series of snapshots at an interval and saves each as soon as it is
 * taken, so nothing is lost if the target dies or the user presses Ctrl-C.
 * What was taken is always returned; the caller analyses it.
 */
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import type { Snapshot } from '../model/format.js';
import { writeSnapshotFile } from '../model/file.js';
import { LeakscanError } from '../util/errors.js';
import { makeDirectory } from '../util/make-directory.js';
import type { SnapshotTurn } from '../targets/target.js';

export interface SampleOptions {
  count: number;
  intervalMs: number;
  outDir: string;
  /** Takes one snapshot; null skips this turn (the reason is the caller's to tell). */
  take: (turn: SnapshotTurn) => Promise<Snapshot | null>;
  /** Called after each snapshot is saved. */
  onSnapshot?: (index: number, snapshot: Snapshot, file: string) => void;
  /** Aborting ends sampling early (Ctrl-C); what was taken is kept. */
  signal?: AbortSignal;
}

export interface SampleResult {
  files: string[];
  /** Why sampling ended before `count`, if it did. */
  stoppedBy?: 'aborted' | LeakscanError;
}

export async function sampleSeries(options: SampleOptions): Promise<SampleResult> {
  await makeDirectory(options.outDir);
  const files: string[] = [];
  // The same width for any count up to 999, so names sort and line up whatever --count was.
  const width = Math.max(3, String(options.count).length);
  for (let i = 0; i < options.count; i++) {
    if (options.signal?.aborted) return { files, stoppedBy: 'aborted' };
    const started = Date.now();
    let snapshot: Snapshot | null;
    try {
      snapshot = await options.take({ index: i, count: options.count });
    } catch (error) {
      if (error instanceof LeakscanError) return { files, stoppedBy: error };
      throw error;
    }
    if (snapshot !== null) {
      const file = join(options.outDir, `snapshot-${String(i + 1).padStart(width, '0')}.json.gz`);
      try {
        await writeSnapshotFile(file, snapshot);
      } catch (error) {
        // A full disk: the files already written stay (each was written
        // whole, then renamed), this one was never there.
        if (error instanceof LeakscanError) return { files, stoppedBy: error };
        throw error;
      }
      files.push(file);
      options.onSnapshot?.(i, snapshot, file);
    }
    if (i < options.count - 1) {
      const aborted = await sleep(Math.max(0, options.intervalMs - (Date.now() - started)), options.signal);
      if (aborted) return { files, stoppedBy: 'aborted' };
    }
  }
  return { files };
}

/** Resolves true when aborted before the time was up. */
async function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return true;
  try {
    await setTimeout(ms, undefined, signal === undefined ? undefined : { signal });
    return false;
  } catch (error) {
    if (signal?.aborted) return true;
    throw error;
  }
}
