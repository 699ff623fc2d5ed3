/**
 * Which sites the terminal listing gives a line, and how its header counts
 * them: a site that scored 0 and holds nothing at the last snapshot is left
 * out of the text (the JSON keeps it), and "N shown of M sites" counts the
 * same M sites whatever --top prints, as attach's and the demo's shorter
 * lists print fewer of them. One of a thing reads in the singular.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeSnapshotFile } from '../src/model/file.js';
import type { DiffJson } from '../src/report/diff-json.js';
import { runCli } from './helpers/cli.js';
import { goSnapshot, ids, leakingService } from './helpers/snapshots.js';
import { tempDir } from './helpers/tmp.js';

/** A leaking Go service with a worker pool, requests that came and went, and one goroutine that stays. */
async function series(): Promise<string> {
  const dir = tempDir();
  const snapshots = leakingService(
    6,
    (i) => 10 * i,
    (i) => [
      { fn: 'main.handleRequest', line: 80, state: 'IO wait', ids: i === 0 ? ids(5000, 3) : [] },
      { fn: 'main.reloadConfig', line: 120, state: 'sleep', ids: [7] },
    ],
  );
  await Promise.all(snapshots.map((s, i) => writeSnapshotFile(join(dir, `s-${i + 1}.json.gz`), s)));
  return dir;
}

test('a site that scored 0 and held nothing at the end gets no line; the header counts the same sites at any --top', async () => {
  const dir = await series();
  const json = JSON.parse((await runCli(['diff', dir, '--json', '--top', '50'])).stdout) as DiffJson;
  const gone = json.suspects.find((s) => s.key.startsWith('main.handleRequest'));
  assert.ok(gone, 'the JSON keeps the site');
  assert.equal(gone.score, 0);
  assert.equal(gone.counts.at(-1), 0);

  const all = await runCli(['diff', dir]);
  assert.equal(all.code, 0, all.stderr);
  assert.doesNotMatch(all.stdout, /main\.handleRequest/);
  assert.match(all.stdout, /^Suspects \(3 shown of 3 sites\)$/m);
  assert.match(all.stdout, /^1 site that scored 0 and held nothing at the last snapshot not listed$/m);
  assert.match(all.stdout, /main\.reloadConfig/, 'a quiet site that still holds a goroutine keeps its line');

  const top = await runCli(['diff', dir, '--top', '1']);
  assert.match(top.stdout, /^Suspects \(1 shown of 3 sites\)$/m);
});

test('one goroutine, one site, one snapshot: the words are singular', async () => {
  const file = join(tempDir(), 'one.json.gz');
  await writeSnapshotFile(file, goSnapshot(1_000_000, [{ fn: 'main.reloadConfig', line: 120, state: 'select', ids: [7] }]));
  const diff = await runCli(['diff', file]);
  assert.match(diff.stdout, /^Suspects \(1 shown of 1 site\)$/m);
  assert.match(diff.stdout, /^ +1 goroutine in one snapshot, growth unknown;/m);
  const check = await runCli(['check', file]);
  assert.match(check.stderr, /a verdict from 1 snapshot sees little growth/);

  const dir = tempDir();
  const stuck = leakingService(
    6,
    () => 0,
    () => [{ fn: 'main.reloadConfig', line: 120, state: 'sync.Mutex.Lock', ids: [7], waitMinutes: 3 }],
  );
  await Promise.all(stuck.map((s, i) => writeSnapshotFile(join(dir, `s-${i + 1}.json.gz`), s)));
  const series = await runCli(['diff', dir]);
  assert.match(series.stdout, /no progress: the same 1 goroutine in the same frame/);
  assert.doesNotMatch(`${series.stdout}${diff.stdout}${check.stdout}${check.stderr}`, /\b1 (goroutines|sites|snapshots)\b/);
});

test('when nothing scores 30, diff says so plainly, and says what a window shorter than the defaults cannot tell', async () => {
  const healthy = async (stepMs: number) => {
    const dir = tempDir();
    const snapshots = leakingService(6, () => 0).map((s, i) => ({ ...s, takenAt: 1_000_000 + i * stepMs }));
    await Promise.all(snapshots.map((s, i) => writeSnapshotFile(join(dir, `s-${i + 1}.json.gz`), s)));
    return (await runCli(['diff', dir])).stdout;
  };
  assert.match(await healthy(60_000), /^no site scores 30 or more: nothing here looks like a leak$/m);
  // The defaults' 55s window, its last snapshot a moment early: no doubt cast on it.
  assert.match(await healthy(10_900), /^no site scores 30 or more: nothing here looks like a leak$/m);
  assert.match(
    await healthy(2000),
    /^no site scores 30 or more; over 10s, less than the defaults' 55s, a pile that stopped growing weighs less, so it may still be a leak$/m,
  );
  const leaking = await runCli(['diff', await series()]);
  assert.doesNotMatch(leaking.stdout, /no site scores 30/);
});
