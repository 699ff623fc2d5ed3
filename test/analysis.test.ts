/**
 * leakscan diff on real snapshots: aggregated input, one snapshot, ignore
 * rules and config, grouping, and bad series. Plus the scoring arithmetic.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from './helpers/cli.js';
import { startGoFixture } from './helpers/go-fixtures.js';
import type { RunningFixture } from './helpers/go-fixtures.js';
import { tempDir } from './helpers/tmp.js';
import { dumpsDir } from './helpers/paths.js';
import { blockingWeight, growthComponent, growthStats, scoreSites } from '../src/analysis/score.js';
import type { SiteSeries } from '../src/analysis/series.js';
import { stateMeaning } from '../src/analysis/state-meaning.js';
import { dateIds } from '../src/analysis/id-dating.js';
import { StayingTasks } from '../src/analysis/staying.js';
import type { TaskPlace } from '../src/analysis/staying.js';
import { samplingWarning, seriesSamplingWarning, shareOfSamplingWarning } from '../src/model/sampling-warning.js';
import type { DiffJson } from '../src/report/diff-json.js';

const dir = tempDir();
const full = join(dir, 'full');
const counts = join(dir, 'counts');
let fixture: RunningFixture;

before(async () => {
  mkdirSync(full);
  mkdirSync(counts);
  fixture = await startGoFixture('heartbeat');
  for (let i = 1; i <= 5; i++) {
    const [a, b] = await Promise.all([
      runCli(['snapshot', fixture.url, '-o', join(full, `s-${i}.json.gz`)]),
      runCli(['snapshot', `${fixture.url}/debug/pprof/goroutine?debug=1`, '-o', join(counts, `s-${i}.json`)]),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    await sleep(1000);
  }
});
after(() => fixture?.stop());

async function diff(args: string[], cwd?: string): Promise<DiffJson> {
  const result = await runCli(['diff', ...args, '--json', '--top', '50'], cwd ? { cwd } : {});
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as DiffJson;
}

test('debug=1 input: ranked by counts, lifetime and state unknown and said so', async () => {
  const result = await diff([counts]);
  assert.equal(result.lifetimeKnown, false);
  const [top] = result.suspects;
  assert.equal(top?.anchor?.fn, 'main.(*session).heartbeat');
  assert.equal(top?.survival, null);
  assert.equal(top?.blocking, null);
  assert.match(top!.explanation, /over 5 snapshots .*; lifetime unknown \(no task ids in this input\)$/);
  assert.ok(top!.score >= 70, `score ${top!.score}`);
  const text = await runCli(['diff', counts]);
  assert.match(text.stdout, /lifetime unknown/);
});

test('debug=2 input: the same leak, with lifetime and blocking measured', async () => {
  const [top] = (await diff([full])).suspects;
  assert.equal(top?.anchor?.fn, 'main.(*session).heartbeat');
  assert.equal(top?.survival, 1);
  assert.equal(top?.state, 'select');
  assert.equal(top?.growth?.steps, 4);
  assert.deepEqual(top?.counts.length, 5);
});

test('one snapshot: growth unknown, scores capped at 50, and the output says so', async () => {
  const json = await diff([join(full, 's-5.json.gz')]);
  assert.ok(json.suspects.every((s) => s.growth === null && s.score <= 50));
  assert.match(json.suspects[0]!.explanation, /^\d+ goroutines in one snapshot, growth unknown; all blocked on select$/);
  const text = await runCli(['diff', join(full, 's-5.json.gz')]);
  assert.match(text.stdout, /one snapshot: growth is unknown, so scores are capped at 50/);
});

test('ignore rules from flags and from .leakscan.json', async () => {
  const ignored = await diff([full, '--ignore-function', 'main.(*session).*']);
  assert.ok(ignored.suspects.every((s) => !s.key.includes('heartbeat')), 'the ignored site is gone');
  assert.ok(ignored.snapshots.every((s) => s.ignored > 0));
  const byCreator = await diff([full, '--ignore-created-by', 'main.(*gateway).Open']);
  assert.ok(byCreator.suspects.every((s) => !s.key.includes('heartbeat')));
  const byPackage = await diff([full, '--ignore-package', 'main']);
  assert.ok(byPackage.suspects.every((s) => !s.anchor?.fn.startsWith('main.')));

  const project = join(dir, 'project');
  mkdirSync(project);
  writeFileSync(join(project, '.leakscan.json'), JSON.stringify({ ignore: { function: ['main.(*session).heartbeat'] }, minScore: 0 }));
  const fromConfig = await diff([full], project);
  assert.ok(fromConfig.suspects.every((s) => !s.key.includes('heartbeat')));

  writeFileSync(join(project, 'typo.json'), JSON.stringify({ ignroe: {} }));
  const typo = await runCli(['diff', full, '--config', join(project, 'typo.json')]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /unknown key "ignroe"/);
});

test('default ignores: the signal goroutine is left out unless asked for', async () => {
  const defaults = await diff([full]);
  assert.ok(defaults.suspects.every((s) => !s.key.startsWith('os/signal.')));
  const all = await diff([full, '--no-default-ignores']);
  assert.ok(all.suspects.some((s) => s.key.startsWith('os/signal.')));
});

test('--group-by line puts the file and line in the key, without directories', async () => {
  const [top] = (await diff([full, '--group-by', 'line'])).suspects;
  assert.equal(top?.key, 'main.(*session).heartbeat main.go:65 <- main.(*gateway).Open main.go:57');
});

test('bad series: mixed runtimes, wrong order, empty directory: exit 2 with one line', async () => {
  const node = join(dir, 'node.json');
  writeFileSync(node, JSON.stringify({ format: 'leakscan.snapshot', version: 1, runtime: 'node', takenAt: Date.now(), source: {}, frames: [], stacks: [], tasks: [] }));
  const mixed = await runCli(['diff', join(full, 's-1.json.gz'), node]);
  assert.equal(mixed.code, 2);
  assert.match(mixed.stderr, /^leakscan: .*node\.json is a node snapshot, but the series so far is go: diff one runtime at a time\n$/);
  const backwards = await runCli(['diff', join(full, 's-2.json.gz'), join(full, 's-1.json.gz')]);
  assert.equal(backwards.code, 2);
  assert.match(backwards.stderr, /was taken before the snapshot given ahead of it/);
  const emptyDir = join(dir, 'empty');
  mkdirSync(emptyDir);
  const none = await runCli(['diff', emptyDir]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no snapshot files in this directory/);
});

test('empty snapshots: nothing to rank, said plainly', async () => {
  const empty = (t: number) => JSON.stringify({ format: 'leakscan.snapshot', version: 1, runtime: 'go', takenAt: t, source: {}, frames: [], stacks: [], tasks: [] });
  writeFileSync(join(dir, 'e1.json'), empty(1000));
  writeFileSync(join(dir, 'e2.json'), empty(2000));
  const result = await runCli(['diff', join(dir, 'e1.json'), join(dir, 'e2.json')]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /0 goroutines at first, 0 at last/);
  assert.match(result.stdout, /no suspect scores 0 or more/);
});

test('captured dumps of several Go versions mix in one series', async () => {
  // Raw dumps are read by content; file mtimes give their order.
  const series = join(dir, 'raw');
  mkdirSync(series);
  copyFileSync(join(dumpsDir, 'go1.21.13-debug2.txt'), join(series, 'a.txt'));
  await sleep(20);
  copyFileSync(join(dumpsDir, 'go1.26.8-debug2.txt'), join(series, 'b.txt'));
  const json = await diff([series]);
  assert.equal(json.snapshots.length, 2);
  assert.ok(json.suspects.length > 10);
});

test('growth: a steady climb counts fully, jitter and shrinking do not', () => {
  const minutes = (n: number) => Array.from({ length: n }, (_, i) => i * 60_000);
  const climb = growthStats([0, 40, 80, 120, 160, 200], minutes(6));
  assert.equal(climb.perMinute, 40);
  assert.equal(climb.monotonicity, 1);
  assert.ok(growthComponent(climb) > 0.99);
  const jitter = growthStats([20, 22, 19, 21, 20, 22], minutes(6));
  assert.ok(growthComponent(jitter) < 0.05, `jitter ${growthComponent(jitter)}`);
  assert.equal(growthComponent(growthStats([50, 40, 30], minutes(3))), 0);
  // A big pile that keeps climbing is worse, not better: its size no longer discounts it.
  const pileStillGrowing = growthStats([5000, 5010, 5020, 5030, 5040, 5050], minutes(6));
  assert.ok(growthComponent(pileStillGrowing) > 0.99, `a pile of 5,000 that gained 50 ${growthComponent(pileStillGrowing)}`);
  const bigPoolJitter = growthStats([1000, 1004, 998, 1003, 999, 1002], minutes(6));
  assert.ok(growthComponent(bigPoolJitter) < 0.1, 'a pool of 1,000 that wanders around its size stays low');
  assert.equal(growthComponent(growthStats([8, 8, 8, 8], minutes(4))), 0);
});

test('blocking weights: channels over IO over sleep over running', () => {
  assert.equal(blockingWeight('chan receive'), 1);
  assert.equal(blockingWeight('chan send (nil chan)'), 1);
  assert.equal(blockingWeight('select (no cases)'), 1);
  assert.equal(blockingWeight('sync.Mutex.Lock'), 1);
  assert.equal(blockingWeight('semacquire'), 1);
  assert.equal(blockingWeight('IO wait'), 0.3);
  assert.equal(blockingWeight('sleep'), 0.2);
  assert.equal(blockingWeight('running'), 0);
  assert.equal(blockingWeight('unknown'), undefined);
});

test('equal scores: the site that points at code ranks before the one with no stack, even with fewer tasks', () => {
  // socket-leak's two ends: the client socket made at `net.connect`, and the
  // accepted socket the runtime made with no frame of the program (one more,
  // when the snapshot fell between a connect and the next).
  const site = (key: string, counts: number[], anchor?: { fn: string; file: string; line: number }): SiteSeries => ({
    key,
    ...(anchor ? { anchor } : {}),
    userCode: anchor !== undefined,
    counts,
    states: new Map([['active', counts.reduce((a, b) => a + b, 0)]]),
    observations: counts.reduce((a, b) => a + b, 0),
    firstSeen: 0,
    leaked: 0,
    exampleStack: anchor ? [anchor] : [],
    labels: new Map(),
  });
  const times = [0, 2000, 4000, 6000, 8000];
  const suspects = scoreSites({
    runtime: 'node',
    times,
    totals: times.map(() => 40),
    ignored: times.map(() => 0),
    sites: [site('(no stack: TCPWRAP)', [2, 5, 9, 13, 17]), site('cacheGet socket-leak.mjs:67', [1, 4, 8, 12, 16], { fn: 'cacheGet', file: 'socket-leak.mjs', line: 67 })],
    warnings: [],
    hasIds: false,
    idClock: times.map(() => undefined),
    sources: [],
  });
  assert.equal(suspects[0]!.score, suspects[1]!.score, 'the two ends score the same');
  assert.deepEqual(suspects.map((s) => s.key), ['cacheGet socket-leak.mjs:67', '(no stack: TCPWRAP)']);
});

test('a sampled Node series says once how much of the time the agent watched', () => {
  // What each snapshot file carries is read back exactly.
  for (const [dutyCycle, share] of [[0.04, 0], [0.1, 10], [0.66, 70], [0.94, 90]] as const) {
    assert.equal(shareOfSamplingWarning(samplingWarning(dutyCycle)), share);
  }
  assert.equal(shareOfSamplingWarning('dump ends mid-goroutine: 3 complete goroutines were read, the last one was dropped'), undefined);
  const tail = 'to stay within its CPU budget; counts are estimates scaled from what it saw (--track all watches everything)';
  assert.equal(seriesSamplingWarning([70, 90, 80, 90, 90], 6), `the agent watched 70% to 90% of the time in 5 of 6 snapshots ${tail}`);
  assert.equal(seriesSamplingWarning([0, 0, 30], 3), `the agent watched up to 30% of the time in 3 of 3 snapshots ${tail}`);
  assert.equal(seriesSamplingWarning([0, 0], 6), `the agent watched under 10% of the time in 2 of 6 snapshots ${tail}`);
  assert.equal(seriesSamplingWarning([40], 1), `the agent watched about 40% of the time ${tail}`);
});

test('state meaning: locks and nil channels over sends over sleeps over idle receives over idle connections', () => {
  const w = (state: string) => stateMeaning(state).weight;
  assert.equal(w('sync.Mutex.Lock'), 1);
  assert.equal(w('sync.RWMutex.RLock'), 1);
  assert.equal(w('semacquire'), 1, 'Go before 1.20 names a Mutex wait semacquire');
  assert.equal(w('chan receive (nil chan)'), 1);
  assert.ok(w('sync.WaitGroup.Wait') > w('chan send'));
  assert.ok(w('chan send') > w('sleep'));
  assert.ok(w('sleep') > w('chan receive'));
  assert.equal(w('chan receive'), w('select'));
  assert.ok(w('select') > w('IO wait'));
  assert.equal(w('running'), 0);
  assert.equal(w('unknown'), 0, 'counts-only input says nothing about the state');
  // Node's states sit on the same scale.
  assert.ok(w('pending') > w('active'));
});

test('id dating: a pool started with the process, a burst, and a leak that accumulated', () => {
  // Ids handed out at 600 per minute; the first look saw id 60,000.
  const readings = [{ time: 0, maxId: 60_000 }, { time: 60_000, maxId: 60_600 }];
  const firstLook = readings[0]!;
  const range = (from: number, n: number, step = 1) => Array.from({ length: n }, (_, i) => from + i * step);
  const pool = dateIds(range(20, 64), firstLook, readings, 1)!;
  assert.equal(pool.startedWithProcess, true);
  assert.equal(pool.accumulation, 0);
  const burst = dateIds(range(31_000, 400), firstLook, readings, 1)!;
  assert.equal(burst.startedWithProcess, false);
  assert.equal(burst.spread, 0);
  assert.equal(Math.round(burst.oldestMinutesAgo!), 48, 'made 48 minutes before the first look at 600 ids/min');
  const leak = dateIds(range(1000, 300, 197), firstLook, readings, 1)!;
  assert.equal(leak.spread, 1);
  assert.equal(leak.accumulation, 1);
  // A young process: a 2 s burst spans many tenths of its ids, but it took less than the window.
  const young = [{ time: 0, maxId: 1500 }, { time: 60_000, maxId: 23_500 }];
  const quick = dateIds(range(400, 800), young[0]!, young, 1)!;
  assert.ok(quick.spread >= 0.4);
  assert.equal(quick.accumulation, 0);
  // Without a second reading there is no rate: the ids still order, but do not date.
  const once = dateIds(range(1000, 300, 197), firstLook, [firstLook], 1)!;
  assert.equal(once.idsPerMinute, undefined);
  assert.equal(once.accumulation, once.spread);
});

test('no progress: tasks that left or moved drop out, counts-only snapshots in between cap what stayed', () => {
  const at = (state: string, line: number, waitMinutes?: number): TaskPlace => ({ place: `${state}\u0000f:${line}`, state, ...(waitMinutes !== undefined ? { waitMinutes } : {}) });
  const look = (entries: [string, TaskPlace][]) => new Map(entries);
  const staying = new StayingTasks();
  staying.look(0, new Map()); // not there yet
  staying.look(1, look([['10', at('sync.Mutex.Lock', 5)], ['11', at('sync.Mutex.Lock', 5)], ['12', at('chan receive', 9)], ['13', at('chan receive', 9)]]));
  staying.count(4); // a ?debug=1 snapshot: no ids
  staying.count(0); // the site missing from it says nothing (aggregated keys carry no creator)
  staying.look(4, look([['10', at('sync.Mutex.Lock', 5, 2)], ['11', at('sync.Mutex.Lock', 5)], ['12', at('running', 9)], ['20', at('chan receive', 9)]]));
  const summary = staying.summary()!;
  assert.equal(summary.count, 2, '10 and 11 stayed; 12 moved, 13 left');
  assert.deepEqual(summary.ids.sort(), [10, 11]);
  assert.deepEqual([...summary.states], [['sync.Mutex.Lock', 2]]);
  assert.equal(summary.moved, 1);
  assert.equal(summary.gone, 1);
  assert.equal(summary.looks, 2);
  assert.deepEqual([summary.firstIndex, summary.lastIndex], [1, 4]);
  assert.equal(summary.maxWaitMinutes, 2);
  const capped = new StayingTasks();
  capped.look(0, look([['1', at('chan send', 3)], ['2', at('chan send', 3)], ['3', at('chan send', 3)]]));
  capped.count(1); // the site held one task in between: two of them went away and came back
  capped.look(2, look([['1', at('chan send', 3)], ['2', at('chan send', 3)], ['3', at('chan send', 3)]]));
  assert.equal(capped.summary()!.count, 1);
});
