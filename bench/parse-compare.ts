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
 * script (bench/parse-compare-go holds only the small harness). Best of 3
 * fresh processes each; panicparse once at 1M, with a time limit.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { benchCache, crowdDump, mib, repoRoot } from './crowd.js';

interface Run { ms: number; peakRss: number; goroutines: number }
const sizes = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [10_000, 100_000, 1_000_000];
const harness = join(benchCache, 'parsecompare');
execFileSync('go', ['build', '-o', harness, '.'], { cwd: join(repoRoot, 'bench', 'parse-compare-go'), stdio: 'inherit' });

function leakscan(file: string): Run {
  const out = execFileSync(process.execPath, ['--max-old-space-size=16384', join(repoRoot, 'dist', 'bench', 'parse-worker.js'), file, '--group'], { encoding: 'utf8' });
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

function best(runs: (Run | undefined)[]): Run | undefined {
  return runs.filter((r): r is Run => r !== undefined).reduce<Run | undefined>((a, b) => (a === undefined || b.ms < a.ms ? b : a), undefined);
}

console.log('goroutines  dump        parser          time        MB/s   peak RSS   (x input)   time vs leakscan');
for (const n of sizes) {
  const file = await crowdDump(n);
  const size = statSync(file).size;
  const rounds = n >= 1_000_000 ? 1 : 3;
  const results: [string, Run | undefined][] = [
    ['leakscan', best(Array.from({ length: rounds }, () => leakscan(file)))],
    ['gostackparse', best(Array.from({ length: rounds }, () => goParser('gostackparse', file, 600_000)))],
    ['panicparse', best(Array.from({ length: n >= 1_000_000 ? 1 : rounds }, () => goParser('panicparse', file, 600_000)))],
  ];
  const base = results[0]![1]!;
  for (const [name, run] of results) {
    const cells = run
      ? [`${run.ms.toFixed(0)} ms`.padStart(10), (size / 1e6 / (run.ms / 1000)).toFixed(0).padStart(6), mib(run.peakRss).padStart(10), `${(run.peakRss / size).toFixed(2)}x`.padStart(9), `${(run.ms / base.ms).toFixed(2)}x`.padStart(12)]
      : ['did not finish in 600 s'];
    console.log(`${n.toLocaleString('en-US').padStart(10)}  ${mib(size).padStart(10)}  ${name.padEnd(14)}${cells.join('  ')}`);
  }
}
