/**
 * bench/attach: time from running `leakscan attach <pid>` to the first
 * snapshot on disk, for a real Go service (fixtures/go/heartbeat) and for
 * fixtures/go/crowd with 10,000 goroutines. Goal: under one second.
 *
 *   npm run bench:attach
 *
 * Printed next to the time to start Node itself (`node -e 0`), measured in
 * the same run, since that part is not leakscan's. Median of 5 runs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { benchCache, repoRoot, startCrowd } from './crowd.js';

const cli = join(repoRoot, 'bin', 'leakscan.js');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timeToFirstSnapshot(pid: number): Promise<number> {
  const out = mkdtempSync(join(tmpdir(), 'leakscan-bench-'));
  const first = join(out, 'snapshot-1.json.gz');
  const started = performance.now();
  const child = spawn(process.execPath, [cli, 'attach', String(pid), '--count', '1', '--out', out], { stdio: 'ignore' });
  while (!existsSync(first)) {
    if (child.exitCode !== null) throw new Error(`attach exited with ${child.exitCode}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const elapsed = performance.now() - started;
  await new Promise((resolve) => child.once('exit', resolve));
  rmSync(out, { recursive: true, force: true });
  return elapsed;
}

async function startHeartbeat(): Promise<{ pid: number; stop: () => void }> {
  const binary = join(benchCache, 'heartbeat');
  execFileSync('go', ['build', '-o', binary, './heartbeat'], { cwd: join(repoRoot, 'fixtures', 'go'), stdio: 'inherit' });
  const child = spawn(binary, [], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  child.stdout!.resume();
  return { pid: child.pid!, stop: () => child.kill('SIGTERM') };
}

const nodeStart: number[] = [];
for (let i = 0; i < 5; i++) {
  const started = performance.now();
  execFileSync(process.execPath, ['-e', '0']);
  nodeStart.push(performance.now() - started);
}
console.log(`node -e 0 (Node start-up alone):          ${median(nodeStart).toFixed(0)} ms`);

const heartbeat = await startHeartbeat();
try {
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) runs.push(await timeToFirstSnapshot(heartbeat.pid));
  console.log(`attach -> first snapshot, heartbeat:       ${median(runs).toFixed(0)} ms (${(median(runs) / median(nodeStart)).toFixed(1)}x Node start-up)`);
} finally {
  heartbeat.stop();
}

const crowd = await startCrowd(10_000);
try {
  const pid = Number(execFileSync('pgrep', ['-n', '-f', join(benchCache, 'crowd')], { encoding: 'utf8' }).trim());
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) runs.push(await timeToFirstSnapshot(pid));
  console.log(`attach -> first snapshot, 10k goroutines:  ${median(runs).toFixed(0)} ms (${(median(runs) / median(nodeStart)).toFixed(1)}x Node start-up)`);
} finally {
  crowd.stop();
}
