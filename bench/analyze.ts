/**
 * bench/analyze: the cost of analysing a series against the cost of parsing
 * it, on 10 debug=2 snapshots of 100,000 goroutines each fetched over HTTP
 * from fixtures/go/crowd.
 *
 *   npm run bench:analyze        (or: node dist/bench/analyze.js [snapshots] [goroutines] [--reuse])
 *
 * --reuse feeds one dump (crowd's runtime.Stack file) as every snapshot, for
 * long series (100 x 100k) where fetching and storing a hundred 57 MiB dumps
 * is not worth it: what it measures is that memory stays bounded while the
 * series is streamed, which does not depend on the dumps differing.
 *
 * Prints both times, their ratio (the goal: analysis costs less than
 * parsing) and the peak RSS of the whole run. Best of 3 fresh processes.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { crowdDump, crowdSeries, mib, repoRoot } from './crowd.js';

const reuse = process.argv.includes('--reuse');
const [countArg, goroutinesArg] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const count = Number(countArg ?? 10);
const goroutines = Number(goroutinesArg ?? 100_000);
const files = reuse ? Array.from({ length: count }, () => '').fill(await crowdDump(goroutines)) : await crowdSeries(goroutines, count);
const bytes = files.reduce((sum, f) => sum + statSync(f).size, 0);

interface Result {
  parseMs: number;
  analyzeMs: number;
  sites: number;
  peakRss: number;
}
const runs: Result[] = [];
for (let i = 0; i < (count > 20 ? 1 : 3); i++) {
  const out = execFileSync(process.execPath, ['--max-old-space-size=8192', join(repoRoot, 'dist', 'bench', 'analyze-worker.js'), ...files], {
    encoding: 'utf8',
  });
  runs.push(JSON.parse(out) as Result);
}
const best = runs.reduce((a, b) => (b.parseMs + b.analyzeMs < a.parseMs + a.analyzeMs ? b : a));
console.log(
  `input: ${count} debug=2 snapshots x ${goroutines.toLocaleString('en-US')} goroutines, ${mib(bytes)} in all, ${best.sites} sites${reuse ? ' (one dump, fed as every snapshot)' : ''}`,
);
console.log(`parse:   ${best.parseMs.toFixed(0)} ms`);
console.log(`analyse: ${best.analyzeMs.toFixed(0)} ms`);
console.log(`ratio analyse / parse: ${(best.analyzeMs / best.parseMs).toFixed(2)} (goal: below 1)`);
console.log(`peak RSS: ${mib(Math.max(...runs.map((r) => r.peakRss)))}`);
