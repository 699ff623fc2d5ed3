/**
 * Evidence sets of `leakscan watch`: when a site crosses the threshold, the
 * window's snapshots and one full dump (every goroutine with its wait time
 * and creator, and the runtime's leak marks where it has them) are written
 * to a new directory, so the evidence is on disk before anyone is paged.
 * At most `keep` sets are kept; the oldest are removed first. Only
 * directories this module names (evidence-<time>-...) are ever removed.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Snapshot } from '../model/format.js';
import { writeSnapshotFile } from '../model/file.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { makeDirectory } from '../util/make-directory.js';
import { timestampName } from '../util/names.js';

const SET_PATTERN = /^evidence-\d{8}-\d{6}(-\d+)?$/;

export interface EvidenceSet {
  dir: string;
  files: number;
}

export class EvidenceStore {
  private sequence = 0;

  constructor(
    readonly outDir: string,
    private readonly keep: number,
  ) {}

  async save(window: readonly Snapshot[], full: Snapshot | undefined, summary: unknown): Promise<EvidenceSet> {
    await makeDirectory(this.outDir);
    let name = timestampName('evidence');
    // Two sets in one second (a very short --interval) get a sequence number.
    if (this.lastName !== undefined && this.lastName.startsWith(name)) name = `${name}-${++this.sequence}`;
    this.lastName = name;
    const dir = join(this.outDir, name);
    await makeDirectory(dir);
    const width = String(window.length).length;
    let files = 0;
    for (const [i, snapshot] of window.entries()) {
      await writeSnapshotFile(join(dir, `snapshot-${String(i + 1).padStart(width, '0')}.json.gz`), snapshot);
      files++;
    }
    if (full !== undefined) {
      await writeSnapshotFile(join(dir, 'full-dump.json.gz'), full);
      files++;
    }
    await writeFileAtomic(join(dir, 'suspects.json'), JSON.stringify(summary, null, 2) + '\n');
    await this.rotate();
    return { dir, files };
  }

  private lastName: string | undefined;

  /** Removes the oldest sets beyond `keep` (names sort by time). */
  private async rotate(): Promise<void> {
    const sets = (await readdir(this.outDir, { withFileTypes: true }))
      .filter((e) => e.isDirectory() && SET_PATTERN.test(e.name))
      .map((e) => e.name)
      .sort(bySetName);
    for (const old of sets.slice(0, Math.max(0, sets.length - this.keep))) {
      await rm(join(this.outDir, old), { recursive: true, force: true });
    }
  }
}

function bySetName(a: string, b: string): number {
  const [ta, sa] = parts(a);
  const [tb, sb] = parts(b);
  return ta < tb ? -1 : ta > tb ? 1 : sa - sb;
}

function parts(name: string): [string, number] {
  const m = /^evidence-(\d{8}-\d{6})(?:-(\d+))?$/.exec(name)!;
  return [m[1]!, Number(m[2] ?? 0)];
}
