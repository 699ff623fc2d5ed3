/**
 * The pause budget against real Go processes: a snapshot whose full dump
 * would pause the target beyond the budget holds the count profile
 * (goroutine?debug=1) instead, and the analysis still finds the leak, with
 * the same site keys and the same counts as full dumps would give.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { startGoFixture } from './helpers/go-fixtures.js';
import type { RunningFixture } from './helpers/go-fixtures.js';
import { tempDir } from './helpers/tmp.js';
import { loadSnapshotFile } from '../src/formats/load.js';
import { BudgetedGoReader } from '../src/targets/go/budgeted-reader.js';
import { defaultPprofOptions } from '../src/targets/go/pprof-client.js';
import { analyze } from '../src/analysis/analyze.js';
import type { Snapshot } from '../src/model/format.js';
import type { DiffJson } from '../src/report/diff-json.js';

const dir = tempDir();
const running: RunningFixture[] = [];
after(() => Promise.all(running.map((f) => f.stop())));

test('a tiny pause budget: counts per stack at every snapshot, and the leak still ranks first', async () => {
  const fixture = await startGoFixture('earlyreturn');
  running.push(fixture);
  const out = join(dir, 'tiny-budget');
  // --evidence-pause 0: not even the first and last snapshot take a full dump.
  const result = await runCli([
    'attach',
    String(fixture.pid),
    '--pause-budget',
    '1us',
    '--evidence-pause',
    '0',
    '--interval',
    '1',
    '--count',
    '6',
    '--out',
    out,
    '--json',
  ]);
  assert.equal(result.code, 0, result.stderr);
  // Said once, with the reason.
  const said = result.stderr.split('\n').filter((line) => / goroutines: a full dump would stop it for about .* over the 1 µs pause budget/.test(line));
  assert.equal(said.length, 1, result.stderr);
  for (let i = 1; i <= 6; i++) assert.match(result.stderr, new RegExp(`snapshot ${i}/6: \\d+ goroutines \\(counts only\\)`));
  const diff = JSON.parse(result.stdout) as DiffJson;
  const [top] = diff.suspects;
  assert.equal(top?.anchor?.fn, 'main.(*quoteService).priceWorker', top?.key);
  assert.ok(top!.score >= 70, `score ${top!.score}: ${top!.explanation}`);
  assert.match(top!.explanation, /lifetime unknown/);
  // The saved snapshots say which view their numbers come from.
  const files = readdirSync(out)
    .filter((f) => f.endsWith('.json.gz'))
    .sort();
  assert.equal(files.length, 6);
  for (const file of files) {
    const snapshot = await loadSnapshotFile(join(out, file));
    assert.equal(snapshot.source.profile, 'debug=1');
    assert.equal(snapshot.source.views?.counts, 'debug=1');
    assert.equal(snapshot.source.views?.details, undefined, 'no full dump');
    assert.equal(snapshot.source.views?.skipped, 'over-budget');
    assert.equal(snapshot.source.views?.pauseBudgetMs, 0.001);
    assert.ok(snapshot.tasks.every((task) => task.id === undefined && task.state === 'unknown'));
  }
});

test('a service that grows past the budget: full dumps while they fit, counts after; same sites and counts as full dumps', async () => {
  const fixture = await startGoFixture('surge');
  running.push(fixture);
  const search = async (shards: number) => {
    const response = await fetch(`${fixture.url}/search?q=boots&shards=${shards}`);
    assert.equal(response.status, 200);
    await response.text();
  };
  // One small search first: the leaking stack is in the first full dump,
  // which is where counted stacks learn their creator from.
  await search(3);
  const budgeted = new BudgetedGoReader(fixture.url, { ...defaultPprofOptions, pauseBudgetMs: 10 });
  const unlimited = new BudgetedGoReader(fixture.url, { ...defaultPprofOptions, pauseBudgetMs: Infinity });
  const withBudget: Snapshot[] = [];
  const fullDumps: Snapshot[] = [];
  for (let step = 0; step < 4; step++) {
    // 5,000 more goroutines: a full dump would pause for about 50 ms at the
    // idle-machine cost, over 10 ms.
    if (step > 0) await search(5000);
    // The fixture is idle between searches: both readers see the same goroutines.
    withBudget.push(await budgeted.read());
    fullDumps.push(await unlimited.read());
  }
  assert.ok(withBudget[0]!.source.views?.details?.endsWith('debug=2'), 'the first snapshot fits: a full dump');
  assert.ok(withBudget[0]!.tasks.every((task) => task.id !== undefined));
  for (const snapshot of withBudget.slice(1)) {
    assert.equal(snapshot.source.views?.details, undefined, 'past the budget: counts only');
    assert.equal(snapshot.source.views?.creatorsFrom, withBudget[0]!.takenAt);
  }
  for (const snapshot of fullDumps) assert.ok(snapshot.source.views?.details?.endsWith('debug=2'));

  const mixed = analyze(withBudget);
  const full = analyze(fullDumps);
  // Sites of the program's own code: the same keys, the same counts in every snapshot.
  const own = (analysis: ReturnType<typeof analyze>) =>
    new Map(analysis.series.sites.filter((s) => s.anchor?.fn.startsWith('main.')).map((s) => [s.key, s.counts]));
  assert.deepEqual(own(mixed), own(full));
  const leakKey = 'main.(*searcher).queryShard <- main.(*searcher).search';
  assert.deepEqual(own(mixed).get(leakKey), [2, 5001, 10_000, 14_999]);
  // Growth from counts is growth from full dumps; both rank the leak first.
  const [mixedTop] = mixed.suspects;
  const [fullTop] = full.suspects;
  assert.equal(mixedTop?.key, leakKey);
  assert.equal(fullTop?.key, leakKey);
  // (the rate per minute differs only by the milliseconds between the two readers' requests)
  const { perMinute: _mixedRate, ...mixedGrowth } = mixedTop!.growth!;
  const { perMinute: _fullRate, ...fullGrowth } = fullTop!.growth!;
  assert.deepEqual(mixedGrowth, fullGrowth);
  assert.equal(mixedTop!.components.growth, fullTop!.components.growth);
  assert.ok(mixedTop!.score >= 70, `score ${mixedTop!.score}: ${mixedTop!.explanation}`);
  // The indexer pools are steady in both views: one stack started from two
  // places, which the counted stack is split between as the full dump showed.
  const pool = mixed.suspects.find((s) => s.key === 'main.indexer <- main.main');
  assert.deepEqual(pool?.site.counts, [8, 8, 8, 8]);
  assert.equal(pool?.score, 0);
  const backfill = mixed.suspects.find((s) => s.key === 'main.indexer <- main.startBackfill');
  assert.deepEqual(backfill?.site.counts, [4, 4, 4, 4]);
  assert.equal(backfill?.score, 0);
  // Lifetime is measured between the snapshots that carry ids, across the
  // counts-only ones: the goroutines leaked before the first snapshot are
  // all still there in a full dump at the end.
  const bracketed = analyze([withBudget[0]!, withBudget[1]!, withBudget[2]!, fullDumps[3]!]);
  const leak = bracketed.suspects.find((s) => s.key === leakKey)!;
  assert.equal(leak.survival, 1, leak.explanation);
  assert.match(leak.explanation, /100% survive the window/);
  assert.equal(bracketed.suspects.find((s) => s.key === 'main.indexer <- main.main')?.survival, 1);
  // The flamegraph's creator root: counted tasks carry the creator frame.
  const last = withBudget.at(-1)!;
  const leaked = last.tasks.find((task) => task.count !== undefined && task.count > 1000)!;
  assert.equal(last.frames[last.stacks[leaked.createdBy!]![0]!]!.fn, 'main.(*searcher).search');
});

test('a full dump cut at 64 MiB: the goroutines past the cut are still counted, from the count profile', { timeout: 300_000 }, async () => {
  // crowd parks 150,000 goroutines: about 85 MiB of debug=2, cut by the runtime at 64 MiB.
  const fixture = await startGoFixture('crowd', { args: ['-n', '150000'], startTimeoutMs: 180_000 });
  running.push(fixture);
  const reader = new BudgetedGoReader(fixture.url, { ...defaultPprofOptions, timeoutMs: 240_000, pauseBudgetMs: Infinity });
  const snapshot = await reader.read();
  const views = snapshot.source.views!;
  assert.equal(views.details, 'debug=2');
  assert.equal(views.counts, 'debug=1', 'counts come from the count profile past the cut');
  assert.ok(views.detailTasks! < 150_000, `the dump was cut: ${views.detailTasks} goroutines read`);
  const withIds = snapshot.tasks.filter((task) => task.id !== undefined).length;
  assert.equal(withIds, views.detailTasks);
  const total = snapshot.tasks.reduce((sum, task) => sum + (task.count ?? 1), 0);
  // Every parked goroutine is counted (plus the few of the runtime and the pprof server).
  assert.ok(total >= 150_000 && total <= views.countedTasks! + 10, `counted ${total} of ${views.countedTasks}`);
  assert.ok(
    snapshot.warnings?.some((w) => /cut at 64 MiB .* counted from goroutine\?debug=1/.test(w)),
    String(snapshot.warnings),
  );
  assert.ok(!snapshot.warnings?.some((w) => /the rest are missing/.test(w)));
  // Goroutines past the cut land on the same sites as those before it.
  const analysis = analyze([snapshot]);
  const inbox = analysis.series.sites.filter((s) => s.anchor?.fn === 'main.(*inbox).waitMessage');
  assert.equal(inbox.length, 1, `one site, with its creator: ${inbox.map((s) => s.key).join(', ')}`);
  assert.match(inbox[0]!.key, / <- main\./);
  // crowd's share for the inbox site: (n - 64 connection ends) x 1800 / 9436 (fixtures/go/crowd).
  assert.equal(inbox[0]!.counts[0], Math.floor(((150_000 - 64) * 1800) / 9436), 'every inbox goroutine, before and past the cut');
});

test('--pause-budget that is not a duration: one line, exit 2, nothing sent', async () => {
  const result = await runCli(['attach', String(process.pid), '--pause-budget', 'soon']);
  assert.equal(result.code, 2);
  assert.match(result.stderr.trim(), /^[^\n]*--pause-budget[^\n]*expected a duration such as 10ms, 1s or 500us, or "none"$/);
});
