/**
 * Small Go snapshots written by hand in the documented format
 * (src/model/format.ts), for unit tests of the analysis: a service whose
 * goroutines sit at a few code sites, with ids so lifetime is known.
 */
import { SnapshotBuilder } from '../../src/model/builder.js';
import type { Snapshot, Task } from '../../src/model/format.js';

export interface SiteAt {
  /** Innermost user frame, e.g. "main.(*session).heartbeat". */
  fn: string;
  file?: string;
  line?: number;
  /** Frame that created the goroutines. */
  createdBy?: string;
  state?: string;
  /** Goroutine ids alive at this site (lifetime follows ids across snapshots). */
  ids: readonly number[];
  labels?: Record<string, string>;
  leaked?: boolean;
  waitMinutes?: number;
}

/** One Go snapshot taken at `takenAt` with goroutines parked at `sites`, under the runtime frame of their state. */
export function goSnapshot(takenAt: number, sites: readonly SiteAt[]): Snapshot {
  const b = new SnapshotBuilder('go', { profile: 'debug=2' });
  for (const site of sites) {
    const state = site.state ?? 'chan receive';
    const park = b.frame('runtime.gopark', '/usr/local/go/src/runtime/proc.go', 435);
    const user = b.frame(site.fn, site.file ?? '/src/app/main.go', site.line ?? 10);
    const stack = b.stack([park, user]);
    const creator = site.createdBy !== undefined ? b.stack([b.frame(site.createdBy, site.file ?? '/src/app/main.go', 99)]) : undefined;
    for (const id of site.ids) {
      const task: Task = { id: String(id), kind: 'goroutine', state, stack };
      if (creator !== undefined) task.createdBy = creator;
      if (site.labels) task.labels = { ...site.labels };
      if (site.leaked) task.leaked = true;
      if (site.waitMinutes !== undefined) task.waitMinutes = site.waitMinutes;
      b.addTask(task);
    }
  }
  return b.build(takenAt);
}

/** Ids first..first+n-1. */
export function ids(first: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => first + i);
}

/** A series a minute apart: at step i, `leakAt(i)` leaked goroutines (kept alive) and a worker pool of 8 that never changes. */
export function leakingService(steps: number, leakAt: (i: number) => number, more: (i: number) => SiteAt[] = () => []): Snapshot[] {
  return Array.from({ length: steps }, (_, i) =>
    goSnapshot(1_000_000 + i * 60_000, [
      { fn: 'main.(*session).heartbeat', line: 65, createdBy: 'main.(*gateway).Open', state: 'select', ids: ids(1000, leakAt(i)) },
      { fn: 'main.worker', line: 30, createdBy: 'main.startPool', state: 'chan receive', ids: ids(10, 8) },
      ...more(i),
    ]),
  );
}
