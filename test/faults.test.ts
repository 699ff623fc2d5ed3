/**
 * Live-target faults during an attach: the target is stopped (SIGSTOP), or
 * replaced by another process on the same port. Whatever was taken is kept
 * and ranked, the exit code says what happened, and leakscan never goes on
 * reading a process it did not attach to.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from './helpers/cli.js';
import { startGoFixture } from './helpers/go-fixtures.js';
import type { RunningFixture } from './helpers/go-fixtures.js';
import { tempDir } from './helpers/tmp.js';
import type { DiffJson } from '../src/report/diff-json.js';
import { startNodeFixture, withInspectorPort } from './helpers/node-fixtures.js';

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

test('a Node target killed mid-attach: the inspector session ends, what was taken is ranked, exit 3', () => withInspectorPort(async () => {
  const fixture = await startNodeFixture('pending-promises');
  await sleep(1000);
  const result = await runCli(['attach', String(fixture.pid), '--interval', '1', '--count', '10', '--out', join(dir, 'node-killed'), '--json', '--no-html'], {
    onSpawn: () => void sleep(4000).then(() => fixture.process.kill('SIGKILL')),
  });
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stderr, /exited|inspector connection closed/);
  const taken = saved('node-killed');
  assert.ok(taken >= 2 && taken < 10, `${taken} snapshots kept`);
  const diff = JSON.parse(result.stdout) as DiffJson;
  assert.equal(diff.snapshots.length, taken);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}));

test('an --out that cannot be created: one line, exit 2, the target untouched', async () => {
  const fixture = await startGoFixture('heartbeat');
  running.push(fixture);
  const file = join(dir, 'a-file');
  writeFileSync(file, 'not a directory');
  const result = await runCli(['attach', String(fixture.pid), '--count', '2', '--out', join(file, 'snapshots')]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /cannot create .*a-file\/snapshots: a parent is not a directory/);
  assert.equal(fixture.process.exitCode, null);
});
