/**
 * `leakscan attach <pid>` and `leakscan run` against real Go processes: the
 * test knows only the pid, as a user would.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from './helpers/cli.js';
import type { CliResult } from './helpers/cli.js';
import { buildGoFixtureVariant, buildGoFixtures, goroutineLeakProfileEnv, startGoFixture } from './helpers/go-fixtures.js';
import type { RunningFixture } from './helpers/go-fixtures.js';
import { tempDir } from './helpers/tmp.js';
import { cacheDir } from './helpers/paths.js';
import { loadSnapshotFile } from '../src/formats/load.js';
import type { DiffJson } from '../src/report/diff-json.js';

const dir = tempDir();
const running: RunningFixture[] = [];
after(() => Promise.all(running.map((f) => f.stop())));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: existence check only, nothing is delivered
    return true;
  } catch {
    return false;
  }
}

function assertOneLine(result: CliResult, exitCode: number, pattern: RegExp): void {
  assert.equal(result.code, exitCode, result.stderr);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr:\n${result.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.equal(result.stdout, '');
}

const leaky = {
  heartbeat: 'main.(*session).heartbeat',
  earlyreturn: 'main.(*quoteService).priceWorker',
  tickerleak: 'main.(*subscription).pump',
  fanout: 'main.(*cluster).search.func1',
};

test('attach by pid: finds pprof, samples, ranks the leak first, saves every snapshot', async () => {
  const fixtures = await Promise.all(Object.keys(leaky).map((name) => startGoFixture(name)));
  running.push(...fixtures);
  await Promise.all(
    fixtures.map(async (fixture) => {
      const out = join(dir, `attach-${fixture.name}`);
      const result = await runCli(['attach', String(fixture.pid), '--interval', '1', '--count', '6', '--out', out, '--json']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, new RegExp(`attached to Go process ${fixture.pid} \\(go1\\.\\d+`));
      assert.match(result.stderr, new RegExp(`pprof at ${fixture.url}`), "the endpoint found from the pid is the fixture's");
      assert.match(result.stderr, /snapshot 6\/6: \d+ goroutines; top suspect so far: /);
      const diff = JSON.parse(result.stdout) as DiffJson;
      const [top] = diff.suspects;
      assert.equal(top?.anchor?.fn, leaky[fixture.name as keyof typeof leaky], `${fixture.name}: ${top?.key}`);
      assert.ok(top!.score >= 70, `${fixture.name}: score ${top!.score}`);
      const files = readdirSync(out)
        .filter((f) => f.endsWith('.json.gz'))
        .sort();
      assert.equal(files.length, 6);
      const last = await loadSnapshotFile(join(out, files[5]!));
      assert.equal(last.source.pid, fixture.pid);
      assert.equal(diff.snapshots.at(-1)!.total, last.tasks.length);
    }),
  );
});

test('attach to a Go 1.26 goroutineleak build: the leak is confirmed by the runtime', async () => {
  const binary = await buildGoFixtureVariant('unreachable', 'leakprofile', await goroutineLeakProfileEnv());
  const fixture = await startGoFixture('unreachable', { binary });
  running.push(fixture);
  await sleep(1000);
  const result = await runCli(['attach', String(fixture.pid), '--interval', '1', '--count', '3', '--out', join(dir, 'leakprofile')]);
  assert.equal(result.code, 0, result.stderr);
  const block = result.stdout.split('\n\n').find((b) => b.includes('#1 '))!;
  assert.match(block, /#1 100 .*main\.\(\*resolver\)\.lookup .*LEAKED/);
  assert.match(block, /\d+ confirmed leaked by the Go runtime/);
});

test('the target dies mid-attach: what was taken is analysed, exit 3 says it exited', async () => {
  const fixture = await startGoFixture('nocancel');
  running.push(fixture);
  const result = await runCli(['attach', String(fixture.pid), '--interval', '1', '--count', '10', '--out', join(dir, 'killed'), '--json'], {
    onSpawn: () => void sleep(3500).then(() => fixture.process.kill('SIGKILL')),
  });
  assert.equal(result.code, 3, result.stderr);
  const taken = readdirSync(join(dir, 'killed')).filter((f) => f.endsWith('.json.gz')).length;
  assert.ok(taken >= 2 && taken < 10, `${taken} snapshots before the kill`);
  assert.match(result.stderr, new RegExp(`the target \\(pid ${fixture.pid}\\) exited after ${taken} snapshots; the ranking above uses the ${taken} taken`));
  const diff = JSON.parse(result.stdout) as DiffJson;
  assert.equal(diff.snapshots.length, taken);
  assert.equal(diff.suspects[0]?.anchor?.fn, 'main.(*rpcClient).watch');
});

test('Ctrl-C ends sampling early and still ranks what was taken', async () => {
  const fixture = await startGoFixture('doublesend');
  running.push(fixture);
  const result = await runCli(['attach', String(fixture.pid), '--interval', '1', '--count', '30', '--out', join(dir, 'interrupted')], {
    onSpawn: (cli) => void sleep(3500).then(() => cli.kill('SIGINT')),
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /interrupted: analysed the \d+ snapshots taken/);
  assert.match(result.stdout, /#1 +\d+ .*main\.\(\*cache\)\.load/);
  assert.ok(alive(fixture.pid), 'the target is left running');
});

test('attach to a process that is neither Go nor Node: one line, exit 3, and it is not signalled', async () => {
  const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    await sleep(200);
    assertOneLine(await runCli(['attach', String(sleeper.pid)]), 3, new RegExp(`pid ${sleeper.pid} \\(sleep\\) is neither a Go nor a Node\\.js program`));
    assert.ok(alive(sleeper.pid!), 'sleep is still running: no signal reached it');
  } finally {
    sleeper.kill('SIGKILL');
  }
});

test('attach to a dead pid: one line, exit 3', async () => {
  const gone = spawn('true', [], { stdio: 'ignore' });
  await new Promise((resolve) => gone.once('exit', resolve));
  assertOneLine(await runCli(['attach', String(gone.pid)]), 3, new RegExp(`no process with pid ${gone.pid}`));
  assertOneLine(await runCli(['attach', 'abc']), 2, /not a pid: abc/);
});

test('attach to a Go process without pprof: says how to enable it, exit 3, target untouched', async () => {
  const fixture = await startGoFixture('nopprof');
  running.push(fixture);
  assertOneLine(await runCli(['attach', String(fixture.pid)]), 3, /listens on port \d+, but none serves \/debug\/pprof\/: import _ "net\/http\/pprof"/);
  const health = await fetch(`${fixture.url}/health`);
  assert.equal(health.status, 200, 'the service kept serving');
});

test('run -- <program>: waits for pprof, samples, ranks, then stops the program', async () => {
  await buildGoFixtures();
  const out = join(dir, 'run');
  const result = await runCli(['run', '--interval', '1', '--count', '4', '--out', out, '--json', '--', join(cacheDir, 'go-fixtures', 'rangeunclosed')]);
  assert.equal(result.code, 0, result.stderr);
  const childPid = Number(/started .* as pid (\d+)/.exec(result.stderr)?.[1]);
  const diff = JSON.parse(result.stdout) as DiffJson;
  assert.equal(diff.suspects[0]?.anchor?.fn, 'main.(*pipeline).indexBatch');
  assert.ok(diff.suspects[0]!.score >= 70);
  assert.equal(readdirSync(out).filter((f) => f.endsWith('.json.gz')).length, 4);
  assert.ok(existsSync(join(out, 'program.log')));
  assert.equal(alive(childPid), false, 'the program was stopped');
});

test('run --no-stop leaves the program running; a program that never serves pprof is reported', async () => {
  const result = await runCli([
    'run',
    '--no-stop',
    '--interval',
    '1',
    '--count',
    '2',
    '--out',
    join(dir, 'run-keep'),
    '--',
    join(cacheDir, 'go-fixtures', 'tickerleak'),
  ]);
  assert.equal(result.code, 0, result.stderr);
  const pid = Number(/left the program running as pid (\d+)/.exec(result.stderr)?.[1]);
  assert.ok(alive(pid));
  process.kill(pid, 'SIGTERM');

  const none = await runCli(['run', '--wait', '2', '--out', join(dir, 'run-none'), '--', join(cacheDir, 'go-fixtures', 'nopprof')]);
  assert.equal(none.code, 3);
  assert.match(none.stderr, /served no pprof endpoint \(Go\) or inspector \(Node\.js\) within 2s/);
  const early = await runCli(['run', '--out', join(dir, 'run-exit'), '--', 'false']);
  assert.equal(early.code, 3);
  assert.match(early.stderr, /the program exited \(1\) before leakscan could reach it/);
});
