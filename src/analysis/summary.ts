/**
 * What one snapshot holds: tasks by state and the biggest groups by site.
 * This is what `leakscan show` prints; analysis over time lives in diff.ts.
 */
import type { Snapshot } from '../model/format.js';
import { SiteResolver } from '../model/site.js';
import type { GroupBy, Site } from '../model/site.js';

export interface SiteGroup {
  site: Site;
  count: number;
  /** Count per state, most common first. */
  states: [string, number][];
  /** Tasks the runtime confirmed as leaked. */
  leaked: number;
  /** Longest wait seen (Go "N minutes"), when any was printed. */
  maxWaitMinutes?: number;
  /** Whether the anchor is user code (not the runtime or standard library). */
  userCode: boolean;
  /** An example stack of the group (index into the snapshot's stacks). */
  exampleStack: number;
  /** Label sets seen in the group, most common first (at most 5). */
  labels: [Record<string, string>, number][];
  /** Go: the most frames the runtime left out of one stack of the group (Task.elidedFrames). */
  maxElidedFrames?: number;
  /** Go: tasks of the group whose stack the runtime did not print (Task.stackUnavailable). */
  stackUnavailable: number;
}

export interface SnapshotSummary {
  total: number;
  byState: [string, number][];
  leaked: number;
  groups: SiteGroup[];
}

export function summarizeSnapshot(snapshot: Snapshot, groupBy: GroupBy = 'function'): SnapshotSummary {
  const resolver = new SiteResolver(snapshot, groupBy);
  const groups = new Map<string, { group: SiteGroup; states: Map<string, number>; labels: Map<string, number> }>();
  const byState = new Map<string, number>();
  let total = 0;
  let leaked = 0;
  for (const task of snapshot.tasks) {
    const n = task.count ?? 1;
    total += n;
    byState.set(task.state, (byState.get(task.state) ?? 0) + n);
    const site = resolver.siteOf(task);
    let entry = groups.get(site.key);
    if (entry === undefined) {
      entry = {
        group: {
          site,
          count: 0,
          states: [],
          leaked: 0,
          userCode: site.anchor !== undefined && !resolver.code.isLibrary(site.anchor),
          exampleStack: task.stack,
          labels: [],
          stackUnavailable: 0,
        },
        states: new Map(),
        labels: new Map(),
      };
      groups.set(site.key, entry);
    }
    const { group } = entry;
    group.count += n;
    entry.states.set(task.state, (entry.states.get(task.state) ?? 0) + n);
    if (task.leaked) {
      group.leaked += n;
      leaked += n;
    }
    if (task.waitMinutes !== undefined && task.waitMinutes > (group.maxWaitMinutes ?? -1)) {
      group.maxWaitMinutes = task.waitMinutes;
    }
    if (task.elidedFrames !== undefined && task.elidedFrames > (group.maxElidedFrames ?? 0)) group.maxElidedFrames = task.elidedFrames;
    if (task.stackUnavailable) group.stackUnavailable += n;
    if (task.labels !== undefined) {
      const key = JSON.stringify(task.labels);
      entry.labels.set(key, (entry.labels.get(key) ?? 0) + n);
    }
  }
  const result: SiteGroup[] = [];
  for (const { group, states, labels } of groups.values()) {
    group.states = sortByCount(states);
    group.labels = sortByCount(labels)
      .slice(0, 5)
      .map(([key, n]) => [JSON.parse(key) as Record<string, string>, n]);
    result.push(group);
  }
  result.sort((a, b) => b.count - a.count || (a.site.key < b.site.key ? -1 : 1));
  return { total, byState: sortByCount(byState), leaked, groups: result };
}

function sortByCount<K>(counts: Map<K, number>): [K, number][] {
  return [...counts].sort((a, b) => b[1] - a[1]);
}
