/**
 * The Node versions users run, as targets: leakscan itself runs on the tests'
 * Node, and attaches to fixtures started with the newest 22, 24 and 26
 * (scripts/install-test-nodes.sh fetches them), where the native addon built
 * for the tests' Node does not fit the target's ABI, so stacks come from the
 * JavaScript fallback. A selection of the attach and run tests, to keep CI
 * time bounded: a leak ranked first, a healthy control low, nothing left
 * after detach, a program with worker threads and a child process under run.
 * Node 18 (no process.getBuiltinModule, no require of ES modules) is either
 * served or refused in one line, and never harmed.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from './helpers/cli.js';
import { leakLine, nodeFixtureFile, resources, served, startNodeFixture, withInspectorPort } from './helpers/node-fixtures.js';
import type { RunningNodeFixture } from './helpers/node-fixtures.js';
import { testNode } from './helpers/node-versions.js';
import { tempDir } from './helpers/tmp.js';
import type { DiffJson } from '../src/report/diff-json.js';

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

async function start(name: string, node: string): Promise<RunningNodeFixture> {
  const fixture = await startNodeFixture(name, { node });
  running.push(fixture);
  await sleep(1500);
  return fixture;
}

function topOf(stdout: string): DiffJson['suspects'][number] | undefined {
  return (JSON.parse(stdout) as DiffJson).suspects[0];
}

/** What the JavaScript fallback says when the addon was built for another ABI. */
const JS_FALLBACK = /^creation stacks: JavaScript \(no addon built for this process's Node ABI \d+ \(v\d+\.\d+\.\d+\)\)$/m;

for (const major of [22, 24, 26]) {
  const node = testNode(major);

  test(`Node ${node.version}: attach ranks pending-promises' leak first with JavaScript stacks; nothing is left after detach`, () =>
    withInspectorPort(async () => {
      const fixture = await start('pending-promises', node.path);
      const before = await served(fixture);
      const result = await runCli([
        'attach',
        String(fixture.pid),
        '--track',
        'all',
        '--interval',
        '1',
        '--count',
        '6',
        '--out',
        join(dir, `attach-${major}`),
        '--no-html',
        '--json',
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, new RegExp(`attached to Node\\.js process ${fixture.pid} \\(${node.version.replace(/\./g, '\\.')}`));
      assert.match(result.stderr, JS_FALLBACK);
      assert.match(result.stderr, /detached from pid \d+: agent removed, inspector closed/);
      const top = topOf(result.stdout);
      assert.equal(top?.anchor?.file, fixture.file, `ranked first: ${top?.key}`);
      assert.equal(top?.anchor?.line, leakLine('pending-promises'));
      assert.ok(top!.score >= 70, `score ${top!.score} (${top!.explanation})`);
      assert.ok((await served(fixture)) > before, 'the target kept serving');
      await sleep(500);
      assert.equal(await portOpen(9229), false, 'the inspector leakscan opened is closed again');
      const state = await resources(fixture);
      assert.equal(state.asyncHooksActive, false, 'no async hook is left in the target');
      assert.equal(state.leakscanAgent, false, 'no agent is left in the target');
      await fixture.stop();
    }));

  test(`Node ${node.version}: a healthy control (bounded-queue) has no site scoring 30 or more`, () =>
    withInspectorPort(async () => {
      const fixture = await start('bounded-queue', node.path);
      const result = await runCli([
        'attach',
        String(fixture.pid),
        '--interval',
        '1',
        '--count',
        '6',
        '--out',
        join(dir, `healthy-${major}`),
        '--no-html',
        '--json',
      ]);
      assert.equal(result.code, 0, result.stderr);
      const high = (JSON.parse(result.stdout) as DiffJson).suspects.filter((s) => s.score >= 30);
      assert.deepEqual(
        high.map((s) => `${s.key}: ${s.score} ${s.explanation}`),
        [],
      );
      assert.equal(await hooksGone(fixture), true, 'no async hook is left enabled in the target');
      await fixture.stop();
    }));

  test(`Node ${node.version}: run on a program with worker threads and a child process: nothing dies, the leak ranks first`, async () => {
    const out = join(dir, `run-${major}`);
    const result = await runCli([
      'run',
      '--track',
      'all',
      '--interval',
      '1',
      '--count',
      '4',
      '--out',
      out,
      '--no-html',
      '--json',
      '--',
      node.path,
      nodeFixtureFile('worker-pool'),
    ]);
    const log = readFileSync(join(out, 'program.log'), 'utf8');
    assert.equal(result.code, 0, `${result.stderr}\nprogram.log:\n${log}`);
    assert.match(result.stderr, JS_FALLBACK);
    assert.doesNotMatch(log, /worker-pool: (worker|sidecar)/);
    const top = topOf(result.stdout);
    assert.equal(top?.anchor?.file, nodeFixtureFile('worker-pool'), `ranked first: ${top?.key}`);
    assert.equal(top?.anchor?.line, leakLine('worker-pool'));
  });
}

const old = testNode(18);

test(`Node ${old.version} (no process.getBuiltinModule): attach works, or is refused in one line with exit 3; the target lives on`, () =>
  withInspectorPort(async () => {
    const fixture = await start('pending-promises', old.path);
    const result = await runCli([
      'attach',
      String(fixture.pid),
      '--track',
      'all',
      '--interval',
      '1',
      '--count',
      '5',
      '--out',
      join(dir, 'attach-18'),
      '--no-html',
      '--json',
    ]);
    assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace');
    if (result.code === 0) {
      assert.equal(topOf(result.stdout)?.anchor?.line, leakLine('pending-promises'));
    } else {
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr.trimEnd().split('\n').at(-1)!, /^leakscan: .*(Node|getBuiltinModule)/, 'one line that says why');
      assert.equal(result.stdout, '', 'no half-written result');
    }
    const before = await served(fixture);
    await sleep(300);
    assert.ok((await served(fixture)) > before, 'the target still runs and serves');
    assert.equal((await resources(fixture)).asyncHooksActive, false);
    await fixture.stop();
  }));

test(`Node ${old.version}: run preloads the agent (a CommonJS file, built-ins through require) and ranks the leak first`, async () => {
  const out = join(dir, 'run-18');
  const result = await runCli([
    'run',
    '--track',
    'all',
    '--interval',
    '1',
    '--count',
    '4',
    '--out',
    out,
    '--no-html',
    '--json',
    '--',
    old.path,
    nodeFixtureFile('pending-promises'),
  ]);
  assert.equal(result.code, 0, `${result.stderr}\nprogram.log:\n${readFileSync(join(out, 'program.log'), 'utf8')}`);
  assert.match(result.stderr, /agent loaded at start/);
  assert.match(result.stderr, /detached from pid \d+: agent removed, inspector closed/);
  const top = topOf(result.stdout);
  assert.equal(top?.anchor?.line, leakLine('pending-promises'), `ranked first: ${top?.key}`);
  assert.ok(top!.score >= 70);
});

/**
 * Whether the target's async hooks are off, within a few seconds of
 * detach: the target takes the closed inspector connection on its own
 * event loop, after leakscan has exited.
 */
async function hooksGone(fixture: Parameters<typeof resources>[0]): Promise<boolean> {
  const deadline = Date.now() + 3000;
  for (;;) {
    if ((await resources(fixture)).asyncHooksActive === false) return true;
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
}
