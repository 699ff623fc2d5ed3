/**
 * `leakscan attach <pid>` on real Node.js processes started with plain
 * `node`: the leak's creation site ranks first, healthy controls stay low,
 * the target keeps serving, and after detach nothing is left: no async hook,
 * no agent, and the inspector closed again (checked from outside).
 * Node fixtures open their inspector on port 9229, so these run one at a time.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from './helpers/cli.js';
import { leakLine, nodeFixtureFile, resources, served, startNodeFixture, withInspectorPort } from './helpers/node-fixtures.js';
import type { RunningNodeFixture } from './helpers/node-fixtures.js';
import { tempDir } from './helpers/tmp.js';
import type { DiffJson } from '../src/report/diff-json.js';
import { nodeExecArgv, parseInspectorFlags, splitNodeOptions } from '../src/targets/node/inspect-flags.js';
import { AGENT_DEFAULTS } from '../src/targets/node/agent-settings.js';

const dir = tempDir();
const running: RunningNodeFixture[] = [];
after(() => Promise.all(running.map((f) => f.stop())));

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function attach(fixture: RunningNodeFixture, extra: string[] = []): Promise<DiffJson> {
  const result = await runCli(['attach', String(fixture.pid), '--interval', '1', '--count', '6', '--out', join(dir, fixture.name), '--json', ...extra]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, new RegExp(`attached to Node\\.js process ${fixture.pid} \\(v\\d+`));
  assert.match(result.stderr, /detached from pid \d+: agent removed, inspector closed/);
  return JSON.parse(result.stdout) as DiffJson;
}

/** After detach: no hook in the target, no agent, inspector port closed. */
async function assertNothingLeftBehind(fixture: RunningNodeFixture): Promise<void> {
  assert.equal(await portOpen(9229), false, 'the inspector leakscan opened is closed again');
  const state = await resources(fixture);
  assert.equal(state.asyncHooksActive, false, 'no async hook is enabled in the target');
  assert.equal(state.leakscanAgent, false, 'no agent object is left');
}

const leaky = ['pending-promises', 'interval-leak', 'socket-leak', 'listener-promise', 'retry-timers', 'reload-wait'];
// These judge detection over a short attach (6 snapshots), so the agent
// watches everything: at these fixtures' rates its cost sits near the 2%
// budget, and on a loaded machine it would sample, which over six seconds
// makes the growth uneven. Detection under sampling has its own tests below
// (busy fixtures), and the healthy controls run at the defaults.
// A retry chain, besides, is followed link by link (each timer lives a
// moment): under sampling it shows as growth, not as one chain.
const extraFlags: Record<string, string[]> = {
  'pending-promises': ['--track', 'all'],
  'interval-leak': ['--track', 'all'],
  'socket-leak': ['--interval', '2', '--track', 'all'],
  'listener-promise': ['--track', 'all'],
  'retry-timers': ['--track', 'all'],
  'reload-wait': ['--track', 'all'],
};

for (const name of leaky) {
  test(`${name}: the creation site ranks first with a score of 70 or more; nothing is left after detach`, () =>
    withInspectorPort(async () => {
      const fixture = await startNodeFixture(name);
      running.push(fixture);
      await sleep(1500);
      const before = await served(fixture);
      const diff = await attach(fixture, extraFlags[name] ?? []);
      const [top] = diff.suspects;
      assert.equal(top?.anchor?.file, fixture.file, `${name}: ranked first ${top?.key}`);
      assert.equal(top?.anchor?.line, leakLine(name));
      assert.ok(top!.score >= 70, `${name}: score ${top!.score} (${top!.explanation})`);
      if (name === 'listener-promise') {
        // One bug, one suspect: onPayment's own promise and once()'s listeners go with the awaited line.
        assert.deepEqual(
          diff.suspects.filter((s) => s.score >= 30).map((s) => s.key),
          [top!.key],
        );
        assert.deepEqual(top!.sameLeak.map((m) => m.reason).sort(), [
          'its listeners, growing in step',
          'its listeners, growing in step',
          'the same async call',
        ]);
        // The gate, on the snapshots attach saved, names the same sites of the leak.
        const check = await runCli(['check', join(dir, fixture.name)]);
        assert.equal(check.code, 1, check.stderr);
        const withLines = check.stdout.split('\n').filter((line) => /^\s+with /.test(line));
        assert.equal(withLines.length, 3, check.stdout);
        assert.ok(
          withLines.some((line) => line.includes('(the same async call)')),
          check.stdout,
        );
      }
      if (name === 'reload-wait') {
        // One helper awaited by two routes: both routes' promises go with the helper's line.
        assert.deepEqual(
          diff.suspects.filter((s) => s.score >= 30 && s.anchor?.file === fixture.file).map((s) => s.key),
          [top!.key],
        );
        const callers = new Set(top!.sameLeak.filter((m) => m.reason === 'a caller awaiting it').map((m) => m.anchor?.fn));
        assert.ok(callers.has('getPrices') && callers.has('getStock'), `both routes are folded: ${[...callers].join(', ')}`);
      }
      assert.ok((await served(fixture)) > before, 'the target kept serving while attached');
      await sleep(500);
      await assertNothingLeftBehind(fixture);
      assert.match(fixture.stderr(), /Debugger listening on ws:\/\/127\.0\.0\.1:9229\//);
      await fixture.stop();
    }));
}

for (const name of ['keepalive-server', 'bounded-queue', 'long-interval']) {
  test(`${name}: a healthy control has no site scoring 30 or more`, () =>
    withInspectorPort(async () => {
      const fixture = await startNodeFixture(name);
      running.push(fixture);
      await sleep(1500);
      const diff = await attach(fixture);
      const high = diff.suspects.filter((s) => s.score >= 30);
      assert.deepEqual(
        high.map((s) => `${s.key}: ${s.score} ${s.explanation}`),
        [],
      );
      await assertNothingLeftBehind(fixture);
      await fixture.stop();
    }));
}

/**
 * A real framework as the control: fastify 5 brings its own promises per
 * request, hooks, avvio's plugin loading at boot and pino, none of it
 * written here. 300 requests/s is what this 2-core machine serves steadily
 * while other work runs; the attach is the default one (the agent samples
 * when the service is busier than its budget).
 */
const shopLoad = { FIXTURE_RATE: '300' };

test('fastify-shop under load: a healthy fastify service has no site scoring 30 or more; nothing is left after detach', () =>
  withInspectorPort(async () => {
    const fixture = await startNodeFixture('fastify-shop', { env: shopLoad });
    running.push(fixture);
    await sleep(1500);
    const before = await served(fixture);
    const diff = await attach(fixture);
    assert.deepEqual(
      diff.suspects.filter((s) => s.score >= 30).map((s) => `${s.key}: ${s.score} ${s.explanation}`),
      [],
    );
    assert.ok((await served(fixture)) > before, 'the target kept serving while attached');
    await sleep(500);
    await assertNothingLeftBehind(fixture);
    await fixture.stop();
  }));

// 1 request in 50 at 300/s: 6 listeners/s. A listener is counted by the
// census without ids, so growth alone scores at most 75 (docs/scoring.md),
// and only when the count rises at every step: the attach takes 8 snapshots
// 2 s apart (about 80 leaked, some 12 a step), so that a stall of the
// loaded machine's load generator does not leave a step flat. Each leaked
// request also keeps Node's own 'end' listener (clearIncoming), a second
// site scoring within a point of the first: the program's is listed first,
// and the other goes under it when it grew in step.
test('fastify-shop leaking a listener on 1 request in 50: the default attach ranks its line first with 70 or more', () =>
  withInspectorPort(async () => {
    const name = 'fastify-shop';
    const fixture = await startNodeFixture(name, { env: { ...shopLoad, FIXTURE_LEAK_EVERY: '50' } });
    running.push(fixture);
    await sleep(1500);
    const diff = await attach(fixture, ['--interval', '2', '--count', '8']);
    assert.equal(diff.snapshots.length, 8);
    const watchers = ((await resources(fixture)).counters as { priceWatchers: number }).priceWatchers;
    assert.ok(watchers >= 60, `the fixture leaked: ${watchers} listeners on its price feed`);
    const [top] = diff.suspects;
    assert.equal(top?.anchor?.file, fixture.file, `ranked first: ${top?.key}`);
    assert.equal(top!.anchor!.line, leakLine(name));
    assert.ok(top!.score >= 70, `score ${top!.score} (${top!.explanation})`);
    await sleep(500);
    await assertNothingLeftBehind(fixture);
    await fixture.stop();
  }));

test('the CLI killed with SIGKILL: the agent removes itself and closes the inspector within seconds', () =>
  withInspectorPort(async () => {
    const fixture = await startNodeFixture('pending-promises');
    running.push(fixture);
    await runCli(['attach', String(fixture.pid), '--interval', '1', '--count', '100', '--out', join(dir, 'killed'), '--no-html'], {
      onSpawn: (cli) => void sleep(3000).then(() => cli.kill('SIGKILL')),
    });
    assert.equal((await resources(fixture)).leakscanAgent, true, 'the agent was running when the CLI died');
    // The watchdog's silence, as much again for stand-stills it may excuse on a loaded machine, and its tick.
    const deadline = Date.now() + 2 * AGENT_DEFAULTS.watchdogMs + 2000;
    while (Date.now() < deadline && (await resources(fixture)).leakscanAgent) await sleep(250);
    await sleep(500);
    await assertNothingLeftBehind(fixture);
    await fixture.stop();
  }));

test('inspector flags from the command line and NODE_OPTIONS', () => {
  // Node 20 has no --disable-sigusr1 (it came in 22.14), so this one is read, not run.
  const argv = ['/usr/bin/node', '--disable-sigusr1', '--inspect-port=127.0.0.1:9300', 'server.js', '--inspect'];
  assert.deepEqual(parseInspectorFlags(nodeExecArgv(argv), ''), {
    openedAtStart: false,
    host: '127.0.0.1',
    port: 9300,
    sigusr1Disabled: true,
    permissionModel: false,
  });
  // The address is kept as given: 0.0.0.0 is every interface, which leakscan refuses to open or use.
  assert.deepEqual(parseInspectorFlags(nodeExecArgv(['node', 'app.js']), '--inspect=0.0.0.0:9333 --max-old-space-size=512'), {
    openedAtStart: true,
    host: '0.0.0.0',
    port: 9333,
    sigusr1Disabled: false,
    permissionModel: false,
  });
  assert.equal(parseInspectorFlags(nodeExecArgv(['node', '--experimental-permission', '--allow-fs-read=*', 'a.js']), '').permissionModel, true);
  assert.deepEqual(splitNodeOptions('--require "/opt/my dir/agent.js" --inspect'), ['--require', '/opt/my dir/agent.js', '--inspect']);
});

test('a Node process under the permission model: one line saying why, exit 3, no signal', () =>
  withInspectorPort(async () => {
    const fixture = await startNodeFixture('long-interval', { nodeArgs: ['--experimental-permission', '--allow-fs-read=*'] });
    running.push(fixture);
    const result = await runCli(['attach', String(fixture.pid)]);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /^leakscan: pid \d+ runs under Node's permission model \(--permission\), which disables the inspector/);
    await sleep(300);
    assert.doesNotMatch(fixture.stderr(), /Debugger listening/);
    await fixture.stop();
  }));

test('port 9229 held by another Node process: refused before any signal, and the other process is untouched', () =>
  withInspectorPort(async () => {
    const decoy = spawn(process.execPath, ['--inspect=127.0.0.1:9229', '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const deadline = Date.now() + 5000;
      while (!(await portOpen(9229)) && Date.now() < deadline) await sleep(50);
      const fixture = await startNodeFixture('long-interval');
      running.push(fixture);
      const result = await runCli(['attach', String(fixture.pid)]);
      assert.equal(result.code, 3);
      // It names the holder, so the user knows the one thing to do.
      assert.match(
        result.stderr,
        new RegExp(
          `port 9229, where pid \\d+ would open its inspector, is taken by pid ${decoy.pid} \\(.*--inspect=127\\.0\\.0\\.1:9229.*\\); nothing was sent`,
        ),
      );
      assert.match(result.stderr, /Free the port \(stop that inspector or process\) and attach again/);
      await sleep(300);
      assert.doesNotMatch(fixture.stderr(), /Debugger listening|Starting inspector/, 'the target got no SIGUSR1');
      assert.equal(decoy.exitCode, null, 'the other process still runs');
      await fixture.stop();
    } finally {
      decoy.kill('SIGKILL');
      await new Promise((resolve) => decoy.once('exit', resolve));
    }
  }));

test('an inspector that is already open is used and left open', () =>
  withInspectorPort(async () => {
    const fixture = await startNodeFixture('interval-leak', { nodeArgs: ['--inspect=127.0.0.1:0'] });
    running.push(fixture);
    const port = Number(/ws:\/\/127\.0\.0\.1:(\d+)\//.exec(fixture.stderr())?.[1]);
    const result = await runCli(['attach', String(fixture.pid), '--interval', '1', '--count', '3', '--out', join(dir, 'open'), '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`inspector already open on port ${port}`));
    assert.equal(await portOpen(port), true, 'left open, as the user had it');
    assert.equal((await resources(fixture)).asyncHooksActive, false);
    await fixture.stop();
  }));

test('run -- node app.js: the agent is preloaded, the leak ranks first, the program is stopped', () =>
  withInspectorPort(async () => {
    const result = await runCli([
      'run',
      '--interval',
      '1',
      '--count',
      '5',
      '--out',
      join(dir, 'run'),
      '--json',
      '--',
      process.execPath,
      nodeFixtureFile('pending-promises'),
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /agent loaded at start/);
    const diff = JSON.parse(result.stdout) as DiffJson;
    assert.equal(diff.suspects[0]?.anchor?.line, leakLine('pending-promises'));
    assert.ok(diff.suspects[0]!.score >= 70);
  }));

/** The series says once, with the range of shares, that the agent sampled. */
function assertSampledOnce(diff: DiffJson): void {
  const sampling = diff.warnings.filter((w) => w.startsWith('the agent watched'));
  assert.equal(sampling.length, 1, diff.warnings.join('\n'));
  assert.match(
    sampling[0]!,
    /^the agent watched (about \d+%|under 10%|up to \d+%|\d+% to \d+%) of the time in [1-6] of 6 snapshots to stay within its CPU budget; counts are estimates/,
  );
}

/**
 * A process busier than the agent's budget (1% of a core here: 400 requests
 * a second make thousands of resources a second at tens of µs each, far over
 * it on any machine): the agent watches in short windows, scales what it
 * saw, and at each snapshot drops what ended while it was not watching.
 * (At 0.2% a window of a millisecond or two may see no leaked promise, and
 * the growth looks uneven.)
 */
async function runBusy(name: string): Promise<{ diff: DiffJson; stderr: string }> {
  const result = await runCli(
    [
      'run',
      '--interval',
      '1',
      '--count',
      '6',
      '--agent-budget',
      '1',
      '--out',
      join(dir, `busy-${name}`),
      '--no-html',
      '--json',
      '--',
      process.execPath,
      nodeFixtureFile(name),
    ],
    { env: { FIXTURE_RATE: '400' } },
  );
  assert.equal(result.code, 0, result.stderr);
  const diff = JSON.parse(result.stdout) as DiffJson;
  assertSampledOnce(diff);
  return { diff, stderr: result.stderr };
}

for (const name of ['pending-promises', 'interval-leak']) {
  test(`${name} at 400 requests/s, over the agent's budget: sampled, said so, and the leak still ranks first`, async () => {
    const { diff } = await runBusy(name);
    const [top] = diff.suspects;
    assert.equal(top?.anchor?.line, leakLine(name), `ranked first: ${top?.key}`);
    assert.ok(top!.score >= 70, `score ${top!.score} (${top!.explanation})`);
  });
}

/**
 * A snapshot is one instant. The promise census pauses the target (it
 * collects garbage), and bounded-queue's producer then catches up on the jobs
 * it owed; if the agent were read after that, every snapshot would show a
 * burst of jobs in flight (11 or 12 resources at one site, where a job holds
 * 3 and a 20/s queue has one in flight at most now and then). Sites where
 * idle workers wait hold 4 by design.
 */
test('bounded-queue: a snapshot counts the work in flight at one instant, not the burst its own pause delayed', () =>
  withInspectorPort(async () => {
    const fixture = await startNodeFixture('bounded-queue');
    running.push(fixture);
    await sleep(1500);
    const diff = await attach(fixture, ['--track', 'all']);
    const piles = diff.suspects.filter((s) => s.anchor?.file === fixture.file && Math.max(...s.counts) > 6);
    assert.deepEqual(
      piles.map((s) => `${s.key}: ${s.counts.join(', ')}`),
      [],
    );
    await fixture.stop();
  }));

/**
 * A job's short-lived resources seen in a window must not be scaled into a
 * pile. A bounded-queue job lives a few milliseconds, and the pool of 4
 * workers never holds more than 4 jobs of 3 resources each at any one site
 * of the job's code. Before young sampled resources were left out of
 * snapshots, a window open when the snapshot was taken counted them tens of
 * times each (48 to 810 at processJob and upload, in 3 of 3 runs here, and a
 * false 30 in CI).
 * Not asserted: the sites where an idle worker waits for its next job (at
 * `take`, a few hundred milliseconds, 4 at a time). Such a promise, older
 * than a cycle, still stands for `weight` promises: about 100 at this
 * budget, so one seen makes a spike (CI: take 0, 0, 106, 97, 0, 0), which
 * never reads as growth. Capping the estimates with the promise census's
 * exact total was tried and dropped: scaling every site down together let
 * one site's spike flatten a real leak's growth.
 */
test("bounded-queue watched in short windows: a job's few in-flight resources are never estimated as a pile", async () => {
  const result = await runCli([
    'run',
    '--interval',
    '1',
    '--count',
    '6',
    '--agent-budget',
    '0.1',
    '--out',
    join(dir, 'sampled-bounded-queue'),
    '--no-html',
    '--json',
    '--',
    process.execPath,
    nodeFixtureFile('bounded-queue'),
  ]);
  assert.equal(result.code, 0, result.stderr);
  const diff = JSON.parse(result.stdout) as DiffJson;
  assertSampledOnce(diff);
  const jobCode = ['processJob', 'upload', 'withDeadline'];
  const jobSites = diff.suspects.filter((s) => s.anchor?.file.endsWith('bounded-queue.mjs') && jobCode.includes(s.anchor.fn));
  const piles = jobSites.filter((s) => Math.max(...s.counts) > 16);
  assert.deepEqual(
    piles.map((s) => `${s.key}: ${s.counts.join(', ')}`),
    [],
  );
  assert.deepEqual(
    diff.suspects.filter((s) => s.score >= 30).map((s) => `${s.key}: ${s.score} ${s.explanation}`),
    [],
  );
});

test('keepalive-server at 400 requests/s, over the budget: what ended unseen is dropped, so sampling invents no leak', async () => {
  const { diff } = await runBusy('keepalive-server');
  const high = diff.suspects.filter((s) => s.score >= 30);
  assert.deepEqual(
    high.map((s) => `${s.key}: ${s.score} ${s.explanation}`),
    [],
  );
});
