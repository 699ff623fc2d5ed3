/**
 * Baseline files (src/analysis/baseline.ts): what a team commits to accept
 * known leaks, written for review and read back strictly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../../src/analysis/analyze.js';
import { baselineJson, makeBaseline, readBaseline } from '../../src/analysis/baseline.js';
import { InputError } from '../../src/util/errors.js';
import { leakingService } from '../helpers/snapshots.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const { suspects } = analyze(
  leakingService(
    6,
    (i) => 5 + 10 * i,
    (i) => [{ fn: 'main.acceptLoop', line: 12, state: 'IO wait', ids: [1 + i * 0] }],
  ),
);

test('a baseline keeps the sites at or above the minimum score, sorted by key, with where they are', () => {
  // The healthy pool and the accept loop score a few points at most (waits with no progress, but idle ones).
  const baseline = makeBaseline('go', suspects, 30, new Date('2026-01-02T03:04:05Z'));
  assert.equal(baseline.createdAt, '2026-01-02T03:04:05.000Z');
  assert.deepEqual(
    baseline.sites.map((s) => [s.key, s.where, s.perMinute]),
    [['main.(*session).heartbeat <- main.(*gateway).Open', 'main.go:65', 10]],
  );
  const all = makeBaseline('go', suspects, 0);
  assert.deepEqual(
    all.sites.map((s) => s.key),
    ['main.(*session).heartbeat <- main.(*gateway).Open', 'main.acceptLoop', 'main.worker <- main.startPool'],
  );
});

test('a written baseline reads back as it was, one site per entry', async () => {
  const baseline = makeBaseline('go', suspects, 0);
  const file = join(dir, 'baseline.json');
  const text = baselineJson(baseline);
  writeFileSync(file, text);
  assert.ok(text.endsWith('}\n'));
  assert.match(text, /\n {4}\{\n {6}"key": "main\.acceptLoop",/);
  assert.deepEqual(await readBaseline(file), baseline);
});

test('a file that is not a baseline, or is newer than this leakscan, is refused with a reason', async () => {
  const cases: [string, RegExp][] = [
    ['{"schema": "other"}', /is not a leakscan baseline/],
    ['not json', /is not valid JSON/],
    ['{"schema": "leakscan.baseline", "version": 99, "sites": []}', /has version 99, newer than this leakscan reads \(1\); upgrade leakscan/],
    ['{"schema": "leakscan.baseline", "version": 1, "sites": [{"key": 3}]}', /has malformed sites/],
  ];
  for (const [content, message] of cases) {
    const file = join(dir, 'bad.json');
    writeFileSync(file, content);
    await assert.rejects(readBaseline(file), (error: unknown) => error instanceof InputError && message.test(error.message));
  }
  await assert.rejects(readBaseline(join(dir, 'missing.json')), /cannot read baseline .*missing\.json/);
});
