/**
 * The hook-free census of a Node target, on real processes started with
 * plain `node`: what existed before leakscan attached (timers, listeners,
 * promises) shows with its code line, its async ids and its age; a busy
 * service leaking on 1 request in 1,000 is found by the default sampled
 * attach; a service whose timers and listeners were made at boot by design
 * stays low; a server bound with listen(port, host) is placed at the
 * program's listen line.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from './helpers/cli.js';
import { leakLine, nodeFixtureFile, resources, startNodeFixture, withInspectorPort } from './helpers/node-fixtures.js';
import type { RunningNodeFixture } from './helpers/node-fixtures.js';
import { tempDir } from './helpers/tmp.js';
import type { DiffJson } from '../src/report/diff-json.js';
import type { Snapshot } from '../src/model/format.js';
import { leakCheck } from '../src/index.js';

const dir = tempDir();
const running: RunningNodeFixture[] = [];
after(() => Promise.all(running.map((f) => f.stop())));

/** The line of a fixture marked with `// LEAK SITE: <what>`. */
function markedLine(name: string, what: string): number {
  const lines = readFileSync(nodeFixtureFile(name), 'utf8').split('\n');
  const index = lines.findIndex((line) => line.trimEnd().endsWith(`// LEAK SITE: ${what}`));
  assert.ok(index >= 0, `${name} marks no ${what} leak site`);
  return index + 1;
}

function snapshots(out: string): Snapshot[] {
  return readdirSync(out)
    .filter((f) => /^snapshot-\d+\.json\.gz$/.test(f))
    .sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]))
    .map((f) => JSON.parse(gunzipSync(readFileSync(join(out, f))).toString('utf8')) as Snapshot);
}

async function waitFor(fixture: RunningNodeFixture, done: (counters: Record<string, number>) => boolean): Promise<Record<string, number>> {
  for (;;) {
    const counters = (await resources(fixture)).counters as Record<string, number>;
    if (done(counters)) return counters;
    await sleep(200);
  }
}

async function attach(fixture: RunningNodeFixture, out: string, extra: string[] = []): Promise<DiffJson> {
  const result = await runCli(['attach', String(fixture.pid), '--out', out, '--json', ...extra], { timeoutMs: 150_000 });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /detached from pid \d+: agent removed, inspector closed/);
  return JSON.parse(result.stdout) as DiffJson;
}

test('a leak that happened before attach: its timers and listeners show with their code line, async ids and ages; its promises as a count', () =>
  withInspectorPort(async () => {
    const name = 'leaked-before-attach';
    // The team raised the config emitter's listener limit to 100, expecting no more sessions than that.
    const fixture = await startNodeFixture(name, { env: { FIXTURE_BURST: '600', FIXTURE_AFTER_RATE: '0', FIXTURE_LISTENER_LIMIT: '100' } });
    running.push(fixture);
    await waitFor(fixture, (c) => c.sessions >= 600 && c.dropped >= 600);
    await sleep(2000);
    const out = join(dir, name);
    const diff = await attach(fixture, out, ['--interval', '1', '--count', '4']);

    const site = (line: number) => diff.suspects.find((s) => s.anchor?.file === fixture.file && s.anchor.line === line);
    const interval = site(markedLine(name, 'interval'));
    assert.ok(interval, `no site at the interval's line: ${diff.suspects.map((s) => s.key).join('; ')}`);
    assert.deepEqual(interval.counts, [600, 600, 600, 600]);
    assert.deepEqual(
      interval.labels.map((l) => l.labels),
      [{ resource: 'Timeout: setInterval 1000 ms' }],
    );
    assert.equal(interval.survival, 1, 'the same timers (same async ids) at every snapshot');

    const listener = site(markedLine(name, 'listener'));
    assert.ok(listener, 'the config listeners are found at their line');
    assert.deepEqual(listener.counts, [600, 600, 600, 600]);
    assert.deepEqual(
      listener.labels.map((l) => l.labels),
      [{ resource: "'change' listener on EventEmitter" }],
    );
    // Flat, and no ids to follow: what says leak is 600 copies on the one config emitter, past the limit of 100.
    assert.ok(listener.score >= 70, `score ${listener.score} (${listener.explanation})`);
    assert.match(listener.explanation, /piled on one emitter: 600 copies of this listener for its event, never fewer at 4 looks, more than its limit of 100/);

    const promises = diff.suspects.find((s) => s.key === '(created before attach) Promise');
    assert.ok(promises && promises.counts.every((n) => n >= 600), `pending promises from before attach: ${promises?.counts.join(', ')}`);
    // The input has ids (the timers'): the line says why this site has no lifetime.
    assert.match(promises.explanation, /; lifetime unknown \(counted by the census, no ids\)/);
    assert.doesNotMatch(promises.explanation, /no task ids in this input/);

    // Ages from the async ids: every leaked timer is dated before the first snapshot.
    const taken = snapshots(out);
    const last = taken.at(-1)!;
    assert.ok(Number(last.newestId) > 0 && last.source.startedAt! < last.takenAt);
    const timers = last.tasks.filter(
      (t) => t.origin === 'census' && t.kind === 'Timeout' && last.frames[last.stacks[t.stack]![0]!]!.line === markedLine(name, 'interval'),
    );
    assert.equal(timers.length, 600);
    assert.equal(new Set(timers.map((t) => t.id)).size, 600, 'one async id per timer');
    const youngest = Math.min(...timers.map((t) => t.ageMs!));
    const window = last.takenAt - taken[0]!.takenAt;
    assert.ok(youngest >= window, `youngest leaked timer dated ${youngest} ms old; the window lasted ${window} ms`);
    assert.ok(Math.max(...timers.map((t) => t.ageMs!)) <= last.takenAt - last.source.startedAt!, 'none older than the process');
    await fixture.stop();
  }));

test('a leak made before attach and still going after it is one site with its whole history, saying what it holds', () =>
  withInspectorPort(async () => {
    const name = 'leaked-before-attach';
    const fixture = await startNodeFixture(name, { env: { FIXTURE_BURST: '300', FIXTURE_AFTER_RATE: '4' } });
    running.push(fixture);
    await waitFor(fixture, (c) => c.dropped >= 300);
    const out = join(dir, `${name}-ongoing`);
    const diff = await attach(fixture, out, ['--interval', '1', '--count', '5', '--top', '100']);
    const line = markedLine(name, 'interval');
    // Every site holding a timer of the leaky interval: the callback's line on top, or the creation stack (openSession) under it.
    const intervalSites = diff.suspects.filter((s) => s.stack.some((f) => f.file === fixture.file && f.line === line));
    assert.equal(intervalSites.length, 1, `one site for the interval: ${intervalSites.map((s) => `${s.key} ${s.counts.join(',')}`).join('; ')}`);
    const [interval] = intervalSites;
    assert.equal(interval!.anchor?.line, line);
    assert.ok(interval!.counts[0]! >= 300, `the pile from before attach is in it: ${interval!.counts.join(', ')}`);
    assert.ok(interval!.counts.at(-1)! > interval!.counts[0]!, `and the timers made while attached: ${interval!.counts.join(', ')}`);
    assert.deepEqual(
      interval!.labels.map((l) => l.labels.resource),
      ['Timeout: setInterval 1000 ms'],
    );
    assert.deepEqual(interval!.holds, [{ kind: 'Timeout', count: interval!.counts.at(-1) }]);
    const listener = diff.suspects.find((s) => s.anchor?.file === fixture.file && s.anchor.line === markedLine(name, 'listener'));
    assert.deepEqual(listener?.holds, [{ kind: 'listener', count: listener!.counts.at(-1) }]);
    const promise = diff.suspects.find((s) => s.anchor?.file === fixture.file && s.anchor.line === markedLine(name, 'promise'));
    assert.equal(promise?.holds[0]?.kind, 'Promise');

    // Node's own sites that score low are counted, not listed; the program's all are.
    const internal = (s: DiffJson['suspects'][number]) => s.stack.length > 0 && s.stack.every((f) => /^(node:|internal\/)/.test(f.file));
    assert.deepEqual(
      diff.suspects.filter((s) => internal(s) && s.score < 30).map((s) => s.key),
      [],
    );
    assert.ok(diff.foldedInternals.length > 0, 'Node keeps some resources of its own (its HTTP agent, its promise machinery)');
    assert.ok(diff.foldedInternals.every((s) => s.score < 30));
    const text = await runCli(['diff', out, '--top', '100']);
    assert.match(text.stdout, new RegExp(`holds ${interval!.counts.at(-1)!.toLocaleString('en-US')} Timeouts\\n`));
    assert.match(text.stdout, new RegExp(`${diff.foldedInternals.length} sites? of Node's own code \\(no frame of the program\\) scoring under 30 not listed`));
    await fixture.stop();
  }));

// The evidence model (growth is not the only evidence) is what scores a
// leak that stopped before attach; growth alone gives it 0. Its intervals
// were made over the process's life, more of them than the connections, and
// none was cleared in the window: "outlived" (docs/scoring.md). (With the
// default trickle after the storm, growth alone already finds the new leaks.)
test('a leak that happened before attach ranks first with 70 or more, and check fails', () =>
  withInspectorPort(async () => {
    const name = 'leaked-before-attach';
    const fixture = await startNodeFixture(name, { env: { FIXTURE_AFTER_RATE: '0' } });
    running.push(fixture);
    await waitFor(fixture, (c) => c.sessions >= 600);
    await sleep(2000);
    const out = join(dir, `${name}-check`);
    const diff = await attach(fixture, out);
    const [top] = diff.suspects;
    assert.equal(top?.anchor?.file, fixture.file, `ranked first: ${top?.key}`);
    assert.ok([markedLine(name, 'interval'), markedLine(name, 'listener')].includes(top!.anchor!.line));
    assert.ok(top!.score >= 70, `score ${top!.score} (${top!.explanation})`);
    assert.equal((await runCli(['check', out])).code, 1);
    await fixture.stop();
  }));

test('timers and listeners made at boot by design: found, flat, and nothing scores 30; check passes', () =>
  withInspectorPort(async () => {
    const name = 'boot-timers';
    const fixture = await startNodeFixture(name);
    running.push(fixture);
    await sleep(2000);
    const out = join(dir, name);
    const diff = await attach(fixture, out, ['--interval', '1', '--count', '6', '--top', '200']);
    const shards = diff.suspects.find(
      (s) => s.anchor?.file === fixture.file && s.labels.some((l) => /^Timeout: setInterval/.test(l.labels.resource ?? '')) && s.counts[0] === 64,
    );
    assert.ok(shards, `the 64 shard refreshers are found: ${diff.suspects.map((s) => `${s.key} ${s.counts[0]}`).join('; ')}`);
    assert.ok(
      diff.suspects.some(
        (s) => s.anchor?.file === fixture.file && s.counts[0] === 64 && s.labels.some((l) => l.labels.resource === "'change' listener on EventEmitter"),
      ),
    );
    assert.deepEqual(
      diff.suspects.filter((s) => s.score >= 30).map((s) => `${s.key}: ${s.score} ${s.explanation}`),
      [],
    );
    const check = await runCli(['check', out]);
    assert.equal(check.code, 0, check.stdout);
    await fixture.stop();
  }));

// The healthy twin of the leak above: per-connection heartbeat intervals
// made over the process's life, many older than the window and none
// cleared in it while their clients stay online, but one per open
// connection; with churn, clients come and go and their heartbeats with them.
for (const mode of ['churn', 'stay']) {
  test(`per-connection heartbeats of long-lived clients (${mode}): found, and nothing scores 30; check passes`, () =>
    withInspectorPort(async () => {
      const name = 'heartbeat-clients';
      const fixture = await startNodeFixture(name, { env: { FIXTURE_MODE: mode } });
      running.push(fixture);
      // Every long-lived client online (a ramp of 40, one every 150 ms), and some history after.
      await waitFor(fixture, (c) => c.online >= (mode === 'stay' ? 40 : 60));
      await sleep(3000);
      const out = join(dir, `${name}-${mode}`);
      const diff = await attach(fixture, out);
      const heartbeats = diff.suspects.find(
        (s) => s.anchor?.file === fixture.file && s.labels.some((l) => l.labels.resource === 'Timeout: setInterval 1000 ms'),
      );
      assert.ok(heartbeats && heartbeats.counts[0]! >= 40, `the heartbeats are found: ${diff.suspects.map((s) => `${s.key} ${s.counts[0]}`).join('; ')}`);
      assert.deepEqual(
        diff.suspects.filter((s) => s.score >= 30).map((s) => `${s.key}: ${s.score} ${s.explanation}`),
        [],
      );
      const check = await runCli(['check', out]);
      assert.equal(check.code, 0, check.stdout);
      await fixture.stop();
    }));
}

/**
 * One default `check --pid` (12 snapshots, 5 s apart) of busy-rare-leak
 * with `env`, then its diff. What the tests are about: thousands of
 * requests/s, a few leaks/s; on a machine too busy to serve that, they say
 * so rather than judge leakscan.
 */
async function checkBusyService(label: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string; diff: DiffJson; file: string }> {
  const name = 'busy-rare-leak';
  const fixture = await startNodeFixture(name, { env });
  running.push(fixture);
  await sleep(1500);
  const out = join(dir, `${name}-${label}`);
  const before = (await resources(fixture)).counters as { requests: number };
  const check = await runCli(['check', '--pid', String(fixture.pid), '--out', out], { timeoutMs: 150_000 });
  const after = (await resources(fixture)).counters as { requests: number };
  await fixture.stop();
  const perSecond = (after.requests - before.requests) / 60;
  assert.ok(perSecond >= 1000, `the fixture served only ${perSecond.toFixed(0)} requests/s while attached: the machine is too loaded for this test`);
  const diff = JSON.parse((await runCli(['diff', out, '--json'])).stdout) as DiffJson;
  assert.ok(
    diff.warnings.some((w) => /^the agent watched .* of the time/.test(w)),
    `the agent sampled: ${diff.warnings.join('; ')}`,
  );
  return { code: check.code ?? -1, output: `${check.stdout}\n${check.stderr}`, diff, file: fixture.file };
}

test('a busy service leaking a timer on 1 request in 1,000: the default sampled attach finds it with 70 or more, and check fails', () =>
  withInspectorPort(async () => {
    const name = 'busy-rare-leak';
    const { code, output, diff, file } = await checkBusyService('timer', {});
    assert.equal(code, 1, output);
    const [top] = diff.suspects;
    assert.equal(top?.anchor?.file, file, `ranked first: ${top?.key}`);
    assert.equal(top!.anchor!.line, leakLine(name));
    assert.ok(top!.score >= 70, `score ${top!.score} (${top!.explanation})`);
    assert.deepEqual(
      top!.labels.map((l) => l.labels.resource),
      ['Timeout: setInterval 5000 ms'],
    );
  }));

// The agent's windows see well under 1% of this service's work (its hook
// slows the work it watches), so the leaked promises are caught late or
// rarely; the census counts every pending promise, and until a record
// places them they are a site of their own, which the analysis spreads
// over the sites the records found (src/analysis/unplaced-promises.ts).
// Measured over default attaches (score of the leak's site, 0 = not found):
// 0, 47, 0, 0, 65, 92 with records alone; 100, 100, 100 with the unplaced
// count placed. The sample still catches none of the leak in some attaches
// (2 of the last 6 here, on a loaded machine): the growth is then failed
// at the site without a line, as the README says.
test('a busy service leaking a pending promise on 1 request in 1,000: the default sampled attach finds it with 70 or more, and check fails', () =>
  withInspectorPort(async () => {
    const name = 'busy-rare-leak';
    const { code, output, diff, file } = await checkBusyService('promise', { FIXTURE_LEAK_KIND: 'promise' });
    const [top] = diff.suspects;
    // The gate fails on the leak whether or not the sample caught one being made.
    assert.equal(code, 1, output);
    assert.ok(top!.score >= 70, `score ${top!.score} (${top!.explanation})`);
    if (top!.key.startsWith('(made since attach')) {
      // The agent's windows caught none of the leaked promises being made
      // (a chance of about 1 in 5 per default attach here): the growth is
      // then shown, and failed, without a line, and the line says how to
      // place it. Only when no record of the leak's line exists at all.
      assert.match(top!.explanation, /--track all places each one/);
      assert.ok(!diff.suspects.some((s) => s.anchor?.file === file && s.anchor.line === markedLine(name, 'promise')), 'a record was caught but not used');
      return;
    }
    assert.equal(top?.anchor?.file, file, `ranked first: ${top?.key}`);
    assert.equal(top!.anchor!.line, markedLine(name, 'promise'));
    assert.deepEqual(top!.holds, [{ kind: 'Promise', count: top!.counts.at(-1) }]);
    assert.ok(
      diff.suspects.every((s) => !s.key.startsWith('(made since attach')),
      'the promises counted before a record placed them are in the leak site, not beside it',
    );
  }));

test('the same busy service without the leak: nothing scores 30 under the default sampled attach, and check passes', () =>
  withInspectorPort(async () => {
    const { code, output, diff } = await checkBusyService('healthy', { FIXTURE_LEAK_EVERY: '0' });
    assert.deepEqual(
      diff.suspects.filter((s) => s.score >= 30).map((s) => `${s.key}: ${s.score} ${s.explanation}`),
      [],
    );
    assert.equal(code, 0, output);
  }));

// Stacks name the compiled file; find the marked line in it.
const compiled = fileURLToPath(import.meta.url);
const listenLine =
  readFileSync(compiled, 'utf8')
    .split('\n')
    .findIndex((line) => line.trimEnd().endsWith('// the listen line')) + 1;

test('a server bound with listen(port, host) is placed at the listen line, not inside node:net', async () => {
  const servers: Server[] = [];
  const report = await leakCheck(async () => {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve)); // the listen line
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  const server = report.leaks.find((l) => l.type === 'TCPSERVERWRAP');
  assert.ok(server, String(report));
  assert.ok(server.site.endsWith(`${compiled.split('/').slice(-2).join('/')}:${listenLine}`), server.site);
});
