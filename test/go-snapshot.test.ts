/**
 * `leakscan snapshot` and `leakscan show` against real Go fixtures over real
 * HTTP: what a user checks first is that the biggest group of their own code
 * is the leak, with the right wait reason, creator and labels.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from './helpers/cli.js';
import { buildGoFixtureVariant, goroutineLeakProfileEnv, startGoFixture } from './helpers/go-fixtures.js';
import type { RunningFixture } from './helpers/go-fixtures.js';
import { tempDir } from './helpers/tmp.js';

const dir = tempDir();
const running: RunningFixture[] = [];
after(() => Promise.all(running.map((f) => f.stop())));

interface ShowGroup {
  key: string;
  count: number;
  states: Record<string, number>;
  leaked: number;
  userCode: boolean;
  anchor?: { fn: string; file: string; line: number };
  createdBy?: { fn: string; file: string; line: number };
  labels: { labels: Record<string, string>; count: number }[];
}
interface ShowJson {
  total: number;
  leaked: number;
  byState: Record<string, number>;
  groups: ShowGroup[];
  source: { url?: string; profile?: string };
}

async function snapshotAndShow(fixture: RunningFixture, tag: string, target = fixture.url): Promise<ShowJson> {
  const file = join(dir, `${fixture.name}-${tag}.json.gz`);
  const taken = await runCli(['snapshot', target, '-o', file]);
  assert.equal(taken.code, 0, taken.stderr);
  assert.match(taken.stderr, new RegExp(`^wrote ${file}: \\d+ goroutines`));
  const shown = await runCli(['show', file, '--json', '--top', '50']);
  assert.equal(shown.code, 0, shown.stderr);
  return JSON.parse(shown.stdout) as ShowJson;
}

const biggestUserGroup = (show: ShowJson) => show.groups.find((g) => g.userCode)!;

interface LeakyFixture {
  name: string;
  leakFn: string;
  state: string;
  creatorFn: RegExp;
  minCount: number;
  labels?: Record<string, string>;
}

const leaky: LeakyFixture[] = [
  { name: 'heartbeat', leakFn: 'main.(*session).heartbeat', state: 'select', creatorFn: /^main\./, minCount: 40 },
  { name: 'connpool', leakFn: 'main.(*slotPool).acquire', state: 'chan send', creatorFn: /^main\./, minCount: 4 },
  { name: 'earlyreturn', leakFn: 'main.(*quoteService).priceWorker', state: 'chan send', creatorFn: /^main\./, minCount: 40, labels: { handler: 'quote' } },
  { name: 'rangeunclosed', leakFn: 'main.(*pipeline).indexBatch', state: 'chan receive', creatorFn: /^main\./, minCount: 40 },
  { name: 'tickerleak', leakFn: 'main.(*subscription).pump', state: 'chan receive', creatorFn: /^main\./, minCount: 40 },
  { name: 'nocancel', leakFn: 'main.(*rpcClient).watch', state: 'chan receive', creatorFn: /^main\./, minCount: 40 },
  { name: 'doublesend', leakFn: 'main.(*cache).load', state: 'chan send', creatorFn: /^main\./, minCount: 40 },
  { name: 'fanout', leakFn: 'main.(*cluster).search.func1', state: 'chan send', creatorFn: /^main\./, minCount: 40, labels: { handler: 'search' } },
];

test('leaky fixtures: the biggest group of user code is the leak site', async () => {
  const fixtures = await Promise.all(leaky.map((f) => startGoFixture(f.name)));
  running.push(...fixtures);
  await sleep(8000);
  for (const [i, expected] of leaky.entries()) {
    const fixture = fixtures[i]!;
    // The host:port form, as people type it, for one of them.
    const target = i === 0 ? fixture.url.replace('http://', '') : fixture.url;
    const show = await snapshotAndShow(fixture, 'leak', target);
    const top = biggestUserGroup(show);
    assert.equal(top.anchor?.fn, expected.leakFn, `${expected.name}: top site ${top.key}`);
    assert.ok(top.count >= expected.minCount, `${expected.name}: ${top.count} goroutines at the leak site`);
    assert.equal(Object.keys(top.states)[0], expected.state, `${expected.name}: states ${JSON.stringify(top.states)}`);
    assert.match(top.createdBy?.fn ?? '', expected.creatorFn, `${expected.name}: created by`);
    assert.match(top.anchor!.file, new RegExp(`fixtures/go/${expected.name}/main\\.go$`));
    assert.ok(top.anchor!.line > 0);
    if (expected.labels) {
      const [first] = top.labels;
      assert.ok(first, `${expected.name}: labels learned from ?debug=0`);
      for (const [k, v] of Object.entries(expected.labels)) assert.equal(first.labels[k], v, `${expected.name}: label ${k}`);
    }
    assert.equal(show.source.profile, 'debug=2');
    assert.equal(show.leaked, 0, 'no goroutineleak profile without GOEXPERIMENT');
  }
});

test('healthy fixtures: goroutine counts stay flat, the worker pool has exactly its 8 workers', async () => {
  const names = ['workerpool', 'keepalive', 'tickerctx', 'longpoll'];
  const fixtures = await Promise.all(names.map((name) => startGoFixture(name)));
  running.push(...fixtures);
  await sleep(3000);
  const first = await Promise.all(fixtures.map((f) => snapshotAndShow(f, 'a')));
  await sleep(5000);
  const second = await Promise.all(fixtures.map((f) => snapshotAndShow(f, 'b')));
  for (const [i, name] of names.entries()) {
    const delta = Math.abs(second[i]!.total - first[i]!.total);
    assert.ok(delta <= 6, `${name}: ${first[i]!.total} then ${second[i]!.total} goroutines`);
  }
  // All 8 workers were created by the pool; one may be busy with a job (in
  // another function) when the snapshot is taken, the rest wait in worker.
  const workers = second[0]!.groups.filter((g) => g.createdBy?.fn === 'main.newPool.func1');
  assert.equal(
    workers.reduce((n, g) => n + g.count, 0),
    8,
  );
  const idle = workers.find((g) => g.anchor?.fn === 'main.(*pool).worker');
  assert.ok(idle && idle.count >= 6, `most workers idle: ${idle?.count}`);
  assert.ok(idle.count === (idle.states['chan receive'] ?? 0) + (idle.states['running'] ?? 0) + (idle.states['runnable'] ?? 0));
  // From ?debug=0: the workers differ only by worker=<n>, so only the shared label is known.
  assert.ok(workers.every((g) => g.labels.every((l) => JSON.stringify(l.labels) === '{"pool":"thumbnails"}')));
  assert.equal(
    idle.labels.reduce((n, l) => n + l.count, 0),
    idle.count,
    'every idle worker has the label',
  );
});

test('labels printed by the runtime itself (Go 1.26, GODEBUG=tracebacklabels=1)', async () => {
  const fixture = await startGoFixture('earlyreturn', { env: { GODEBUG: 'tracebacklabels=1' } });
  running.push(fixture);
  await sleep(3000);
  const show = await snapshotAndShow(fixture, 'labels');
  const top = biggestUserGroup(show);
  assert.equal(top.anchor?.fn, 'main.(*quoteService).priceWorker');
  assert.equal(top.labels[0]?.labels.handler, 'quote');
  assert.ok(top.labels[0]?.labels.tenant, 'tenant label present');
});

test('goroutineleak profile: goroutines the Go runtime proved leaked are marked', async () => {
  const binary = await buildGoFixtureVariant('unreachable', 'leakprofile', await goroutineLeakProfileEnv());
  const fixture = await startGoFixture('unreachable', { binary });
  running.push(fixture);
  await sleep(4000);
  const show = await snapshotAndShow(fixture, 'leakprofile');
  assert.equal(show.source.profile, 'goroutineleak?debug=2');
  assert.match(show.source.url ?? '', /\/debug\/pprof\/goroutineleak\?debug=2$/);
  const top = biggestUserGroup(show);
  assert.equal(top.anchor?.fn, 'main.(*resolver).lookup');
  assert.ok(top.leaked >= 20, `${top.leaked} of ${top.count} confirmed leaked`);
  assert.equal(show.leaked, top.leaked, 'only the leak site is confirmed leaked');
});
