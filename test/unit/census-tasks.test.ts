/**
 * How the census's groups become tasks and sites (addCensusTasks in
 * src/targets/node/target.ts): what is found without hooks must group the
 * way a user reads it, by code where there is code to name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SnapshotBuilder } from '../../src/model/builder.js';
import { SeriesBuilder } from '../../src/analysis/series.js';
import { addCensusTasks } from '../../src/targets/node/target.js';
import type { CensusFindings, LocatedGroup } from '../../src/targets/node/census-reader.js';

function findings(groups: LocatedGroup[]): CensusFindings {
  return { walked: true, groups, handles: [], clock: { newestId: 1000, startedAt: 0, now: 60_000, mark: 0 }, warnings: [], stallMs: 0 };
}

function timer(resource: string, count: number, location?: LocatedGroup['location']): LocatedGroup {
  return { key: resource, rep: -1, kind: 'Timeout', resource, fn: '', count, ids: [], tracked: [], ...(location ? { location } : {}) };
}

function sitesOf(groups: LocatedGroup[]) {
  const b = new SnapshotBuilder('node', { profile: 'node-agent', startedAt: 0 });
  addCensusTasks(b, findings(groups), () => undefined);
  const series = new SeriesBuilder();
  series.add(b.build(60_000), 'snapshot-1');
  return series.result().sites;
}

test('jittered sleeps whose callback has no location are one site, each delay kept in its labels', () => {
  // timers/promises' setTimeout: Node's own callback, one delay per timer.
  const sites = sitesOf([timer('setTimeout 44 ms', 1), timer('setTimeout 61 ms', 2), timer('setInterval 1000 ms', 1)]);
  assert.deepEqual(sites.map((s) => [s.key, s.counts[0]]).sort(), [
    ['setInterval (callback not located)', 1],
    ['setTimeout (callback not located)', 3],
  ]);
  const sleeps = sites.find((s) => s.key.startsWith('setTimeout'))!;
  assert.deepEqual(sleeps.labels.map((l) => l.labels.resource).sort(), ['Timeout: setTimeout 44 ms', 'Timeout: setTimeout 61 ms']);
});

test('timers whose callback has a location are sited at it, one site per line', () => {
  const sites = sitesOf([
    timer('setInterval 1000 ms', 600, { fn: '', file: '/srv/app/gateway.mjs', line: 53 }),
    timer('setInterval 5000 ms', 1, { fn: 'poll', file: '/srv/app/gateway.mjs', line: 78 }),
  ]);
  assert.deepEqual(sites.map((s) => `${s.anchor?.line}: ${s.counts[0]}`).sort(), ['53: 600', '78: 1']);
});
