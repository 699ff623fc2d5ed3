/**
 * Live-target faults during an attach: the target is stopped (SIGSTOP), or
 * replaced by another process on the same port. Whatever was taken is kept
 * and ranked, the exit code says what happened, and leakscan never goes on
 * reading a process it did not attach to.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from './helpers/cli.js';
import { startGoFixture } from './helpers/go-fixtures.js';
import type { RunningFixture } from './helpers/go-fixtures.js';
import { tempDir } from './helpers/tmp.js';
import type { DiffJson } from '../src/report/diff-json.js';

const dir = tempDir();
const running: RunningFixture[] = [];
after(async () => {
  for (const f of running) f.process.kill('SIGCONT');
  await Promise.all(running.map((f) => f.stop()));
});

const saved = (name: string) => readdirSync(join(dir, name)).filter((f) => f.endsWith('.json.gz')).length;

test('a target stopped with SIGSTOP: requests time out, are retried, then the attach gives up with what it has', async () => {
  const fixture = await startGoFixture('heartbeat');
  running.push(fixture);
  const result = await runCli(['attach', String(fixture.pid), '--interval', '1', '--count', '8', '--timeout', '1', '--out', join(dir, 'stopped'), '--json', '--no-html'], {
    onSpawn: () => void sleep(2500).then(() => fixture.process.kill('SIGSTOP')),
  });
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stderr, /snapshot skipped: no complete answer from .* within 1s/);
  assert.match(result.stderr, /3 snapshots in a row failed; giving up/);
  const taken = saved('stopped');
  assert.ok(taken >= 2, `${taken} snapshots kept`);
  const diff = JSON.parse(result.stdout) as DiffJson;
  assert.equal(diff.snapshots.length, taken);
  assert.equal(diff.suspects[0]?.anchor?.fn, 'main.(*session).heartbeat');
  fixture.process.kill('SIGCONT');
});

test('a target replaced by another process on the same port: the attach stops, it does not read the newcomer', async () => {
  const first = await startGoFixture('heartbeat');
  running.push(first);
  const port = new URL(first.url).port;
  let second: RunningFixture | undefined;
  const result = await runCli(['attach', String(first.pid), '--interval', '1', '--count', '8', '--out', join(dir, 'replaced'), '--json', '--no-html'], {
    onSpawn: () =>
      void sleep(2500).then(async () => {
        await first.stop();
        second = await startGoFixture('workerpool', { args: ['-addr', `127.0.0.1:${port}`] });
        running.push(second);
      }),
  });
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stderr, new RegExp(`the target \\(pid ${first.pid}\\) exited after \\d+ snapshots`));
  assert.ok(second, 'the newcomer was listening on the same port');
  const diff = JSON.parse(result.stdout) as DiffJson;
  assert.ok(diff.snapshots.every((s) => s.source.pid === first.pid), 'every snapshot is of the attached pid');
  assert.ok(!diff.suspects.some((s) => s.anchor?.fn === 'main.(*pool).worker'), 'nothing of the newcomer was read');
});
