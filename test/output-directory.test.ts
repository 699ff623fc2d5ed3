/**
 * The default output directory has a predictable name
 * (leakscan-<pid>-<time>) under $XDG_STATE_HOME/leakscan, which may be
 * shared (a home on a shared host, a CI workspace). Whatever is planted under that name beforehand, an
 * existing directory or a symlink to someone else's, leakscan writes into a
 * directory it created itself, and nothing anywhere else.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { startGoFixture } from './helpers/go-fixtures.js';
import type { RunningFixture } from './helpers/go-fixtures.js';
import { tempDir } from './helpers/tmp.js';
import { timestampName } from '../src/util/names.js';

const dir = tempDir();
const running: RunningFixture[] = [];
after(() => Promise.all(running.map((f) => f.stop())));

test('attach without --out never writes into a directory or a symlink planted under the default name', async () => {
  const fixture = await startGoFixture('heartbeat');
  running.push(fixture);
  const state = join(dir, 'state');
  const cwd = join(state, 'leakscan');
  const elsewhere = join(dir, 'someone-elses');
  mkdirSync(cwd, { recursive: true });
  mkdirSync(elsewhere);
  // Every name the run could pick in the next 30 seconds is taken: a
  // symlink to another directory for even seconds, an existing directory
  // for odd ones.
  const planted: string[] = [];
  for (let s = 0; s < 30; s++) {
    const name = timestampName(`leakscan-${fixture.pid}`, new Date(Date.now() + s * 1000));
    if (planted.includes(name)) continue;
    planted.push(name);
    if (s % 2 === 0) symlinkSync(elsewhere, join(cwd, name));
    else {
      mkdirSync(join(cwd, name));
      writeFileSync(join(cwd, name, 'theirs.txt'), 'not leakscan output');
    }
  }
  const result = await runCli(['attach', String(fixture.pid), '--interval', '1', '--count', '2', '--no-html'], { cwd: dir, env: { XDG_STATE_HOME: state } });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(readdirSync(elsewhere), [], 'nothing written through a planted symlink');
  for (const name of planted) {
    if (lstatSync(join(cwd, name)).isDirectory()) assert.deepEqual(readdirSync(join(cwd, name)), ['theirs.txt'], `nothing written into ${name}`);
  }
  const made = /into (\S+)$/m.exec(result.stderr)?.[1] ?? '';
  assert.ok(!planted.some((name) => join(cwd, name) === made), `a name of its own: ${made}`);
  const info = lstatSync(made);
  assert.ok(info.isDirectory() && !info.isSymbolicLink(), 'a real directory');
  assert.deepEqual(readdirSync(made).sort(), ['snapshot-001.json.gz', 'snapshot-002.json.gz']);
});

test('without --out, snapshots go under the XDG state directory, not the current folder', async () => {
  const fixture = await startGoFixture('heartbeat');
  running.push(fixture);
  const work = join(dir, 'project');
  const state = join(dir, 'xdg-state');
  mkdirSync(work);
  const result = await runCli(['attach', String(fixture.pid), '--interval', '1', '--count', '2'], { cwd: work, env: { XDG_STATE_HOME: state } });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(readdirSync(work), [], 'the current folder is left as it was');
  const made = /into (\S+)$/m.exec(result.stderr)?.[1] ?? '';
  assert.ok(made.startsWith(join(state, 'leakscan', `leakscan-${fixture.pid}-`)), made);
  assert.deepEqual(readdirSync(made).sort(), ['report.html', 'snapshot-001.json.gz', 'snapshot-002.json.gz']);
});
