/**
 * The "outlived" evidence (src/analysis/outlived.ts, docs/scoring.md):
 * repeating timers made steadily before the window, none cleared while
 * watched, more than the open connections. No process is started: Node
 * series are written by hand in the snapshot format, as the census reports
 * timers (callback line, async id, "Timeout: setInterval N ms").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SnapshotBuilder } from '../../src/model/builder.js';
import type { Snapshot } from '../../src/model/format.js';
import { SeriesBuilder } from '../../src/analysis/series.js';
import type { SeriesResult } from '../../src/analysis/series.js';
import { scoreSites } from '../../src/analysis/score.js';
import type { Suspect } from '../../src/analysis/score.js';
import { OUTLIVED_CAP, outlivedEvidence } from '../../src/analysis/outlived.js';

interface TimerSite {
  line: number;
  /** Async ids of the site's timers alive at each look (same ids = the same timers). */
  ids: (look: number) => readonly number[];
  resource?: string;
}

interface Service {
  /** Milliseconds from the process's start to the first look. */
  agedMs: number;
  /** The async id clock at the first look, and how many ids it hands out per look. */
  clock: number;
  idsPerLook: number;
  timers: TimerSite[];
  /** Open TCP connections at every look. */
  connections?: number;
  looks?: number;
  everyMs?: number;
}

const START = 1_700_000_000_000;

function nodeSeries(service: Service): SeriesResult {
  const looks = service.looks ?? 12;
  const every = service.everyMs ?? 5000;
  const firstAt = START + service.agedMs;
  const builder = new SeriesBuilder();
  for (let i = 0; i < looks; i++) {
    const clock = service.clock + i * service.idsPerLook;
    const b = new SnapshotBuilder('node', { profile: 'node-agent', startedAt: START });
    for (const site of service.timers) {
      const stack = b.stack([b.frame('(anonymous)', '/srv/app/gateway.mjs', site.line)]);
      const resource = site.resource ?? 'Timeout: setInterval 1000 ms';
      for (const id of site.ids(i)) b.addTask({ id: String(id), kind: 'Timeout', state: 'active', stack, origin: 'census', labels: { resource } });
    }
    const accepted = b.stack([b.frame('TCP socket accepted on 127.0.0.1:8080', '', 0)]);
    for (let c = 0; c < (service.connections ?? 0); c++) {
      b.addTask({ id: String(200 + c), kind: 'TCPWRAP', state: 'active', stack: accepted, origin: 'census', labels: { resource: 'TCP socket: accepted' } });
    }
    // The newest resource: whatever the service made last (its id is the clock).
    const tick = b.stack([b.frame('processTicksAndRejections', 'node:internal/process/task_queues', 95)]);
    b.addTask({ id: String(clock), kind: 'TickObject', state: 'active', stack: tick, labels: { resource: 'TickObject' } });
    const snapshot: Snapshot = b.build(firstAt + i * every);
    snapshot.newestId = String(clock);
    builder.add(snapshot, `snapshot-${i}`);
  }
  return builder.result();
}

function siteAt(series: SeriesResult, line: number) {
  const site = series.sites.find((s) => s.anchor?.line === line);
  assert.ok(site, `a site at line ${line}`);
  return site;
}

function suspectAt(suspects: Suspect[], line: number): Suspect {
  const suspect = suspects.find((s) => s.site.anchor?.line === line);
  assert.ok(suspect, `a suspect at line ${line}`);
  return suspect;
}

/** n ids spread evenly over [from, to]. */
function spread(n: number, from: number, to: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.round(from + ((to - from) * i) / Math.max(1, n - 1)));
}

test('a pile of intervals made before attach, none cleared while watched, ranks first with 70 or more', () => {
  // leaked-before-attach: 600 heartbeats made during a reconnect storm in
  // the first seconds of the process, the process quiet since (its id clock
  // barely moves while watched), one open connection.
  const leaked = spread(600, 28, 1383);
  const series = nodeSeries({ agedMs: 7000, clock: 1389, idsPerLook: 2, connections: 1, timers: [{ line: 53, ids: () => leaked }] });
  const outlived = outlivedEvidence(siteAt(series, 53), series);
  assert.ok(outlived, 'outlived evidence');
  assert.equal(outlived.count, 600);
  assert.ok(outlived.spanMinutes <= 7000 / 60_000, `made over ${outlived.spanMinutes} min: never more than the process's age`);
  assert.ok(outlived.value > 0.79 && outlived.value <= OUTLIVED_CAP, `value ${outlived.value}`);
  const suspects = scoreSites(series);
  assert.equal(suspects[0]!.site.anchor?.line, 53);
  assert.ok(suspects[0]!.score >= 70, `score ${suspects[0]!.score} (${suspects[0]!.explanation})`);
  assert.match(suspects[0]!.explanation, /outlived: 600 repeating timers made over \d+s, none cleared in 55s/);
  assert.equal(suspects[0]!.evidence.outlived, outlived.value);
});

test('intervals made at boot in one block stay low, however many and however long they live', () => {
  // boot-timers: 64 shard refreshers made in one loop at start.
  const boot = spread(64, 10, 75);
  const series = nodeSeries({ agedMs: 3000, clock: 3000, idsPerLook: 500, timers: [{ line: 40, ids: () => boot }] });
  assert.equal(outlivedEvidence(siteAt(series, 40), series), undefined);
  assert.ok(suspectAt(scoreSites(series), 40).score < 30);
});

test('a block made at one moment later in life is not a stream of timers nobody clears', () => {
  // One tenth of the process's ids: a set made at once (a lazily started pool), not made steadily.
  const block = spread(50, 5000, 5100);
  const series = nodeSeries({ agedMs: 600_000, clock: 10_000, idsPerLook: 50, timers: [{ line: 41, ids: () => block }] });
  assert.equal(outlivedEvidence(siteAt(series, 41), series), undefined);
});

test('per-connection heartbeats of clients that stay online: no more timers than connections, not flagged', () => {
  const heartbeats = spread(40, 100, 5000);
  const series = nodeSeries({ agedMs: 60_000, clock: 6000, idsPerLook: 20, connections: 40, timers: [{ line: 60, ids: () => heartbeats }] });
  assert.equal(outlivedEvidence(siteAt(series, 60), series), undefined);
  assert.ok(suspectAt(scoreSites(series), 60).score < 30);
  // The same timers with fewer connections than timers are not per connection.
  const fewer = nodeSeries({ agedMs: 60_000, clock: 6000, idsPerLook: 20, connections: 10, timers: [{ line: 60, ids: () => heartbeats }] });
  assert.ok(outlivedEvidence(siteAt(fewer, 60), fewer));
});

test('a site where some timer was cleared during the window is alive: not flagged', () => {
  const heartbeats = spread(40, 100, 5000);
  const series = nodeSeries({
    agedMs: 60_000,
    clock: 6000,
    idsPerLook: 20,
    timers: [{ line: 60, ids: (look) => (look < 6 ? heartbeats : heartbeats.slice(1)) }],
  });
  assert.equal(outlivedEvidence(siteAt(series, 60), series), undefined);
});

test('one-shot timers end by themselves: staying says nothing, not flagged', () => {
  const timeouts = spread(100, 100, 5000);
  const series = nodeSeries({
    agedMs: 60_000,
    clock: 6000,
    idsPerLook: 20,
    timers: [{ line: 70, ids: () => timeouts, resource: 'Timeout: setTimeout 3600000 ms' }],
  });
  assert.equal(outlivedEvidence(siteAt(series, 70), series), undefined);
});

test('strength grows with how many timers and how long they were watched, against how long making them took', () => {
  // A few timers made over an hour, watched for a minute: a healthy site
  // would have cleared few of them in that minute, so seeing none cleared
  // says little.
  const clockPerMinute = 1000;
  const slow = (n: number, looks: number) =>
    nodeSeries({
      agedMs: 3_600_000,
      clock: 60 * clockPerMinute,
      idsPerLook: clockPerMinute / 12,
      looks,
      timers: [{ line: 80, ids: () => spread(n, 1000, 60 * clockPerMinute) }],
    });
  const value = (n: number, looks: number) => outlivedEvidence(siteAt(slow(n, looks), 80), slow(n, looks))!.value;
  const few = value(3, 13);
  assert.ok(Math.abs(few - OUTLIVED_CAP * (1 - Math.exp(-(3 * 1) / 59))) < 0.01, `3 timers over 59 min, watched 1 min: ${few}`);
  assert.ok(value(30, 13) > few, 'more timers, stronger');
  assert.ok(value(3, 61) > few, 'watched longer, stronger');
  assert.ok(value(600, 13) > 0.79, 'hundreds over an hour, none cleared in a minute: strong');
});

test('Go series have no outlived evidence', () => {
  const series = nodeSeries({ agedMs: 7000, clock: 1389, idsPerLook: 2, timers: [{ line: 53, ids: () => spread(600, 28, 1383) }] });
  assert.equal(outlivedEvidence(siteAt(series, 53), { ...series, runtime: 'go' }), undefined);
});
