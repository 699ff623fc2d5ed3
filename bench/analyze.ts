/**
 * bench/analyze: the cost of analysing a series against the cost of parsing
 * it, on 10 debug=2 snapshots of 100,000 goroutines each fetched over HTTP
 * from fixtures/go/crowd.
 *
 *   npm run bench:analyze        (or: node dist/bench/analyze.js [snapshots] [goroutines])
 *
 * Prints both times, their ratio (the goal: analysis costs less than
 * parsing) and the peak RSS of the whole run. Best of 3 fresh processes.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { crowdSeries, mib, repoRoot } from './crowd.js';

const count = Number(process.argv[2] ?? 10);
const goroutines = Number(process.argv[3] ?? 100_000);
const files = await crowdSeries(goroutines, count);
const bytes = files.reduce((sum, f) => sum + statSync(f).size, 0);

interface Result { parseMs: number; analyzeMs: number; sites: number; peakRss: number }
const runs: Result[] = [];
for (let i = 0; i < 3; i++) {
  const out = execFileSync(process.execPath, ['--max-old-space-size=8192', join(repoRoot, 'dist', 'bench', 'analyze-worker.js'), ...files], { encoding: 'utf8' });
  runs.push(JSON.parse(out) as Result);
}
const best = runs.reduce((a, b) => (b.parseMs + b.analyzeMs < a.parseMs + a.analyzeMs ? b : a));
console.log(`input: ${count} debug=2 snapshots x ${goroutines.toLocaleString('en-US')} goroutines, ${mib(bytes)} in all, ${best.sites} sites`);
console.log(`parse:   ${best.parseMs.toFixed(0)} ms`);
console.log(`analyse: ${best.analyzeMs.toFixed(0)} ms`);
console.log(`ratio analyse / parse: ${(best.analyzeMs / best.parseMs).toFixed(2)} (goal: below 1)`);
console.log(`peak RSS: ${mib(Math.max(...runs.map((r) => r.peakRss)))}`);
