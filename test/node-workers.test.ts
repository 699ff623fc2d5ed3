/**
 * `leakscan run` on a Node service with worker threads under load and a
 * child Node process (fixtures/node/worker-pool.mjs). The agent is preloaded
 * through NODE_OPTIONS, which worker threads and child processes inherit:
 * none of them may crash, the main thread's leak must still rank first, and
 * no inspector leakscan opened may stay open, in the program or its child.
 * Each way of capturing stacks runs several times: a race between threads
 * does not show on every run.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from './helpers/cli.js';
import { leakLine, nodeFixtureFile } from './helpers/node-fixtures.js';
import { tempDir } from './helpers/tmp.js';
import type { DiffJson } from '../src/report/diff-json.js';

const dir = tempDir();
const RUNS = 5;
const leftRunning: number[] = [];
after(() => {
  for (const pid of leftRunning) {
    try {
      process.kill(-pid, 'SIGKILL'); // the program's own process group: it and its sidecar
    } catch {
      /* gone */
    }
  }
});

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** The inspector ports every Node process of the program announced in program.log. */
function inspectorPorts(log: string): number[] {
  return [...log.matchAll(/Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//g)].map((m) => Number(m[1]));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

for (const capture of ['native', 'js'] as const) {
  test(`worker-pool under run --track all (${capture} stacks), ${RUNS} runs: no thread or process dies, the main thread's leak ranks first`, async () => {
    const failures: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const out = join(dir, `${capture}-${i}`);
      const result = await runCli([
        'run',
        '--track',
        'all',
        ...(capture === 'js' ? ['--no-native'] : []),
        '--interval',
        '1',
        '--count',
        '4',
        '--out',
        out,
        '--no-html',
        '--json',
        '--',
        process.execPath,
        nodeFixtureFile('worker-pool'),
      ]);
      const log = readFileSync(join(out, 'program.log'), 'utf8');
      if (result.code !== 0) {
        failures.push(
          `run ${i}: exit ${result.code}: ${result.stderr.trim().split('\n').pop()} | program.log: ${log.trim().split('\n').slice(-3).join(' / ')}`,
        );
        continue;
      }
      assert.match(result.stderr, capture === 'native' ? /creation stacks: native addon/ : /creation stacks: JavaScript/);
      assert.doesNotMatch(log, /worker-pool: (worker|sidecar)/, 'no worker and no sidecar ended while sampled');
      const [top] = (JSON.parse(result.stdout) as DiffJson).suspects;
      assert.equal(top?.anchor?.file, nodeFixtureFile('worker-pool'), `run ${i}: ranked first ${top?.key}`);
      assert.equal(top?.anchor?.line, leakLine('worker-pool'));
      assert.ok(top!.score >= 70, `run ${i}: score ${top!.score}`);
    }
    assert.deepEqual(failures, [], `${failures.length} of ${RUNS} runs failed`);
  });
}

test("run --no-stop: the program keeps running with every inspector closed, its child process's too", async () => {
  const out = join(dir, 'no-stop');
  const wait = 5;
  const result = await runCli([
    'run',
    '--no-stop',
    '--wait',
    String(wait),
    '--track',
    'all',
    '--interval',
    '1',
    '--count',
    '3',
    '--out',
    out,
    '--no-html',
    '--json',
    '--',
    process.execPath,
    nodeFixtureFile('worker-pool'),
  ]);
  const pid = Number(/left the program running as pid (\d+)/.exec(result.stderr)?.[1]);
  if (pid > 0) leftRunning.push(pid);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /detached from pid \d+: agent removed, inspector closed/);
  const log = () => readFileSync(join(out, 'program.log'), 'utf8');
  const ports = inspectorPorts(log());
  assert.equal(ports.length, 2, `the program and its sidecar each opened an inspector under run:\n${log()}`);
  // The sidecar was started before leakscan reached the program: its agent
  // waits --wait seconds for leakscan, then removes itself and its inspector.
  const deadline = Date.now() + (wait + 20) * 1000;
  let open = ports;
  while (Date.now() < deadline) {
    open = (await Promise.all(ports.map(async (port) => ((await portOpen(port)) ? port : 0)))).filter((p) => p !== 0);
    if (open.length === 0) break;
    await sleep(500);
  }
  assert.deepEqual(open, [], `inspector ports still open: ${open.join(', ')}`);
  assert.ok(alive(pid), 'the program still runs');
  const url = /^http (http:\/\/\S+)$/m.exec(log())?.[1];
  const state = (await (await fetch(`${url}/debug/resources`)).json()) as {
    leakscanAgent: boolean;
    asyncHooksActive: boolean;
    counters: { sidecarPid: number; workerAgents: boolean[] };
  };
  assert.equal(state.leakscanAgent, false);
  assert.deepEqual(state.counters.workerAgents, [false, false, false, false], 'the worker threads run without the agent');
  assert.equal(state.asyncHooksActive, false);
  assert.ok(alive(state.counters.sidecarPid), 'the sidecar still runs');
  assert.doesNotMatch(log(), /worker-pool: (worker|sidecar)/);
  process.kill(-pid, 'SIGTERM');
});
