/**
 * The "piled" evidence (src/analysis/piled-listeners.ts, docs/scoring.md):
 * copies of one listener on one emitter past the emitter's limit and the
 * open connections, never fewer while watched. No process is started: Node
 * series are written by hand in the snapshot format, as the census reports
 * listeners (listener line, a count without ids, and the most copies one
 * emitter holds with that emitter's limit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SnapshotBuilder } from '../../src/model/builder.js';
import { SeriesBuilder } from '../../src/analysis/series.js';
import type { SeriesResult } from '../../src/analysis/series.js';
import { scoreSites } from '../../src/analysis/score.js';
import type { Suspect } from '../../src/analysis/score.js';
import { piledEvidence } from '../../src/analysis/piled-listeners.js';
import { snapshotFromJson } from '../../src/model/file.js';

const START = 1_700_000_000_000;
const LINE = 54;

interface Listeners {
  /** All copies of the listener, over every emitter, at each look. */
  total: (look: number) => number;
  /** The most copies on one emitter, at each look. */
  onOne: (look: number) => number;
  /** That emitter's limit (0: removed). */
  limit: number;
  /** Open TCP sockets at every look (both ends count). */
  connections?: number;
  looks?: number;
}

function listenerSeries(l: Listeners): SeriesResult {
  const builder = new SeriesBuilder();
  for (let i = 0; i < (l.looks ?? 12); i++) {
    const b = new SnapshotBuilder('node', { profile: 'node-agent', startedAt: START });
    const stack = b.stack([b.frame('(anonymous)', '/srv/app/gateway.mjs', LINE)]);
    const labels = { resource: "listener: 'change' listener on EventEmitter" };
    b.addTask({ kind: 'listener', state: 'active', stack, origin: 'census', labels, count: l.total(i), onOneEmitter: { copies: l.onOne(i), limit: l.limit } });
    const accepted = b.stack([]);
    for (let c = 0; c < (l.connections ?? 0); c++) {
      b.addTask({ id: String(200 + c), kind: 'TCPWRAP', state: 'active', stack: accepted, origin: 'census', labels: { resource: 'TCP socket: accepted' } });
    }
    builder.add(b.build(START + 600_000 + i * 5000), `snapshot-${i}`);
  }
  return builder.result();
}

function listenerSuspect(series: SeriesResult): Suspect {
  const suspect = scoreSites(series).find((s) => s.site.anchor?.line === LINE);
  assert.ok(suspect, 'the listener site');
  return suspect;
}

/** No piled evidence, and the site stays quiet. */
function assertNoPile(series: SeriesResult): void {
  const suspect = listenerSuspect(series);
  assert.equal(piledEvidence(suspect.site, series), undefined);
  assert.ok(suspect.score < 30, `score ${suspect.score} (${suspect.explanation})`);
}

test('a pile left on a shared emitter before attach, past the limit the program raised: no growth, and it fails check all the same', () => {
  // leaked-before-attach's config listeners: 600 sessions subscribed during a reconnect storm, none unsubscribed.
  const series = listenerSeries({ total: () => 600, onOne: () => 600, limit: 100, connections: 4 });
  const suspect = listenerSuspect(series);
  assert.ok(suspect.score >= 70, `score ${suspect.score} (${suspect.explanation})`);
  assert.equal(suspect.evidence.growth, 0);
  assert.match(
    suspect.explanation,
    /piled on one emitter: 600 copies of this listener for its event, never fewer at 12 looks, more than its limit of 100, past which Node warns of a possible leak, and the 4 open connections/,
  );
});

test('a pile that keeps growing slowly past the limit is one leak, and each evidence adds', () => {
  const series = listenerSeries({ total: (i) => 300 + i, onOne: (i) => 300 + i, limit: 10, connections: 2 });
  const suspect = listenerSuspect(series);
  assert.ok(suspect.score >= 70, `score ${suspect.score}`);
  assert.ok(suspect.evidence.piled > 0.75 && suspect.evidence.growth > 0, JSON.stringify(suspect.evidence));
});

test('listeners made by design at boot under the limit the program set for them are not a pile (boot-timers)', () => {
  const series = listenerSeries({ total: () => 64, onOne: () => 64, limit: 74, connections: 0 });
  assertNoPile(series);
});

test('a hub with one listener per connected client holds as many as there are connections, however many', () => {
  // 200 clients, both ends of each connection in the process: 400 sockets, past Node's default limit.
  const series = listenerSeries({ total: () => 200, onOne: () => 200, limit: 10, connections: 400 });
  assertNoPile(series);
});

test('listeners for work in flight fall as the work ends: past the limit at every look, still not a pile', () => {
  // One listener per pending order on a shared price feed, 30 to 60 in flight.
  const inFlight = [40, 35, 52, 30, 44, 60, 38, 41, 33, 50, 47, 36];
  const series = listenerSeries({ total: (i) => inFlight[i]!, onOne: (i) => inFlight[i]!, limit: 10, connections: 8 });
  assertNoPile(series);
});

test('where the program removed the limit, a steady pile says nothing: it declared it holds many by design', () => {
  // A new user's healthy programs, each steady at every look and past Node's default: a hub of 50 clients
  // with three topic subscriptions each, 40 HTTP/2 watch streams on one connection, a pool of 32 jobs.
  for (const [copies, connections] of [
    [150, 50],
    [40, 1],
    [32, 0],
  ] as const) {
    assertNoPile(listenerSeries({ total: () => copies, onOne: () => copies, limit: 0, connections }));
  }
});

test('many copies spread over many emitters, a few on each, are not a pile on one', () => {
  // 900 per-request emitters with two listeners each: a big total, nothing past any limit.
  const series = listenerSeries({ total: () => 1800, onOne: () => 2, limit: 10 });
  assertNoPile(series);
});

test('how far past the threshold the weakest look is sets the weight: twice a suspect, three times a leak', () => {
  const at = (copies: number): number => {
    const series = listenerSeries({ total: () => copies, onOne: () => copies, limit: 10 });
    return piledEvidence(series.sites[0]!, series)?.value ?? 0;
  };
  assert.ok(at(20) > 0.3 && at(20) < 0.7, `twice: ${at(20)}`);
  assert.ok(at(30) >= 0.7, `three times: ${at(30)}`);
  assert.ok(at(11) < 0.3, `one past: ${at(11)}`);
});

test('a snapshot file whose listeners on one emitter are not counts is refused with one line', () => {
  const b = new SnapshotBuilder('node', { profile: 'node-agent', startedAt: START });
  const stack = b.stack([b.frame('(anonymous)', '/srv/app/gateway.mjs', LINE)]);
  b.addTask({ kind: 'listener', state: 'active', stack, origin: 'census', onOneEmitter: { copies: -1, limit: 10 } });
  assert.throws(
    () => snapshotFromJson(JSON.parse(JSON.stringify(b.build(START))), 'bad.json'),
    /bad\.json: snapshot has a task whose listeners on one emitter are not counts/,
  );
});
