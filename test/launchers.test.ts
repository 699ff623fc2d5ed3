/**
 * The pid a user finds first is often a launcher: `npm start`, `go run .`, a
 * shell. attach looks through it to the program it runs and says which pid
 * it used; with several programs it lists them instead of guessing, and the
 * launcher itself is never signalled.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from './helpers/cli.js';
import { withInspectorPort } from './helpers/node-fixtures.js';
import { fixturesDir } from './helpers/paths.js';
import { tempDir } from './helpers/tmp.js';
import { processTree } from '../src/targets/proc.js';

const started: ChildProcess[] = [];
after(async () => {
  for (const child of started) {
    for (const pid of (await processTree(child.pid!)).reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
});

function launch(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(command, args, { cwd, stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: '', ...env } });
  started.push(child);
  return child;
}

/** Waits until the launcher has `n` descendants whose command line matches. */
async function waitForDescendants(pid: number, pattern: RegExp, n: number, timeoutMs = 120_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const matching: number[] = [];
    for (const child of (await processTree(pid)).slice(1)) {
      try {
        if (pattern.test(readFileSync(`/proc/${child}/cmdline`, 'utf8').replace(/\0/g, ' '))) matching.push(child);
      } catch {
        /* exited */
      }
    }
    if (matching.length >= n) return matching;
    if (Date.now() > deadline) throw new Error(`no ${n} descendants matching ${pattern} under ${pid}`);
    await sleep(200);
  }
}

test('attach <pid of npm start> attaches to the Node program npm runs, and finds its leak', () =>
  withInspectorPort(async () => {
    const project = tempDir();
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'shop', version: '1.0.0', scripts: { start: `node ${join(fixturesDir, 'node', 'pending-promises.mjs')}` } }),
    );
    const npm = launch('npm', ['start'], project);
    const [program] = await waitForDescendants(npm.pid!, /^node .*pending-promises\.mjs/, 1);
    await sleep(1500);
    const result = await runCli(['attach', String(npm.pid), '--count', '4', '--interval', '1', '--no-html', '--out', join(tempDir(), 'out')], {
      timeoutMs: 90_000,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`pid ${npm.pid} is npm, a launcher: attaching to the program it runs, pid ${program} \\(node .*pending-promises\\.mjs\\)`),
    );
    assert.match(result.stdout, /#1 +\d+ .*pending-promises\.mjs/);
    assert.equal(npm.exitCode, null, 'npm itself is still running: it was never signalled');
  }));

test('attach <pid of go run> attaches to the program go run built, and finds its leak', async () => {
  const goRun = launch('go', ['run', './heartbeat'], join(fixturesDir, 'go'), { GOFLAGS: '-buildvcs=false' });
  const [program] = await waitForDescendants(goRun.pid!, /^\S*\/heartbeat\s*$/, 1);
  await sleep(1500);
  const result = await runCli(['attach', String(goRun.pid), '--count', '4', '--interval', '1', '--no-html', '--out', join(tempDir(), 'out')], {
    timeoutMs: 90_000,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, new RegExp(`pid ${goRun.pid} is go run, a launcher: attaching to the program it runs, pid ${program} `));
  assert.match(result.stdout, /#1 +\d+ .*main\.\(\*session\)\.heartbeat/);
});

test('a launcher running several programs: they are listed, none is chosen, nothing is sent', async () => {
  const script = "node -e 'setInterval(() => {}, 1000)' & node -e 'setInterval(() => {}, 1000)' & wait";
  const shell = launch('sh', ['-c', script], tempDir());
  const programs = await waitForDescendants(shell.pid!, /^node -e/, 2);
  const result = await runCli(['attach', String(shell.pid), '--count', '2', '--interval', '1']);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, new RegExp(`^leakscan: pid ${shell.pid} is sh, a launcher running 2 programs: `));
  for (const pid of programs) assert.match(result.stderr, new RegExp(`\\b${pid} \\(node -e`));
  assert.equal(result.stderr.trim().split('\n').length, 1, 'one line');
  for (const pid of programs) assert.ok(readFileSync(`/proc/${pid}/stat`, 'utf8').length > 0, 'both programs still run');
});

test('the shell leakscan runs in: leakscan is not the program it runs, and nothing is sent', async () => {
  const { cliPath } = await import('./helpers/paths.js');
  // `leakscan attach $$` typed in a shell: the shell's only Node program is leakscan itself.
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn('sh', ['-c', `"${process.execPath}" "${cliPath}" attach $$`], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('close', (code) => resolve({ code, stderr }));
  });
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stderr, /^leakscan: pid \d+ is sh, a launcher, and runs no Go or Node\.js program \(yet\); nothing was sent to it$/m);
});
