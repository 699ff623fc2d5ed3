/**
 * Evidence dumps against a real Go service too big for full dumps within
 * the pause budget: bigburst holds about 8,300 goroutines (a pool of 2,000
 * busy workers and 6,300 writers leaked in one burst during a storage
 * outage, flat since). At the default budget (10 ms) every snapshot counts
 * goroutines per stack; the first and the last take a full dump within
 * the evidence pause (200 ms), and their ids and wait minutes show that the
 * burst made no progress. Attached only after the burst, as a user would,
 * with `leakscan check`'s defaults; the same service without the outage is
 * the healthy control.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { startGoFixture } from './helpers/go-fixtures.js';
import type { RunningFixture } from './helpers/go-fixtures.js';
import { tempDir } from './helpers/tmp.js';
import { loadSnapshotFile } from '../src/formats/load.js';
import type { DiffJson } from '../src/report/diff-json.js';
import type { Snapshot } from '../src/model/format.js';

const dir = tempDir();
const running: RunningFixture[] = [];
after(() => Promise.all(running.map((f) => f.stop())));

const LEAK = 'main.(*ingest).write.func1';
const POOL = 'main.(*compactor).worker';

interface CheckJson {
  passed: boolean;
  sites: { key: string; score: number; anchor: { fn: string } | null }[];
}

/** `leakscan check --pid` with its defaults (12 snapshots, 5 s apart), then `diff` of what it saved. */
async function checkWithDefaults(fixture: RunningFixture, name: string) {
  const out = join(dir, name);
  const result = await runCli(['check', '--pid', String(fixture.pid), '--out', out, '--format', 'text', '--format', `json=${out}.json`], {
    // The default attach samples for 55 s; a loaded machine adds its start, its dumps and the analysis.
    timeoutMs: 180_000,
  });
  assert.ok(result.code === 0 || result.code === 1, `${name}: check exit ${result.code}: ${result.stderr}`);
  const json = JSON.parse(readFileSync(`${out}.json`, 'utf8')) as CheckJson;
  const diff = await runCli(['diff', out, '--json', '--top', '100']);
  assert.equal(diff.code, 0, diff.stderr);
  const snapshots = await savedSnapshots(out);
  return { code: result.code, stdout: result.stdout, stderr: result.stderr, json, diff: JSON.parse(diff.stdout) as DiffJson, snapshots };
}

async function savedSnapshots(out: string): Promise<Snapshot[]> {
  const files = readdirSync(out)
    .filter((f) => f.endsWith('.json.gz'))
    .sort();
  return Promise.all(files.map((f) => loadSnapshotFile(join(out, f))));
}

/**
 * Full dumps at the first and last snapshot; counts in between when
 * `countsBetween`. (The control's 2,000 goroutines are near the budget: once
 * its first dump has measured what one costs, the others may fit it.)
 */
function assertEvidenceDumps(name: string, snapshots: Snapshot[], countsBetween: boolean): void {
  assert.equal(snapshots.length, 12, name);
  for (const [i, snapshot] of snapshots.entries()) {
    const views = snapshot.source.views;
    if (i === 0 || i === snapshots.length - 1) {
      assert.match(views?.details ?? '', /debug=2$/, `${name}: snapshot ${i + 1} is a full dump`);
      if (i === 0) assert.equal(views?.evidencePauseMs, 200, `${name}: snapshot ${i + 1} was allowed the evidence pause`);
      assert.ok(
        snapshot.tasks.every((task) => task.id !== undefined),
        `${name}: snapshot ${i + 1} has goroutine ids`,
      );
    } else if (countsBetween) {
      assert.equal(views?.details, undefined, `${name}: snapshot ${i + 1} counts only`);
      assert.equal(views?.skipped, 'over-budget');
    }
  }
}

test(
  'a burst of 6,300 that stopped, beside a busy pool of 2,000: found from the first and last full dumps; the control passes',
  { timeout: 300_000 },
  async (t) => {
    const leak = await startGoFixture('bigburst');
    const control = await startGoFixture('bigburst', { args: ['-outage-for', '0'] });
    running.push(leak, control);
    await Promise.all([leak.logged(/outage over/), control.logged(/no outage/)]);

    // One after the other: both measure what a full dump costs their target,
    // and two at once on a small machine would make each other's look dearer.
    const leaky = await checkWithDefaults(leak, 'bigburst');
    const healthy = await checkWithDefaults(control, 'bigburst-control');

    const [top] = leaky.diff.suspects;
    t.diagnostic(`bigburst: #1 ${top?.key} score ${top?.score}: ${top?.explanation}`);
    assert.equal(top?.anchor?.fn, LEAK, `ranked first is ${top?.key}`);
    assert.ok(top.score >= 70, `score ${top.score}: ${top.explanation}`);
    assert.ok(top.counts.at(-1)! >= 3000, `the burst is thousands of goroutines: ${top.counts.join(' ')}`);
    // The count is flat: the evidence is the ids that stayed, not growth.
    assert.match(top.explanation, /no progress: the same \d+ goroutines in the same frame/);
    assert.match(top.explanation, /chan send: a send no receiver takes/);
    assert.equal(leaky.code, 1, 'check fails');
    assert.equal(leaky.json.passed, false);
    assert.equal(leaky.json.sites[0]?.anchor?.fn, LEAK);
    assert.match(leaky.stderr, /the first and last snapshots take one for goroutine ids and wait minutes \(within --evidence-pause 200 ms\)/);
    assertEvidenceDumps('bigburst', leaky.snapshots, true);
    assert.equal(leaky.snapshots.at(-1)!.source.views?.evidencePauseMs, 200);
    // The pool beside the leak works, and stays low even with ids to look at.
    const pool = leaky.diff.suspects.find((s) => s.anchor?.fn === POOL);
    t.diagnostic(`bigburst pool: ${pool?.score}: ${pool?.explanation}`);
    assert.ok(pool !== undefined && pool.score < 30, `pool ${pool?.score}: ${pool?.explanation}`);

    t.diagnostic(
      `bigburst control: highest ${healthy.diff.suspects[0]?.key} score ${healthy.diff.suspects[0]?.score}: ${healthy.diff.suspects[0]?.explanation}`,
    );
    assert.deepEqual(
      healthy.diff.suspects.filter((s) => s.score >= 30).map((s) => `${s.key}: ${s.score} ${s.explanation}`),
      [],
      'no site of the control scores 30 or more',
    );
    assert.equal(healthy.code, 0, `the control passes check\n${healthy.stdout}`);
    assert.equal(healthy.json.passed, true);
    assert.ok(
      healthy.diff.suspects.some((s) => s.anchor?.fn === POOL && s.counts.at(-1)! >= 1900),
      'the control has the same pool',
    );
    // The control is judged from the same evidence: its first and last snapshots have ids too.
    assertEvidenceDumps('bigburst-control', healthy.snapshots, false);

    // --evidence-pause 0: counts only, as before the option existed.
    const off = join(dir, 'evidence-off');
    const result = await runCli(['attach', String(leak.pid), '--evidence-pause', '0', '--count', '2', '--interval', '1', '--out', off, '--json', '--no-html']);
    assert.ok(result.code === 0 || result.code === 1, result.stderr);
    for (const snapshot of await savedSnapshots(off)) assert.equal(snapshot.source.views?.details, undefined, 'no full dump');
  },
);
