/**
 * Pending promises a sampling Node agent counted before it placed them
 * (src/analysis/unplaced-promises.ts): spread over the promise sites of the
 * last snapshot, so a steady leak caught late is one site with its whole
 * history. Series are written by hand in the snapshot format, as the Node
 * target writes them: the census's unplaced count as one site without a
 * line, the agent's sampled records with a count each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SnapshotBuilder } from '../../src/model/builder.js';
import { analyze, Analyzer, defaultAnalysisOptions } from '../../src/analysis/analyze.js';
import type { Analysis } from '../../src/analysis/analyze.js';
import { apportion } from '../../src/analysis/unplaced-promises.js';
import { UNPLACED_PROMISES_FRAME, UNPLACED_PROMISES_WORDS } from '../../src/model/census-sites.js';

const START = 1_700_000_000_000;
const LEAK_LINE = 75;
const HEALTHY_LINE = 40;

interface Look {
  /** The census's pending promises made since attach that no record places. */
  unplaced: number;
  /** Sampled records per line: [async id, how many promises it stands for]. */
  records: Record<number, [number, number][]>;
}

function series(looks: Look[]): Analysis {
  return analyze(snapshotsOf(looks));
}

function snapshotsOf(looks: Look[]) {
  return looks.map((look, i) => {
    const b = new SnapshotBuilder('node', { profile: 'node-agent', startedAt: START });
    for (const [line, records] of Object.entries(look.records)) {
      const stack = b.stack([b.frame('call', '/srv/app/rpc.mjs', Number(line)), b.frame('handle', '/srv/app/server.mjs', 12)]);
      for (const [id, count] of records) b.addTask({ id: String(id), kind: 'PROMISE', state: 'pending', stack, count, labels: { resource: 'Promise' } });
    }
    if (look.unplaced > 0) {
      const stack = b.stack([b.frame(UNPLACED_PROMISES_FRAME, '', 0)]);
      b.addTask({ kind: 'PROMISE', state: 'pending', stack, count: look.unplaced, origin: 'census', labels: { resource: UNPLACED_PROMISES_WORDS } });
    }
    const snapshot = b.build(START + 60_000 + i * 5000);
    snapshot.watchedShare = 0.01;
    return snapshot;
  });
}

/** A leak of 8 promises/s (40 per look), caught by the sample at look `caughtAt`. */
function steadyLeak(caughtAt: number): Look[] {
  return Array.from({ length: 12 }, (_, i): Look => {
    const pending = 40 * i;
    return i < caughtAt ? { unplaced: pending, records: {} } : { unplaced: 0, records: { [LEAK_LINE]: [[5000 + caughtAt, pending]] } };
  });
}

test('a steady promise leak caught late by the sample is one site with its whole history, and scores 70 or more', () => {
  const analysis = series(steadyLeak(8));
  const [top] = analysis.suspects;
  assert.equal(top?.site.anchor?.line, LEAK_LINE);
  assert.deepEqual(
    top.site.counts,
    Array.from({ length: 12 }, (_, i) => 40 * i),
  );
  assert.ok(top.score >= 70, `score ${top.score} (${top.explanation})`);
  assert.match(
    top.explanation,
    /7 of the 12 counts are estimates: this site's share \(100%\) of the new pending promises counted before the agent's sampling saw where they were made/,
  );
  assert.equal(
    analysis.series.sites.find((s) => s.exampleStack[0]?.fn === UNPLACED_PROMISES_FRAME),
    undefined,
    'no second site for the same promises',
  );
});

test("the unplaced count is shared by the last snapshot's promise sites in proportion, adding up to the census count", () => {
  const looks = steadyLeak(6);
  looks[11]!.records[HEALTHY_LINE] = [[9000, 100]];
  looks[11]!.records[LEAK_LINE] = [[5006, 300]];
  const { series: s } = series(looks);
  const leak = s.sites.find((site) => site.anchor?.line === LEAK_LINE)!;
  const other = s.sites.find((site) => site.anchor?.line === HEALTHY_LINE)!;
  for (let i = 0; i < 6; i++) assert.equal(leak.counts[i]! + other.counts[i]!, 40 * i, `look ${i}`);
  assert.equal(leak.counts[4], 120);
  assert.equal(other.counts[4], 40);
  assert.deepEqual(leak.placedFromCensus, { snapshots: 5, share: 0.75 });
});

test('no record placed any of them: the growth stays visible on a site without a line that says how to place it', () => {
  const analysis = series(steadyLeak(12));
  const [top] = analysis.suspects;
  assert.equal(top?.site.exampleStack[0]?.fn, UNPLACED_PROMISES_FRAME);
  assert.deepEqual(
    top?.site.counts,
    Array.from({ length: 12 }, (_, i) => 40 * i),
  );
  assert.match(top!.explanation, /caught none of them being made: --track all places each one/);
});

test('a healthy service: in-flight promises make the unplaced count wander, and the site that gets it stays quiet', () => {
  // The census's count above its lowest: requests in flight at the instant of each walk.
  const wander = [0, 14, 3, 22, 9, 0, 17, 5, 12, 1, 19, 0];
  const looks = wander.map((unplaced, i): Look => ({ unplaced: i < 11 ? unplaced : 0, records: i < 11 ? {} : { [HEALTHY_LINE]: [[9000, 7]] } }));
  const analysis = series(looks);
  const healthy = analysis.suspects.find((s) => s.site.anchor?.line === HEALTHY_LINE)!;
  assert.ok(healthy.score < 30, `score ${healthy.score} (${healthy.explanation})`);
});

test('apportion: whole parts in proportion that add up to the total', () => {
  assert.deepEqual(apportion(10, [1, 1, 1]), [4, 3, 3]);
  assert.deepEqual(apportion(7, [3, 1]), [5, 2]);
  assert.deepEqual(apportion(5, [0, 0]), [0, 0]);
  assert.deepEqual(apportion(0, [2, 5]), [0, 0]);
});

test('ranking the snapshots so far after each one (as attach does) places the counts once: the end is what diff gives', () => {
  const snapshots = snapshotsOf(steadyLeak(8));
  const live = new Analyzer(defaultAnalysisOptions);
  snapshots.forEach((snapshot, i) => {
    live.add(snapshot, `snapshot ${i + 1}`);
    if (i > 0) live.finish();
  });
  const [once] = analyze(snapshots).suspects;
  const [top] = live.finish().suspects;
  assert.deepEqual(top!.site.counts, once!.site.counts);
  assert.equal(top!.score, once!.score);
});
