/**
 * bench/parse-compare: leakscan's debug=2 parser against the Go parsers
 * people use today, in one run, on the same dumps of fixtures/go/crowd
 * (10k, 100k and 1M goroutines; runtime.Stack output, never cut at 64 MiB).
 *
 *   npm run bench:parse-compare      (or: node dist/bench/parse-compare.js 10000 100000)
 *
 * - leakscan: parse and group by site (what `leakscan show` does)
 * - DataDog/gostackparse: parse only
 * - maruel/panicparse v2: parse, then group (Snapshot.Aggregate)
 * The Go parsers are fetched through the Go module proxy and built by this
 * script (bench/parse-compare-go holds only the small harness). Each
 * measurement is a fresh process; the table shows medians (9 runs, 3 at 1M,
 * leakscan and gostackparse in turns; panicparse 3, once at 1M, with a time
 * limit).
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { benchCache, crowdDump, mib, repoRoot } from './crowd.js';

interface Run {
  ms: number;
  peakRss: number;
  goroutines: number;
}
const sizes = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [10_000, 100_000, 1_000_000];
const harness = join(benchCache, 'parsecompare');
execFileSync('go', ['build', '-o', harness, '.'], { cwd: join(repoRoot, 'bench', 'parse-compare-go'), stdio: 'inherit' });

function leakscan(file: string): Run {
  const out = execFileSync(process.execPath, ['--max-old-space-size=16384', join(repoRoot, 'dist', 'bench', 'parse-worker.js'), file, '--group'], {
    encoding: 'utf8',
  });
  const r = JSON.parse(out) as { ms: number; peakRss: number; tasks: number };
  return { ms: r.ms, peakRss: r.peakRss, goroutines: r.tasks };
}

function goParser(parser: string, file: string, timeoutMs: number): Run | undefined {
  try {
    const out = execFileSync(harness, ['-parser', parser, file], { encoding: 'utf8', timeout: timeoutMs });
    return JSON.parse(out) as Run;
  } catch {
    return undefined;
  }
}

function median(runs: Run[]): Run {
  const sorted = [...runs].sort((a, b) => a.ms - b.ms);
  return sorted[sorted.length >> 1]!;
}

/**
 * leakscan and gostackparse run in turns, so both meet the same moments of
 * a shared, noisy machine; each pair says which was faster. panicparse is
 * far slower and runs after them (once at 1M, with a time limit).
 */
function measure(file: string, n: number): { rows: [string, Run | undefined][]; pairs: number; won: number } {
  const pairs = n >= 1_000_000 ? 3 : 9;
  const ours: Run[] = [];
  const theirs: Run[] = [];
  let won = 0;
  for (let i = 0; i < pairs; i++) {
    const a = leakscan(file);
    const b = goParser('gostackparse', file, 600_000);
    ours.push(a);
    if (b) {
      theirs.push(b);
      if (a.ms < b.ms) won++;
    }
  }
  const panic = Array.from({ length: n >= 1_000_000 ? 1 : 3 }, () => goParser('panicparse', file, 600_000)).filter((r): r is Run => r !== undefined);
  return {
    rows: [
      ['leakscan', median(ours)],
      ['gostackparse', theirs.length > 0 ? median(theirs) : undefined],
      ['panicparse', panic.length > 0 ? median(panic) : undefined],
    ],
    pairs,
    won,
  };
}

console.log('goroutines  dump        parser          median      MB/s   peak RSS   (x input)   time vs leakscan');
for (const n of sizes) {
  const file = await crowdDump(n);
  const size = statSync(file).size;
  const { rows, pairs, won } = measure(file, n);
  const base = rows[0]![1]!;
  for (const [name, run] of rows) {
    const cells = run
      ? [
          `${run.ms.toFixed(0)} ms`.padStart(10),
          (size / 1e6 / (run.ms / 1000)).toFixed(0).padStart(6),
          mib(run.peakRss).padStart(10),
          `${(run.peakRss / size).toFixed(2)}x`.padStart(9),
          `${(run.ms / base.ms).toFixed(2)}x`.padStart(12),
        ]
      : ['did not finish in 600 s'];
    console.log(`${n.toLocaleString('en-US').padStart(10)}  ${mib(size).padStart(10)}  ${name.padEnd(14)}${cells.join('  ')}`);
  }
  console.log(`${''.padStart(10)}  leakscan was faster than gostackparse in ${won} of ${pairs} runs taken in turns`);
}
