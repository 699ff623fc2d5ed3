/**
 * How `check` ends when it does not run to the end, on real Go targets:
 * Ctrl-C or SIGTERM (a cancelled CI job) mid-sampling gives no verdict and
 * the shell's exit code for the signal, never "passed" or 0; a reader that
 * closes the pipe early does not change the exit code of the work.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from './helpers/cli.js';
import { cliPath } from './helpers/paths.js';
import { startGoFixture } from './helpers/go-fixtures.js';
import type { RunningFixture } from './helpers/go-fixtures.js';
import { tempDir } from './helpers/tmp.js';

const dir = tempDir();
const running: RunningFixture[] = [];
after(() => Promise.all(running.map((f) => f.stop())));

const snapshots = (path: string) => (existsSync(path) ? readdirSync(path).filter((f) => /^snapshot-\d+\.json\.gz$/.test(f)).length : 0);

async function until(what: string, condition: () => boolean, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await sleep(100);
  }
}

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  test(`check on a healthy service interrupted by ${signal}: no verdict, never "passed", exit ${code}`, async () => {
    // A healthy service is the case that matters: an interrupted check of it would have said "passed".
    const fixture = await startGoFixture('workerpool');
    running.push(fixture);
    const out = join(dir, `interrupted-${signal}`);
    const result = await runCli(['check', '--pid', String(fixture.pid), '--interval', '1', '--count', '30', '--out', out], {
      onSpawn: (child) => void until('two snapshots', () => snapshots(out) >= 2).then(() => child.kill(signal)),
    });
    assert.equal(result.code, code, result.stdout + result.stderr);
    assert.doesNotMatch(result.stdout, /passed/);
    assert.match(result.stderr, new RegExp(`^leakscan: check interrupted by ${signal} after \\d+ snapshots: no verdict \\(exit ${code}\\)$`, 'm'));
    assert.doesNotMatch(result.stderr, /analysed/, 'nothing was analysed, so nothing says it was');
    assert.ok(snapshots(out) >= 2 && snapshots(out) < 30, 'what was taken is kept');
    assert.equal(fixture.process.exitCode, null, 'the target still runs');
  });
}

test('check whose reader closes the pipe early (check ... | true): the work is finished and the exit code is still the verdict, 1 for a leak', async () => {
  const fixture = await startGoFixture('heartbeat');
  running.push(fixture);
  const series = join(dir, 'leak-series');
  const taken = await runCli(['attach', String(fixture.pid), '--interval', '1', '--count', '5', '--out', series, '--no-html']);
  assert.equal(taken.code, 0, taken.stderr);
  const whole = await runCli(['check', series]);
  assert.equal(whole.code, 1, `the series fails check when read whole: ${whole.stdout}`);
  // The reader is gone before leakscan writes a byte: its first write gets
  // EPIPE, while the SARIF file is still to be written.
  const sarif = join(dir, 'leak.sarif');
  const child = spawn(process.execPath, [cliPath, 'check', series, '--format', 'text', '--format', `sarif=${sarif}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const [code] = (await once(child, 'close')) as [number];
  assert.equal(code, 1, stderr);
  assert.equal(stderr, '', 'nothing said about the closed pipe');
  assert.ok(existsSync(sarif), 'the rest of the work was done: the SARIF file is written');
});
