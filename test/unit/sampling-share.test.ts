/**
 * The share of the time the Node agent watched travels as a number
 * (Snapshot.watchedShare) and is put into words by the reports; snapshot
 * files written before the field, which carry the sentence, read the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../src/analysis/analyze.js';
import { SnapshotBuilder } from '../../src/model/builder.js';
import { snapshotFromJson } from '../../src/model/file.js';
import type { Snapshot } from '../../src/model/format.js';
import { samplingWarning } from '../../src/model/sampling-warning.js';
import { summarizeSnapshot } from '../../src/analysis/summary.js';
import { renderShow } from '../../src/report/show-text.js';
import { InputError } from '../../src/util/errors.js';

function nodeSnapshot(takenAt: number, watchedShare: number | undefined, pending: number): Snapshot {
  const b = new SnapshotBuilder('node', { profile: 'node-agent' });
  const stack = b.stack([b.frame('callRemote', '/app/rpc.mjs', 12)]);
  for (let i = 0; i < pending; i++) b.addTask({ id: String(takenAt + i), kind: 'PROMISE', state: 'pending', stack });
  b.watchedShare = watchedShare;
  return b.build(takenAt);
}

const TAIL = 'to stay within its CPU budget; counts are estimates scaled from what it saw (--track all watches everything)';

test('a series says once how much of the time the agent watched, from the snapshots’ numbers', () => {
  const series = [0.72, 0.88, undefined, 0.91].map((share, i) => nodeSnapshot(i * 60_000, share, 5 * i));
  const { warnings } = analyze(series).series;
  assert.deepEqual(warnings, [`the agent watched 70% to 90% of the time in 3 of 4 snapshots ${TAIL}`]);
});

test('a snapshot file with the old sentence instead of the number reads the same', () => {
  const old = { ...nodeSnapshot(0, undefined, 3), warnings: [samplingWarning(0.42)] };
  const now = nodeSnapshot(0, 0.42, 3);
  assert.deepEqual(analyze([old]).series.warnings, analyze([now]).series.warnings);
  assert.deepEqual(analyze([now]).series.warnings, [`the agent watched about 40% of the time ${TAIL}`]);
});

test('show says it in words, first among the warnings; a file with a share outside 0..1 is refused', () => {
  const snapshot = { ...nodeSnapshot(0, 0.05, 2), warnings: ['the agent tracked no more than 200,000 resources'] };
  const text = renderShow(snapshot, summarizeSnapshot(snapshot), 5);
  assert.match(text, new RegExp(`warning: the agent watched under 10% of the time .*\\nwarning: the agent tracked no more`));
  assert.throws(
    () => snapshotFromJson(JSON.parse(JSON.stringify({ ...nodeSnapshot(0, undefined, 1), watchedShare: 3 })), 'bad.json'),
    (e: unknown) => e instanceof InputError && /watchedShare/.test(e.message),
  );
});
