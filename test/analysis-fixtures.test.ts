/**
 * The acceptance test of the analysis: every Go fixture runs for about a
 * minute while snapshots are taken over real HTTP; `leakscan diff` must rank
 * each leaky fixture's leak site first with a score of 70 or more, and give
 * no site of a healthy control 30 or more. The explanation is checked
 * against the numbers in the saved snapshots.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from './helpers/cli.js';
import { startGoFixture } from './helpers/go-fixtures.js';
import type { RunningFixture } from './helpers/go-fixtures.js';
import { tempDir } from './helpers/tmp.js';
import { snapshotFromPprof } from '../src/targets/go/pprof-client.js';
import { writeSnapshotFile } from '../src/model/file.js';
import { loadSnapshotFile } from '../src/formats/load.js';
import { SiteResolver } from '../src/model/site.js';
import type { DiffJson } from '../src/report/diff-json.js';

const SNAPSHOTS = 7;
const INTERVAL_MS = 9000;

const leaky: Record<string, string> = {
  heartbeat: 'main.(*session).heartbeat',
  connpool: 'main.(*slotPool).acquire',
  earlyreturn: 'main.(*quoteService).priceWorker',
  rangeunclosed: 'main.(*pipeline).indexBatch',
  tickerleak: 'main.(*subscription).pump',
  nocancel: 'main.(*rpcClient).watch',
  doublesend: 'main.(*cache).load',
  fanout: 'main.(*cluster).search.func1',
};
const healthy = ['workerpool', 'keepalive', 'tickerctx', 'longpoll'];

const dir = tempDir();
const running: RunningFixture[] = [];
after(() => Promise.all(running.map((f) => f.stop())));

async function diffOf(name: string): Promise<DiffJson> {
  const result = await runCli(['diff', join(dir, name), '--json', '--top', '100']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as DiffJson;
}

test('a minute of every fixture: leaks rank first with >= 70, healthy sites stay under 30', { timeout: 240_000 }, async (t) => {
  const names = [...Object.keys(leaky), ...healthy];
  const fixtures = await Promise.all(names.map((name) => startGoFixture(name)));
  running.push(...fixtures);
  for (const name of names) mkdirSync(join(dir, name));
  await sleep(2000); // past start-up, as a user attaching to a running service would be

  for (let i = 0; i < SNAPSHOTS; i++) {
    const started = Date.now();
    await Promise.all(fixtures.map(async (fixture) => {
      const snapshot = await snapshotFromPprof(fixture.url);
      await writeSnapshotFile(join(dir, fixture.name, `s-${i + 1}.json.gz`), snapshot);
    }));
    if (i < SNAPSHOTS - 1) await sleep(Math.max(0, INTERVAL_MS - (Date.now() - started)));
  }
  await Promise.all(fixtures.map((f) => f.stop()));

  for (const [name, leakFn] of Object.entries(leaky)) {
    const diff = await diffOf(name);
    const [top] = diff.suspects;
    t.diagnostic(`${name}: #1 ${top?.key} score ${top?.score}: ${top?.explanation}`);
    assert.equal(top?.anchor?.fn, leakFn, `${name}: ranked first is ${top?.key}`);
    assert.ok(top!.score >= 70, `${name}: score ${top!.score} (${top!.explanation})`);
    assert.ok(diff.suspects.slice(1).every((s) => s.score < 30), `${name}: only the leak scores high: ${diff.suspects.slice(1, 3).map((s) => `${s.key}=${s.score}`).join(', ')}`);
    await checkExplanation(name, top!);
  }
  for (const name of healthy) {
    const diff = await diffOf(name);
    const high = diff.suspects.filter((s) => s.score >= 30);
    t.diagnostic(`${name}: highest ${diff.suspects[0]?.key} score ${diff.suspects[0]?.score}: ${diff.suspects[0]?.explanation}`);
    assert.deepEqual(high.map((s) => `${s.key}: ${s.score} ${s.explanation}`), [], `${name}: no site scores 30 or more`);
  }
});

/** Recomputes the numbers of the explanation from the saved snapshots. */
async function checkExplanation(name: string, suspect: DiffJson['suspects'][number]): Promise<void> {
  const counts: number[] = [];
  let firstIds: Set<string> | undefined;
  let lastIds = new Set<string>();
  const states = new Map<string, number>();
  for (let i = 1; i <= SNAPSHOTS; i++) {
    const snapshot = await loadSnapshotFile(join(dir, name, `s-${i}.json.gz`));
    const resolver = new SiteResolver(snapshot);
    const ids = new Set<string>();
    for (const task of snapshot.tasks) {
      if (resolver.siteOf(task).key !== suspect.key) continue;
      ids.add(task.id!);
      states.set(task.state, (states.get(task.state) ?? 0) + 1);
    }
    counts.push(ids.size);
    if (firstIds === undefined && ids.size > 0) firstIds = ids;
    lastIds = ids;
  }
  assert.deepEqual(suspect.counts, counts, `${name}: counts per snapshot`);
  const match = /^([+-][\d.]+)\/min over (\d+) snapshots \((\d+) → (\d+)\), ([^;]+); (\d+)% survive the window; (all|\d+%) blocked on ([^;]+)$/.exec(suspect.explanation);
  assert.ok(match, `${name}: explanation has every part: ${suspect.explanation}`);
  const [, rate, n, first, last, trend, survive, share, state] = match;
  assert.equal(Number(n), SNAPSHOTS);
  assert.equal(Number(first), counts[0]);
  assert.equal(Number(last), counts[SNAPSHOTS - 1]);
  assert.ok(Number(rate) > 0, `${name}: growing rate ${rate}`);
  // Least-squares rate within 25% of the plain end-to-end rate.
  const endToEnd = ((counts[SNAPSHOTS - 1]! - counts[0]!) / ((SNAPSHOTS - 1) * INTERVAL_MS)) * 60_000;
  assert.ok(Math.abs(Number(rate) - endToEnd) <= 0.25 * endToEnd + 1, `${name}: rate ${rate} vs end-to-end ${endToEnd.toFixed(1)}`);
  const ups = counts.slice(1).filter((c, i) => c > counts[i]!).length;
  const downs = counts.slice(1).filter((c, i) => c < counts[i]!).length;
  const steps = SNAPSHOTS - 1;
  assert.equal(trend, ups === steps ? 'rising at every step' : `rising in ${ups} of ${steps} steps${downs > 0 ? `, falling in ${downs}` : ''}`);
  let alive = 0;
  for (const id of firstIds!) if (lastIds.has(id)) alive++;
  assert.equal(Number(survive), Math.round((alive / firstIds!.size) * 100), `${name}: survival`);
  const [mainState, mainCount] = [...states].sort((a, b) => b[1] - a[1])[0]!;
  const total = [...states.values()].reduce((a, b) => a + b, 0);
  assert.equal(state, mainState);
  // "all" stands for a share that rounds to 100%.
  assert.equal(share, mainCount / total >= 0.995 ? 'all' : `${Math.round((mainCount / total) * 100)}%`);
}
