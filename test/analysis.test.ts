/**
 * leakscan diff on real snapshots: aggregated input, one snapshot, ignore
 * rules and config, grouping, and bad series. (The scoring arithmetic is
 * tested on its own in test/unit/score.test.ts.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from './helpers/cli.js';
import { startGoFixture } from './helpers/go-fixtures.js';
import type { RunningFixture } from './helpers/go-fixtures.js';
import { tempDir } from './helpers/tmp.js';
import { dumpsDir } from './helpers/paths.js';
import type { DiffJson } from '../src/report/diff-json.js';

const dir = tempDir();
const full = join(dir, 'full');
const counts = join(dir, 'counts');
let fixture: RunningFixture;

before(async () => {
  mkdirSync(full);
  mkdirSync(counts);
  fixture = await startGoFixture('heartbeat');
  for (let i = 1; i <= 5; i++) {
    const [a, b] = await Promise.all([
      runCli(['snapshot', fixture.url, '-o', join(full, `s-${i}.json.gz`)]),
      runCli(['snapshot', `${fixture.url}/debug/pprof/goroutine?debug=1`, '-o', join(counts, `s-${i}.json`)]),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    await sleep(1000);
  }
});
after(() => fixture?.stop());

async function diff(args: string[], cwd?: string): Promise<DiffJson> {
  const result = await runCli(['diff', ...args, '--json', '--top', '50'], cwd ? { cwd } : {});
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as DiffJson;
}

test('debug=1 input: ranked by counts, lifetime and state unknown and said so', async () => {
  const result = await diff([counts]);
  assert.equal(result.lifetimeKnown, false);
  const [top] = result.suspects;
  assert.equal(top?.anchor?.fn, 'main.(*session).heartbeat');
  assert.equal(top?.survival, null);
  assert.equal(top?.blocking, null);
  assert.match(top!.explanation, /over 5 snapshots .*; lifetime unknown \(no task ids in this input\)$/);
  assert.ok(top!.score >= 70, `score ${top!.score}`);
  const text = await runCli(['diff', counts]);
  assert.match(text.stdout, /lifetime unknown/);
});

test('a pile made inside the window is dated between the looks around it; one there at the first look, before it at the rate in words', async () => {
  // surge leaks 39 goroutines on one request and nothing between requests:
  // the first look finds none of them, the next one all.
  const surge = await startGoFixture('surge');
  const series = join(dir, 'surge');
  mkdirSync(series);
  const take = async (i: number) => {
    const result = await runCli(['snapshot', surge.url, '-o', join(series, `s-${i}.json.gz`)]);
    assert.equal(result.code, 0, result.stderr);
  };
  try {
    await take(1);
    await sleep(1000);
    const answer = await fetch(`${surge.url}/search?shards=40&q=leak`);
    assert.equal(answer.status, 200, await answer.text());
    // Over six seconds between the looks that see the pile: enough for "no progress" to be said.
    for (let i = 2; i <= 4; i++) {
      await take(i);
      await sleep(4000);
    }
  } finally {
    await surge.stop();
  }
  const shard = (json: DiffJson) => json.suspects.find((s) => s.anchor?.fn === 'main.(*searcher).queryShard');
  const made = shard(await diff([series]));
  assert.equal(made?.counts[0], 0, 'none at the first look');
  assert.match(made!.explanation, /no progress: .*; ids \d+–\d+ of \d+: [^;]*, created between the looks at 0s and [1-9]\d*s into the window;/);
  assert.doesNotMatch(made!.explanation, /before the first look|ids\/min/);

  const later = shard(await diff([2, 3, 4].map((i) => join(series, `s-${i}.json.gz`))));
  assert.equal(later?.counts[0], 39);
  // Go hands goroutine ids out in per-processor batches, so an idle
  // process's highest id may not move between looks: then no rate is
  // known and the clause is left out. When it is said, it is in words.
  if (/created/.test(later!.explanation)) {
    assert.match(
      later!.explanation,
      /, created about \d+s(?: to \d+s)? before the first look, at the rate the process made new goroutines while watched \(\d+\/min\);/,
    );
  }
  assert.doesNotMatch(later!.explanation, /ids\/min|between the looks/);
});

test('debug=2 input: the same leak, with lifetime and blocking measured', async () => {
  const [top] = (await diff([full])).suspects;
  assert.equal(top?.anchor?.fn, 'main.(*session).heartbeat');
  assert.equal(top?.survival, 1);
  assert.equal(top?.state, 'select');
  assert.equal(top?.growth?.steps, 4);
  assert.deepEqual(top?.counts.length, 5);
});

test('one snapshot: growth unknown, scores capped at 50, and the output says so', async () => {
  const json = await diff([join(full, 's-5.json.gz')]);
  assert.ok(json.suspects.every((s) => s.growth === null && s.score <= 50));
  assert.match(json.suspects[0]!.explanation, /^\d+ goroutines in one snapshot, growth unknown; all blocked on select$/);
  const text = await runCli(['diff', join(full, 's-5.json.gz')]);
  assert.match(text.stdout, /one snapshot: growth is unknown, so scores are capped at 50/);
});

test('ignore rules from flags and from .leakscan.json', async () => {
  const ignored = await diff([full, '--ignore-function', 'main.(*session).*']);
  assert.ok(
    ignored.suspects.every((s) => !s.key.includes('heartbeat')),
    'the ignored site is gone',
  );
  assert.ok(ignored.snapshots.every((s) => s.ignored > 0));
  const byCreator = await diff([full, '--ignore-created-by', 'main.(*gateway).Open']);
  assert.ok(byCreator.suspects.every((s) => !s.key.includes('heartbeat')));
  const byPackage = await diff([full, '--ignore-package', 'main']);
  assert.ok(byPackage.suspects.every((s) => !s.anchor?.fn.startsWith('main.')));

  const project = join(dir, 'project');
  mkdirSync(project);
  writeFileSync(join(project, '.leakscan.json'), JSON.stringify({ ignore: { function: ['main.(*session).heartbeat'] }, minScore: 0 }));
  const fromConfig = await diff([full], project);
  assert.ok(fromConfig.suspects.every((s) => !s.key.includes('heartbeat')));

  writeFileSync(join(project, 'typo.json'), JSON.stringify({ ignroe: {} }));
  const typo = await runCli(['diff', full, '--config', join(project, 'typo.json')]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /unknown key "ignroe"/);
});

test('default ignores: the signal goroutine is left out unless asked for', async () => {
  const defaults = await diff([full]);
  assert.ok(defaults.suspects.every((s) => !s.key.startsWith('os/signal.')));
  const all = await diff([full, '--no-default-ignores']);
  assert.ok(all.suspects.some((s) => s.key.startsWith('os/signal.')));
});

test('--group-by line puts the file and line in the key, without directories', async () => {
  const [top] = (await diff([full, '--group-by', 'line'])).suspects;
  assert.equal(top?.key, 'main.(*session).heartbeat main.go:65 <- main.(*gateway).Open main.go:57');
});

test('bad series: mixed runtimes, wrong order, empty directory: exit 2 with one line', async () => {
  const node = join(dir, 'node.json');
  writeFileSync(
    node,
    JSON.stringify({ format: 'leakscan.snapshot', version: 1, runtime: 'node', takenAt: Date.now(), source: {}, frames: [], stacks: [], tasks: [] }),
  );
  const mixed = await runCli(['diff', join(full, 's-1.json.gz'), node]);
  assert.equal(mixed.code, 2);
  assert.match(mixed.stderr, /^leakscan: .*node\.json is a node snapshot, but the series so far is go: diff one runtime at a time\n$/);
  const backwards = await runCli(['diff', join(full, 's-2.json.gz'), join(full, 's-1.json.gz')]);
  assert.equal(backwards.code, 2);
  assert.match(backwards.stderr, /was taken before the snapshot given ahead of it/);
  const emptyDir = join(dir, 'empty');
  mkdirSync(emptyDir);
  const none = await runCli(['diff', emptyDir]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no snapshot files in this directory/);
});

test('empty snapshots: nothing to rank, said plainly', async () => {
  const empty = (t: number) =>
    JSON.stringify({ format: 'leakscan.snapshot', version: 1, runtime: 'go', takenAt: t, source: {}, frames: [], stacks: [], tasks: [] });
  writeFileSync(join(dir, 'e1.json'), empty(1000));
  writeFileSync(join(dir, 'e2.json'), empty(2000));
  const result = await runCli(['diff', join(dir, 'e1.json'), join(dir, 'e2.json')]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /0 goroutines at first, 0 at last/);
  assert.match(result.stdout, /no suspect scores 0 or more/);
});

test('captured dumps of several Go versions mix in one series', async () => {
  // Raw dumps are read by content; file mtimes give their order.
  const series = join(dir, 'raw');
  mkdirSync(series);
  copyFileSync(join(dumpsDir, 'go1.21.13-debug2.txt'), join(series, 'a.txt'));
  await sleep(20);
  copyFileSync(join(dumpsDir, 'go1.26.8-debug2.txt'), join(series, 'b.txt'));
  const json = await diff([series]);
  assert.equal(json.snapshots.length, 2);
  assert.ok(json.suspects.length > 10);
});
