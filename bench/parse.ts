/**
 * bench/parse: debug=2 parse throughput and peak memory on a real dump of
 * 100,000 goroutines (fixtures/go/crowd, >= 50 MiB).
 *
 *   npm run bench:parse            (or: node dist/bench/parse.js [goroutines])
 *
 * Prints MB/s, and peak RSS as a multiple of the input size, measured in
 * one run next to a baseline on the same bytes: the time to read the file
 * and find every newline, which no parser can beat. Best of 3 runs each,
 * every run in a fresh process.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { crowdDump, mib, repoRoot } from './crowd.js';

const goroutines = Number(process.argv[2] ?? 100_000);
const file = await crowdDump(goroutines);
const size = statSync(file).size;

interface WorkerResult {
  ms: number;
  tasks: number;
  stacks: number;
  frames: number;
  baselineRss: number;
  peakRss: number;
}
const runs: WorkerResult[] = [];
for (let i = 0; i < 3; i++) {
  const out = execFileSync(process.execPath, [join(repoRoot, 'dist', 'bench', 'parse-worker.js'), file], { encoding: 'utf8' });
  runs.push(JSON.parse(out) as WorkerResult);
}
const best = runs.reduce((a, b) => (b.ms < a.ms ? b : a));
const peak = Math.max(...runs.map((r) => r.peakRss));

// Baseline: read the whole file and count its lines with a native scan.
let baselineMs = Infinity;
for (let i = 0; i < 3; i++) {
  const started = performance.now();
  const bytes = readFileSync(file);
  let lines = 0;
  for (let at = bytes.indexOf(10); at >= 0; at = bytes.indexOf(10, at + 1)) lines++;
  baselineMs = Math.min(baselineMs, performance.now() - started);
  if (lines === 0) throw new Error('empty dump');
}

const mbps = (ms: number) => size / 1e6 / (ms / 1000);
console.log(`input: ${file}`);
console.log(`       ${mib(size)}, ${best.tasks.toLocaleString('en-US')} goroutines, ${best.stacks} distinct stacks, ${best.frames} distinct frames`);
console.log(`parse (debug=2, streamed from disk, interned): ${best.ms.toFixed(0)} ms = ${mbps(best.ms).toFixed(0)} MB/s (best of 3)`);
console.log(`baseline (read file + find every newline):     ${baselineMs.toFixed(0)} ms = ${mbps(baselineMs).toFixed(0)} MB/s`);
console.log(`ratio parse / baseline time: ${(best.ms / baselineMs).toFixed(1)}x`);
console.log(`peak RSS: ${mib(peak)} = ${(peak / size).toFixed(2)}x the input (process baseline ${mib(best.baselineRss)})`);
