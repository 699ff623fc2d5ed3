/**
 * The leak score on its own (docs/scoring.md): growth, blocking weights,
 * ranking, the one-snapshot cap and the runtime's confirmation. No process
 * is started: the series are written by hand in the snapshot format.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../src/analysis/analyze.js';
import { blockingWeight, growthComponent, growthStats, scoreSites, SINGLE_SNAPSHOT_CAP } from '../../src/analysis/score.js';
import type { SiteSeries } from '../../src/analysis/series.js';
import { samplingWarning, seriesSamplingWarning, shareOfSamplingWarning } from '../../src/model/sampling-warning.js';
import { goSnapshot, ids, leakingService } from '../helpers/snapshots.js';
import { stateMeaning } from '../../src/analysis/state-meaning.js';
import { dateIds } from '../../src/analysis/id-dating.js';
import { StayingTasks } from '../../src/analysis/staying.js';
import type { TaskPlace } from '../../src/analysis/staying.js';

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
    callPaths: [],
    labels: [],
    kinds: [{ kind: 'TCPWRAP', count: counts[counts.length - 1]! }],
  });
  const times = [0, 2000, 4000, 6000, 8000];
  const suspects = scoreSites({
    runtime: 'node',
    times,
    totals: times.map(() => 40),
    ignored: times.map(() => 0),
    notStarted: times.map(() => 0),
    sites: [
      site('(no stack: TCPWRAP)', [2, 5, 9, 13, 17]),
      site('cacheGet socket-leak.mjs:67', [1, 4, 8, 12, 16], { fn: 'cacheGet', file: 'socket-leak.mjs', line: 67 }),
    ],
    warnings: [],
    hasIds: false,
    sources: [],
    idClock: [],
  });
  assert.equal(suspects[0]!.score, suspects[1]!.score, 'the two ends score the same');
  assert.deepEqual(
    suspects.map((s) => s.key),
    ['cacheGet socket-leak.mjs:67', '(no stack: TCPWRAP)'],
  );
});

test("within a band, a Node site anchored in Node's own code ranks after the program's, whatever a point of score says", () => {
  // fastify-shop leaking a listener that holds the request: each leaked
  // request keeps the 'end' listener node:_http_server adds to every
  // request. Counts from a default attach where Node's site scored a point
  // higher (the requests in flight at each look differ).
  const site = (key: string, counts: number[], anchor: { fn: string; file: string; line: number }): SiteSeries => ({
    key,
    anchor,
    userCode: !anchor.file.startsWith('node:'),
    counts,
    states: new Map([['active', counts.reduce((a, b) => a + b, 0)]]),
    observations: counts.reduce((a, b) => a + b, 0),
    firstSeen: 0,
    leaked: 0,
    idless: true,
    exampleStack: [anchor],
    callPaths: [],
    labels: [],
    kinds: [{ kind: 'listener', count: counts[counts.length - 1]! }],
  });
  const times = [0, 1000, 2000, 3000, 4000, 5000];
  const rank = (sites: SiteSeries[]) =>
    scoreSites({
      runtime: 'node',
      times,
      totals: times.map(() => 200),
      ignored: times.map(() => 0),
      notStarted: times.map(() => 0),
      sites,
      warnings: [],
      hasIds: false,
      sources: [],
      idClock: [],
    });
  const node = (counts: number[]) => site('clearIncoming node:_http_server:953', counts, { fn: 'clearIncoming', file: 'node:_http_server', line: 953 });
  const program = (counts: number[]) => site('onChange fastify-shop.mjs:87', counts, { fn: 'onChange', file: 'fastify-shop.mjs', line: 87 });
  const suspects = rank([node([12, 19, 20, 25, 30, 35]), program([13, 16, 20, 25, 30, 35])]);
  assert.ok(suspects.every((s) => s.score >= 70));
  assert.ok(suspects.find((s) => s.key.startsWith('clearIncoming'))!.score > suspects.find((s) => s.key.startsWith('onChange'))!.score);
  assert.deepEqual(
    suspects.map((s) => s.key),
    ['onChange fastify-shop.mjs:87', 'clearIncoming node:_http_server:953'],
  );
  // A band apart, the score decides: Node's growing site is still listed first.
  const apart = rank([node([12, 19, 20, 25, 30, 35]), program([10, 10, 11, 11, 12, 12])]);
  assert.equal(apart[0]!.key, 'clearIncoming node:_http_server:953');
  assert.ok(apart[1]!.score < 70);
});

test('a sampled Node series says once how much of the time the agent watched', () => {
  // What each snapshot file carries is read back exactly.
  for (const [dutyCycle, share] of [
    [0.04, 0],
    [0.1, 10],
    [0.66, 70],
    [0.94, 90],
  ] as const) {
    assert.equal(shareOfSamplingWarning(samplingWarning(dutyCycle)), share);
  }
  assert.equal(shareOfSamplingWarning('dump ends mid-goroutine: 3 complete goroutines were read, the last one was dropped'), undefined);
  const tail = 'to stay within its CPU budget; counts are estimates scaled from what it saw (--track all watches everything)';
  assert.equal(seriesSamplingWarning([70, 90, 80, 90, 90], 6), `the agent watched 70% to 90% of the time in 5 of 6 snapshots ${tail}`);
  assert.equal(seriesSamplingWarning([0, 0, 30], 3), `the agent watched up to 30% of the time in 3 of 3 snapshots ${tail}`);
  assert.equal(seriesSamplingWarning([0, 0], 6), `the agent watched under 10% of the time in 2 of 6 snapshots ${tail}`);
  assert.equal(seriesSamplingWarning([40], 1), `the agent watched about 40% of the time ${tail}`);
});

test('a leak that climbs, survives and blocks ranks first and high; the steady pool beside it stays low', () => {
  const { suspects } = analyze(leakingService(6, (i) => 5 + 10 * i));
  const [top, pool] = suspects;
  assert.equal(top?.key, 'main.(*session).heartbeat <- main.(*gateway).Open');
  assert.ok(top!.score >= 90, `score ${top!.score}`);
  assert.equal(top!.survival, 1);
  assert.equal(top!.blocking, 1);
  assert.match(
    top!.explanation,
    /^\+10\/min over 6 snapshots \(5 → 55\), rising at every step; 100% survive the window; all blocked on select; no progress: the same 5 goroutines/,
  );
  assert.equal(pool?.key, 'main.worker <- main.startPool');
  // Idle workers waiting for a job: no growth, and a wait that means little (docs/scoring.md).
  assert.ok(pool!.score < 30, `pool ${pool!.score}`);
  assert.match(pool!.explanation, /flat/);
});

test('goroutines that come and go at a growing site score lower than ones that stay', () => {
  // The same counts; in one series every goroutine is new at each snapshot.
  const counts = [5, 15, 25, 35, 45];
  const stay = analyze(counts.map((n, i) => goSnapshot(i * 60_000, [{ fn: 'main.leak', ids: ids(1, n) }])));
  const churn = analyze(counts.map((n, i) => goSnapshot(i * 60_000, [{ fn: 'main.leak', ids: ids(1000 * (i + 1), n) }])));
  assert.equal(stay.suspects[0]!.survival, 1);
  assert.equal(churn.suspects[0]!.survival, 0);
  assert.ok(stay.suspects[0]!.score > churn.suspects[0]!.score, `${stay.suspects[0]!.score} vs ${churn.suspects[0]!.score}`);
});

test('one snapshot: scored by size and blocking only, never above the cap', () => {
  const { suspects } = analyze([goSnapshot(0, [{ fn: 'main.stuck', ids: ids(1, 500), waitMinutes: 30 }])]);
  assert.equal(suspects[0]!.growth, undefined);
  assert.equal(suspects[0]!.score, SINGLE_SNAPSHOT_CAP);
  assert.match(suspects[0]!.explanation, /^500 goroutines in one snapshot, growth unknown; all blocked on chan receive; waiting up to 30 min(;|$)/);
});

test('goroutines the Go runtime reports leaked score 100 even when they do not grow', () => {
  // (A wait made on purpose, select {} with no cases, is set aside: docs/scoring.md.)
  const snapshots = [0, 1, 2].map((i) => goSnapshot(i * 60_000, [{ fn: 'main.sendResult', state: 'chan send', ids: [7], leaked: true }]));
  const [top] = analyze(snapshots).suspects;
  assert.equal(top!.score, 100);
  assert.equal(top!.confirmed, true);
  assert.match(top!.explanation, /^1 confirmed leaked by the Go runtime; /);
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
  // HTTP/2 body readers and workqueue workers wait on a sync.Cond as idle consumers do on a channel.
  assert.equal(w('sync.Cond.Wait'), w('chan receive'));
  assert.ok(w('select') > w('IO wait'));
  assert.equal(w('running'), 0);
  assert.equal(w('unknown'), 0, 'counts-only input says nothing about the state');
  // Node's states sit on the same scale.
  assert.ok(w('pending') > w('active'));
});

test('id dating: a pool started with the process, a burst, and a leak that accumulated', () => {
  // Ids handed out at 600 per minute; the first look saw id 60,000.
  const readings = [
    { time: 0, maxId: 60_000 },
    { time: 60_000, maxId: 60_600 },
  ];
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
  const young = [
    { time: 0, maxId: 1500 },
    { time: 60_000, maxId: 23_500 },
  ];
  const quick = dateIds(range(400, 800), young[0]!, young, 1)!;
  assert.ok(quick.spread >= 0.4);
  assert.equal(quick.accumulation, 0);
  // Without a second reading there is no rate: the ids still order, but do not date.
  const once = dateIds(range(1000, 300, 197), firstLook, [firstLook], 1)!;
  assert.equal(once.idsPerMinute, undefined);
  assert.equal(once.accumulation, once.spread);
});

test('no progress: tasks that left or moved drop out, counts-only snapshots in between cap what stayed', () => {
  const at = (state: string, line: number, waitMinutes?: number): TaskPlace => ({
    place: `${state}\u0000f:${line}`,
    state,
    ...(waitMinutes !== undefined ? { waitMinutes } : {}),
  });
  const look = (entries: [string, TaskPlace][]) => new Map(entries);
  const staying = new StayingTasks();
  staying.look(0, new Map()); // not there yet
  staying.look(
    1,
    look([
      ['10', at('sync.Mutex.Lock', 5)],
      ['11', at('sync.Mutex.Lock', 5)],
      ['12', at('chan receive', 9)],
      ['13', at('chan receive', 9)],
    ]),
  );
  staying.count(4); // a ?debug=1 snapshot: no ids
  staying.count(0); // the site missing from it says nothing (aggregated keys carry no creator)
  staying.look(
    4,
    look([
      ['10', at('sync.Mutex.Lock', 5, 2)],
      ['11', at('sync.Mutex.Lock', 5)],
      ['12', at('running', 9)],
      ['20', at('chan receive', 9)],
    ]),
  );
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
  capped.look(
    0,
    look([
      ['1', at('chan send', 3)],
      ['2', at('chan send', 3)],
      ['3', at('chan send', 3)],
    ]),
  );
  capped.count(1); // the site held one task in between: two of them went away and came back
  capped.look(
    2,
    look([
      ['1', at('chan send', 3)],
      ['2', at('chan send', 3)],
      ['3', at('chan send', 3)],
    ]),
  );
  assert.equal(capped.summary()!.count, 1);
});

test('a sampled snapshot never says the agent watched about 100% while calling its counts estimates', () => {
  assert.match(samplingWarning(0.97), /^the agent watched about 90% of the time/);
  assert.equal(shareOfSamplingWarning(samplingWarning(0.97)), 90);
  assert.match(samplingWarning(0.04), /^the agent watched under 10% of the time/);
});

test('a Go site read in full at both ends and counted in between is all blocked, not half', () => {
  // Evidence dumps at the first and last snapshot, counts-only in between:
  // the counted looks say nothing of state and must not dilute the share.
  const counts = [6300, 6300, 6300, 6300];
  const anchor = { fn: 'main.(*ingest).write.func1', file: 'main.go', line: 73 };
  const times = [0, 2000, 4000, 6000];
  const [suspect] = scoreSites({
    runtime: 'go',
    times,
    totals: times.map(() => 8300),
    ignored: times.map(() => 0),
    notStarted: times.map(() => 0),
    sites: [
      {
        key: 'main.(*ingest).write.func1 main.go:73',
        anchor,
        userCode: true,
        counts,
        states: new Map([
          ['chan send', 12_600],
          ['unknown', 12_600],
        ]),
        observations: 25_200,
        firstSeen: 0,
        leaked: 0,
        exampleStack: [anchor],
        callPaths: [],
        labels: [],
        kinds: [{ kind: 'goroutine', count: 6300 }],
      },
    ],
    warnings: [],
    hasIds: false,
    sources: [],
    idClock: [],
  });
  assert.equal(suspect!.mainState, 'chan send');
  assert.equal(suspect!.mainStateShare, 1);
  assert.match(suspect!.explanation, /all blocked on chan send/);
});

test('work in flight piling up is not a leak: tasks that never last from one look to the next count at a quarter', () => {
  // A traffic ramp: more requests in flight at every look (3, 6, ... 18), each done before the next look.
  const requests = (i: number) => ({ fn: 'main.(*api).handle', line: 40, state: 'IO wait', ids: ids(100_000 + i * 1000, 3 * (i + 1)) });
  const ramp = analyze(
    leakingService(
      6,
      () => 0,
      (i) => [requests(i)],
    ),
  );
  const handler = ramp.suspects.find((s) => s.site.anchor?.fn === 'main.(*api).handle')!;
  assert.equal(handler.stepSurvival, 0);
  assert.ok(handler.score < 30, `score ${handler.score} (${handler.explanation})`);
  assert.match(handler.explanation, /0% last from one look to the next: work in flight piling up, not resources kept/);
  // The same climb made of goroutines that stay is the leak.
  const kept = analyze(leakingService(6, (i) => 3 * (i + 1)));
  const leak = kept.suspects[0]!;
  assert.equal(leak.site.anchor?.fn, 'main.(*session).heartbeat');
  assert.ok(leak.stepSurvival! > 0.9);
  assert.ok(leak.score >= 70, `score ${leak.score} (${leak.explanation})`);
  assert.doesNotMatch(leak.explanation, /in flight/);
});
