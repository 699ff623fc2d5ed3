/**
 * Label sets travel through the analysis as values: the series keeps each
 * distinct set with its count, and the JSON and text outputs show them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../src/analysis/analyze.js';
import { diffJson } from '../../src/report/diff-json.js';
import { renderDiff } from '../../src/report/diff-text.js';
import { goSnapshot, ids } from '../helpers/snapshots.js';

const series = [3, 6, 9].map((n, i) =>
  goSnapshot(i * 60_000, [
    { fn: 'main.checkout', labels: { handler: 'checkout', tenant: 'acme' }, ids: ids(1, n) },
    { fn: 'main.checkout', labels: { handler: 'checkout', tenant: 'globex' }, ids: ids(100, 2 * n) },
  ]),
);

test('each label set of the last snapshot is kept with its count, most common first', () => {
  const [top] = analyze(series).suspects;
  assert.deepEqual(top!.site.labels, [
    { labels: { handler: 'checkout', tenant: 'globex' }, count: 18 },
    { labels: { handler: 'checkout', tenant: 'acme' }, count: 9 },
  ]);
});

test('the JSON and text outputs show the label sets as they were', () => {
  const analysis = analyze(series);
  const json = diffJson(analysis, { top: 5, minScore: 0 });
  assert.deepEqual(json.suspects[0]!.labels, [
    { labels: { handler: 'checkout', tenant: 'globex' }, count: 18 },
    { labels: { handler: 'checkout', tenant: 'acme' }, count: 9 },
  ]);
  assert.match(renderDiff(analysis, { top: 5, minScore: 0, frames: 3 }), /\n {6}labels handler=checkout tenant=globex\n/);
});
