/**
 * bench/target-pause: how long a Go service stalls per snapshot, for raw
 * goroutine?debug=2, raw goroutine?debug=1 and `leakscan attach` at its
 * defaults, with 10k, 100k and 1M parked goroutines.
 *
 *   npm run bench:target-pause            (all sizes)
 *   npm run bench:target-pause -- 100000  (one size)
 *   npm run bench:target-pause -- 1000 5000 10000 20000  (the evidence dumps' range)
 *
 * The service (bench/target-pause-go) holds a lateness probe: a goroutine
 * that asks to wake every millisecond and records its worst lateness, read
 * and reset over HTTP. Every mode is measured in the same windows: wait the
 * attach interval, then take one snapshot; the probe's worst lateness over
 * the window is that snapshot's pause. "idle" is the same window with no
 * request at all: the noise floor of the machine. Printed: worst and median
 * pause per snapshot, and ratios to raw debug=1, all from one run; then
 * whether the leak planted in the service (20 goroutines/s) ranks first
 * with >= 70, and how many goroutines the last snapshot counted.
 *
 * Attach's snapshots are also shown apart: the first and the last (full
 * dumps within --evidence-pause when they do not fit the pause budget) and
 * those between them (counts only, past the budget).
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchCache, repoRoot } from './crowd.js';

const INTERVAL_S = 2;
const SNAPSHOTS = 6;
const cli = join(repoRoot, 'bin', 'leakscan.js');
const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);

interface Service {
  url: string;
  pid: number;
  child: ChildProcess;
}

function buildService(): string {
  mkdirSync(benchCache, { recursive: true });
  const binary = join(benchCache, 'targetpause');
  execFileSync('go', ['build', '-o', binary, '.'], {
    cwd: join(repoRoot, 'bench', 'target-pause-go'),
    env: { ...process.env, GOFLAGS: '-buildvcs=false' },
    stdio: 'inherit',
  });
  return binary;
}

async function startService(binary: string, n: number): Promise<Service> {
  const child = spawn(binary, ['-n', String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(line.replace(/^pprof /, '')));
    child.once('exit', (code) => reject(new Error(`the service exited with ${code}`)));
  });
  child.stdout!.resume();
  return { url, pid: child.pid!, child };
}

async function probeWorst(url: string): Promise<number> {
  const body = (await (await fetch(`${url}/probe`)).json()) as { worstMs: number };
  return body.worstMs;
}

async function resetProbe(url: string): Promise<void> {
  await (await fetch(`${url}/probe/reset`)).arrayBuffer();
}

/** Worst lateness per window: wait the interval, then run `action` (or nothing). */
async function rawWindows(url: string, count: number, action: (() => Promise<void>) | undefined): Promise<number[]> {
  const pauses: number[] = [];
  for (let i = 0; i < count; i++) {
    await resetProbe(url);
    await sleep(INTERVAL_S * 1000);
    if (action) await action();
    pauses.push(await probeWorst(url));
  }
  return pauses;
}

function fetchBody(url: string, path: string): () => Promise<void> {
  return async () => {
    await (await fetch(`${url}/debug/pprof/${path}`, { signal: AbortSignal.timeout(600_000) })).arrayBuffer();
  };
}

interface AttachRun {
  pauses: number[];
  top?: { key: string; score: number };
  lastTotal?: number;
  fullDumps: number;
  said: string[];
}

/** `leakscan attach <pid>` at its defaults but for count/interval; the probe is read at each snapshot line. */
async function attachWindows(service: Service): Promise<AttachRun> {
  const out = mkdtempSync(join(tmpdir(), 'leakscan-pause-'));
  await resetProbe(service.url);
  const child = spawn(
    process.execPath,
    [
      cli,
      'attach',
      String(service.pid),
      '--count',
      String(SNAPSHOTS),
      '--interval',
      String(INTERVAL_S),
      '--json',
      '--no-html',
      '--out',
      out,
      '--timeout',
      '600',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    },
  );
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const pauses: number[] = [];
  const said: string[] = [];
  let fullDumps = 0;
  const lines = createInterface({ input: child.stderr! });
  for await (const line of lines) {
    if (/^snapshot \d+\/\d+: /.test(line)) {
      pauses.push(await probeWorst(service.url));
      await resetProbe(service.url);
      if (!line.includes('(counts only)')) fullDumps++;
    } else if (/goroutines: /.test(line)) {
      said.push(line);
    }
  }
  const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));
  rmSync(out, { recursive: true, force: true });
  if (code !== 0 && code !== 1) throw new Error(`attach exited with ${code}`);
  const diff = JSON.parse(stdout) as { suspects: { key: string; score: number }[]; snapshots: { total: number }[] };
  const run: AttachRun = { pauses, fullDumps, said };
  if (diff.suspects[0]) run.top = { key: diff.suspects[0].key, score: diff.suspects[0].score };
  const last = diff.snapshots.at(-1)?.total;
  if (last !== undefined) run.lastTotal = last;
  return run;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const ms = (v: number) => `${v.toFixed(1)} ms`.padStart(10);
const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}x`.padStart(8);

const binary = buildService();
console.log(`per snapshot window: ${INTERVAL_S}s wait + one snapshot; worst lateness of a 1 ms ticker inside the service`);
for (const n of sizes.length > 0 ? sizes : [10_000, 100_000, 1_000_000]) {
  const service = await startService(binary, n);
  try {
    await sleep(1000);
    const idle = await rawWindows(service.url, 3, undefined);
    const debug1 = await rawWindows(service.url, 5, fetchBody(service.url, 'goroutine?debug=1'));
    const debug2 = await rawWindows(service.url, n >= 1_000_000 ? 1 : 3, fetchBody(service.url, 'goroutine?debug=2'));
    const attach = await attachWindows(service);
    const goroutines = Number((await (await fetch(`${service.url}/goroutines`)).text()).trim());
    const base = { worst: Math.max(...debug1), median: median(debug1) };
    console.log(`\n${n.toLocaleString('en-US')} parked goroutines (${goroutines.toLocaleString('en-US')} in all at the end)`);
    console.log(`  mode                    worst     median   worst/d1  median/d1  each window (ms)`);
    for (const [name, values] of [
      ['idle (no request)', idle],
      ['raw debug=1', debug1],
      ['raw debug=2', debug2],
      ['leakscan attach', attach.pauses],
      ['  first and last', [attach.pauses[0]!, attach.pauses.at(-1)!]],
      ['  between them', attach.pauses.slice(1, -1)],
    ] as const) {
      const worst = Math.max(...values);
      const mid = median(values);
      console.log(
        `  ${name.padEnd(20)}${ms(worst)} ${ms(mid)} ${ratio(worst, base.worst)} ${ratio(mid, base.median)}   ${values.map((v) => v.toFixed(0)).join(' ')}`,
      );
    }
    for (const line of attach.said) console.log(`  attach said: ${line}`);
    console.log(
      `  attach: ${attach.fullDumps} of ${attach.pauses.length} snapshots with a full dump; last snapshot counted ${attach.lastTotal?.toLocaleString('en-US')} goroutines`,
    );
    const planted = attach.top?.key.startsWith('main.(*orderClient).awaitReply') ?? false;
    console.log(
      `  planted leak ranks first with >= 70: ${planted && attach.top!.score >= 70 ? 'yes' : 'no'} (#1 ${attach.top?.key}, score ${attach.top?.score})`,
    );
  } finally {
    service.child.kill('SIGTERM');
    await new Promise((resolve) => service.child.once('exit', resolve));
  }
}
