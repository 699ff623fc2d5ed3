/**
 * bench/node-census-cost: what a Node target pays for `leakscan attach`
 * while it holds many live async resources (pending promises, with timers
 * and listeners beside them), measured inside the target: the worst
 * event-loop delay and the RSS before, during and after an attach, with
 * the heap census (the default: pending promises, listeners, sockets) and
 * without it (`--no-promise-census`; timers are read from Node's timer
 * lists either way on this build). The target opens its inspector itself
 * (`--inspect=127.0.0.1:0`), so no signal is involved.
 *
 *   npm run bench:node-census
 *   LEAKSCAN_CLI=<another checkout>/bin/leakscan.js npm run bench:node-census   # the same against another build
 *   BENCH_SIZES=1000,100000 npm run bench:node-census
 *   BENCH_SIZES=1000 BENCH_EMITTERS=100000 npm run bench:node-census   # with 100,000 emitters beside them
 *
 * One attach per row: 5 snapshots, 1 s apart.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Interface } from 'node:readline';
import { repoRoot } from './crowd.js';

const cli = process.env.LEAKSCAN_CLI ?? join(repoRoot, 'bin', 'leakscan.js');
const sizes = (process.env.BENCH_SIZES ?? '1000,100000,1000000').split(',').map(Number);

interface Measure {
  maxDelayMs: number;
  p99DelayMs: number;
  rssMb: number;
  heapUsedMb: number;
}

class Target {
  private readonly lines: AsyncIterator<string>;
  private constructor(
    readonly child: ChildProcessWithoutNullStreams,
    reader: Interface,
  ) {
    this.lines = reader[Symbol.asyncIterator]();
  }

  static async start(resources: number): Promise<Target> {
    const child = spawn(process.execPath, ['--inspect=127.0.0.1:0', join(repoRoot, 'bench', 'workloads', 'live-resources.mjs')], {
      env: { ...process.env, BENCH_RESOURCES: String(resources), NODE_OPTIONS: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stderr.resume();
    const target = new Target(child, createInterface({ input: child.stdout }));
    await target.next();
    return target;
  }

  private async next(): Promise<string> {
    const next: IteratorResult<string, unknown> = await this.lines.next();
    if (next.done === true) throw new Error('the target exited');
    return next.value;
  }

  async ask(command: 'reset' | 'report'): Promise<Measure> {
    this.child.stdin.write(`${command}\n`);
    return JSON.parse(await this.next()) as Measure;
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

function attach(pid: number, extra: string[]): Promise<number> {
  const out = mkdtempSync(join(tmpdir(), 'leakscan-bench-'));
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cli, 'attach', String(pid), '--interval', '1', '--count', '5', '--out', out, '--no-html', ...extra], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('exit', (code) => {
      rmSync(out, { recursive: true, force: true });
      if (code === 0) resolve(performance.now() - started);
      else reject(new Error(`attach exited with ${code}: ${stderr}`));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const row = (cells: (string | number)[]) => console.log(`| ${cells.join(' | ')} |`);

console.log(`leakscan: ${cli}`);
if (process.env.BENCH_EMITTERS) console.log(`with ${Number(process.env.BENCH_EMITTERS).toLocaleString('en-US')} more emitters, one listener each`);
row([
  'live resources',
  'census',
  'idle: worst delay ms / RSS MB / heap MB',
  'during attach: worst delay ms / p99 ms / RSS MB',
  'attach s',
  '3 s after detach: RSS MB / heap MB',
]);
row(['---', '---', '---', '---', '---', '---']);
for (const size of sizes) {
  for (const census of [true, false]) {
    const target = await Target.start(size);
    try {
      await sleep(1000);
      await target.ask('reset');
      await sleep(2000);
      const idle = await target.ask('report');
      await target.ask('reset');
      const ms = await attach(target.child.pid!, census ? [] : ['--no-promise-census']);
      const during = await target.ask('report');
      await sleep(3000);
      const after = await target.ask('report');
      row([
        size.toLocaleString('en-US'),
        census ? 'on' : 'off',
        `${idle.maxDelayMs.toFixed(0)} / ${idle.rssMb} / ${idle.heapUsedMb}`,
        `${during.maxDelayMs.toFixed(0)} / ${during.p99DelayMs.toFixed(0)} / ${during.rssMb}`,
        (ms / 1000).toFixed(1),
        `${after.rssMb} / ${after.heapUsedMb}`,
      ]);
    } finally {
      target.stop();
    }
  }
}
