/**
 * `leakscan show` text on captured dumps: what the runtime left out of a
 * stack is said next to the site, so a cut stack is not read as a whole one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadSnapshotFile } from '../../src/formats/load.js';
import { summarizeSnapshot } from '../../src/analysis/summary.js';
import { renderShow } from '../../src/report/show-text.js';
import { dumpsDir } from '../helpers/paths.js';

async function show(dump: string): Promise<string> {
  const snapshot = await loadSnapshotFile(join(dumpsDir, dump));
  return renderShow(snapshot, summarizeSnapshot(snapshot), 100);
}

test('a deep stack says how many frames the runtime elided', async () => {
  const text = await show('go1.26.8-debug2.txt');
  assert.match(text, /chan receive +main\.deepRecursion {2}main\.go:361 \[101 frames elided\]\n/);
  assert.equal(text.match(/elided/g)?.length, 1, 'no other site is marked');
  // Go 1.20 cuts the same stack without saying so: nothing to show.
  assert.doesNotMatch(await show('go1.20.14-debug2.txt'), /elided/);
});

test('a goroutine whose stack the runtime did not print says so', async () => {
  const text = await show('go1.26.8-panic-running-on-other-thread.txt');
  assert.match(text, /\(no stack: goroutine\) <- main\.doCrash \[library\] \[stack unavailable: running on another thread\]\n/);
  assert.doesNotMatch(await show('go1.26.8-panic.txt'), /stack unavailable/);
});
