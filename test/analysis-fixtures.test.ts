/**
 * The acceptance test of the analysis: every Go fixture runs for about a
 * minute while snapshots are taken over real HTTP; `leakscan diff` must rank
 * each leaky fixture's leak site first with a score of 70 or more, and give
 * no site of a healthy control 30 or more. The explanation is checked
 * against the numbers in the saved snapshots.
 *
 * The second half attaches the way a user does when a service has leaked
 * already: only after the leak happened (a burst that stopped, a deadlock
 * whose traffic was cut off, a pile from before with a slow leak on top),
 * with `leakscan check`'s defaults; and to healthy services whose tasks
 * live long by design (idle keep-alive clients, long-lived HTTP/2 streams,
 * main parked in select {} under the goroutineleak profile).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from './helpers/cli.js';
import { buildGoFixtureVariant, goroutineLeakProfileEnv, startGoFixture } from './helpers/go-fixtures.js';
import type { RunningFixture } from './helpers/go-fixtures.js';
import { tempDir } from './helpers/tmp.js';
import { snapshotFromPprof } from '../src/targets/go/pprof-client.js';
import { writeSnapshotFile } from '../src/model/file.js';
import { loadSnapshotFile } from '../src/formats/load.js';
import { SiteResolver } from '../src/model/site.js';
import type { DiffJson } from '../src/report/diff-json.js';
import type { Snapshot } from '../src/model/format.js';

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
    await Promise.all(
      fixtures.map(async (fixture) => {
        const snapshot = await snapshotFromPprof(fixture.url);
        await writeSnapshotFile(join(dir, fixture.name, `s-${i + 1}.json.gz`), snapshot);
      }),
    );
    if (i < SNAPSHOTS - 1) await sleep(Math.max(0, INTERVAL_MS - (Date.now() - started)));
  }
  await Promise.all(fixtures.map((f) => f.stop()));

  for (const [name, leakFn] of Object.entries(leaky)) {
    const diff = await diffOf(name);
    const [top] = diff.suspects;
    t.diagnostic(`${name}: #1 ${top?.key} score ${top?.score}: ${top?.explanation}`);
    assert.equal(top?.anchor?.fn, leakFn, `${name}: ranked first is ${top?.key}`);
    assert.ok(top!.score >= 70, `${name}: score ${top!.score} (${top!.explanation})`);
    assert.ok(
      diff.suspects.slice(1).every((s) => s.score < 30),
      `${name}: only the leak scores high: ${diff.suspects
        .slice(1, 3)
        .map((s) => `${s.key}=${s.score}`)
        .join(', ')}`,
    );
    await checkExplanation(name, top!);
  }
  for (const name of healthy) {
    const diff = await diffOf(name);
    const high = diff.suspects.filter((s) => s.score >= 30);
    t.diagnostic(`${name}: highest ${diff.suspects[0]?.key} score ${diff.suspects[0]?.score}: ${diff.suspects[0]?.explanation}`);
    assert.deepEqual(
      high.map((s) => `${s.key}: ${s.score} ${s.explanation}`),
      [],
      `${name}: no site scores 30 or more`,
    );
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
  // The growth part, then the stuck evidence when there is any (checked by the tests below).
  const match = /^([+-][\d.]+)\/min over (\d+) snapshots \((\d+) → (\d+)\), ([^;]+); (\d+)% survive the window; (all|\d+%) blocked on ([^;]+)(?:; .*)?$/.exec(
    suspect.explanation,
  );
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

interface CheckJson {
  passed: boolean;
  sites: { key: string; score: number; verdict: string; explanation: string; anchor: { fn: string } | null }[];
}

/** `leakscan check --pid` with its defaults (12 snapshots, 5 s apart), as a user runs it. */
async function checkWithDefaults(fixture: RunningFixture, name: string) {
  const out = join(dir, `check-${name}`);
  const result = await runCli(['check', '--pid', String(fixture.pid), '--out', out, '--format', 'text', '--format', `json=${out}.json`], {
    // The default attach samples for 55 s; a loaded machine adds its start, its dumps and the analysis.
    timeoutMs: 180_000,
  });
  assert.ok(result.code === 0 || result.code === 1, `${name}: check exit ${result.code}: ${result.stderr}`);
  const json = JSON.parse(readFileSync(`${out}.json`, 'utf8')) as CheckJson;
  const diff = await diffOf(`check-${name}`);
  return { code: result.code, stdout: result.stdout, json, diff };
}

const before: { name: string; leak: string[]; ready: (f: RunningFixture) => Promise<void>; carriedBy: RegExp }[] = [
  // 400 goroutines leaked in a 2 s outage, flat since: no growth to see.
  {
    name: 'burst',
    leak: ['main.(*checkout).authorize.func1'],
    ready: (f) => f.logged(/outage over/),
    carriedBy: /no progress: the same \d+ goroutines .*chan send: a send no receiver takes/,
  },
  // About 200 requests stuck on a lock nobody releases; the client stopped sending.
  {
    name: 'deadlock',
    leak: ['main.(*sessionStore).Get', 'main.(*sessionStore).Put'],
    ready: (f) => f.logged(/circuit open/),
    carriedBy: /sync\.Mutex\.Lock: a lock not released for that long is a deadlock/,
  },
  // ~300 retry loops from the start-up backlog, one more every 2 s.
  {
    name: 'retryloop',
    leak: ['main.(*publisher).publishWithRetry'],
    ready: () => sleep(3000),
    carriedBy: /^\+[\d.]+\/min over 12 snapshots \(\d+ → \d+\), rising.* no progress: the same \d+ goroutines/,
  },
  // 3,000 stuck waiters from before, +2/s on top, beside 2,000 busy workers.
  { name: 'pileup', leak: ['main.(*dispatcher).awaitReceipt'], ready: () => sleep(3000), carriedBy: /^\+[\d.]+\/min over 12 snapshots \(\d+ → \d+\), rising/ },
];

test('leaks that happened before the attach: rank 1 with >= 70 and check fails; long-lived healthy tasks stay under 30', { timeout: 300_000 }, async (t) => {
  const leakProfile = await buildGoFixtureVariant('parkmain', 'leakprofile', await goroutineLeakProfileEnv());
  const leaks = await Promise.all(before.map((b) => startGoFixture(b.name)));
  const controls = await Promise.all([startGoFixture('idleclient'), startGoFixture('parkmain', { binary: leakProfile }), startGoFixture('h2stream')]);
  const mixed = await startGoFixture('burst');
  running.push(...leaks, ...controls, mixed);

  const [leakResults, controlResults, mixedDiff] = await Promise.all([
    Promise.all(
      leaks.map(async (fixture, i) => {
        await before[i]!.ready(fixture);
        return checkWithDefaults(fixture, fixture.name);
      }),
    ),
    Promise.all(
      controls.map(async (fixture) => {
        // h2stream opens its long streams over its first 4 s: attach once they all flow.
        if (fixture.name === 'h2stream') await fixture.logged(/streams up/);
        await sleep(5000); // past the first round of connections
        return checkWithDefaults(fixture, fixture.name);
      }),
    ),
    countsBetweenFullDumps(mixed),
  ]);

  for (const [i, b] of before.entries()) {
    const { code, json, diff } = leakResults[i]!;
    const [top] = diff.suspects;
    t.diagnostic(`${b.name}: #1 ${top?.key} score ${top?.score}: ${top?.explanation}`);
    assert.ok(b.leak.includes(top?.anchor?.fn ?? ''), `${b.name}: ranked first is ${top?.key}`);
    assert.ok(top!.score >= 70, `${b.name}: score ${top!.score} (${top!.explanation})`);
    assert.match(top!.explanation, b.carriedBy, `${b.name}: the evidence that carries it is in the line`);
    assert.equal(code, 1, `${b.name}: check fails with its defaults`);
    assert.equal(json.passed, false);
    assert.ok(b.leak.includes(json.sites[0]?.anchor?.fn ?? ''), `${b.name}: check's first site ${json.sites[0]?.key}`);
    // Only the leak: no healthy site of the same service reaches 30.
    const others = diff.suspects.filter((s) => !b.leak.includes(s.anchor?.fn ?? ''));
    assert.deepEqual(
      others.filter((s) => s.score >= 30).map((s) => `${s.key}: ${s.score} ${s.explanation}`),
      [],
      `${b.name}: only the leak scores high`,
    );
  }
  // The big pool beside pileup's leak works and was started with the service: low.
  const pool = leakResults[before.findIndex((b) => b.name === 'pileup')]!.diff.suspects.find((s) => s.anchor?.fn === 'main.(*renderPool).worker');
  assert.ok(pool !== undefined && pool.score < 30, `pileup's worker pool: ${pool?.score} ${pool?.explanation}`);

  for (const [i, fixture] of controls.entries()) {
    const { code, stdout, diff } = controlResults[i]!;
    t.diagnostic(`${fixture.name}: highest ${diff.suspects[0]?.key} score ${diff.suspects[0]?.score}: ${diff.suspects[0]?.explanation}`);
    assert.deepEqual(
      diff.suspects.filter((s) => s.score >= 30).map((s) => `${s.key}: ${s.score} ${s.explanation}`),
      [],
      `${fixture.name}: no site scores 30 or more`,
    );
    assert.equal(code, 0, `${fixture.name}: check passes\n${stdout}`);
  }
  // main parked in select {}: the runtime marks it leaked, leakscan says why that is no leak.
  const parked = controlResults[1]!.diff.suspects.find((s) => s.anchor?.fn === 'main.main');
  assert.ok(parked !== undefined && !parked.confirmedLeak, `main.main: ${JSON.stringify(parked)}`);
  assert.match(parked.explanation, /1 marked leaked by the Go runtime, set aside: main waits here for the life of the program/);
  // The idle keep-alive connections are there, stuck in place, and still low.
  const idle = controlResults[0]!.diff.suspects.find((s) => s.anchor?.fn === 'net/http.(*persistConn).readLoop');
  assert.equal(idle?.counts.at(-1), 128, 'idleclient keeps 128 idle connections');
  // The 40 long HTTP/2 streams were there the whole window, each a handler
  // loop on the server and a reader waiting for its next event on the client.
  const h2 = controlResults[2]!.diff.suspects;
  const readers = h2.find((s) => s.anchor?.fn === 'main.(*subscriber).follow' && s.counts.every((c) => c === 40));
  assert.ok(readers !== undefined, `h2stream's 40 stream readers: ${h2.map((s) => `${s.key} ${s.counts.join(',')}`).join('; ')}`);
  const handlers = h2.find((s) => s.anchor?.fn === 'main.(*feed).stream');
  assert.ok(handlers !== undefined && handlers.counts.every((c) => c >= 40), `h2stream's handler loops: ${handlers?.counts.join(',')}`);

  // Full dumps only at the first and last snapshot, counts in between: the
  // burst is still found from the ids the two full dumps share.
  const [top] = mixedDiff.suspects;
  t.diagnostic(`burst, debug=2 only first and last: #1 ${top?.key} score ${top?.score}: ${top?.explanation}`);
  assert.equal(top?.anchor?.fn, 'main.(*checkout).authorize.func1');
  assert.ok(top!.score >= 70, `score ${top!.score}`);
  assert.match(top!.explanation, /no progress: the same \d+ goroutines in the same frame at all 2 looks over \d+s/);
});

/** Waits for the burst, then takes a full dump, 10 counts-only profiles 5 s apart, and a full dump. */
async function countsBetweenFullDumps(fixture: RunningFixture): Promise<DiffJson> {
  await fixture.logged(/outage over/);
  const snapshots: Snapshot[] = [];
  snapshots.push(await snapshotFromPprof(fixture.url));
  for (let i = 0; i < 10; i++) {
    await sleep(5000);
    snapshots.push(await snapshotFromPprof(`${fixture.url}/debug/pprof/goroutine?debug=1`));
  }
  await sleep(5000);
  snapshots.push(await snapshotFromPprof(fixture.url));
  mkdirSync(join(dir, 'mixed'));
  await Promise.all(snapshots.map((s, i) => writeSnapshotFile(join(dir, 'mixed', `s-${String(i + 1).padStart(2, '0')}.json.gz`), s)));
  return diffOf('mixed');
}
