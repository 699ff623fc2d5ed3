/**
 * bench/startup: how long leakscan takes to start, next to a bare Node
 * process, in one run: `node -e 0`, `leakscan --version` (loads the CLI and
 * nothing else) and `leakscan show` of a small real dump. Each is run 15
 * times in turns; the best and the median are printed, and the CLI's cost
 * as a difference from bare Node.
 *
 *   npm run bench:startup     (or: node dist/bench/startup.js [another build's bin/leakscan.js])
 *
 * NODE_EXTRA_CA_CERTS is left out of the children's environment: when set,
 * Node reads the whole CA bundle at every start (about 200 ms on the
 * project's machines), which is not leakscan's cost.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './crowd.js';

const cli = process.argv[2] ?? join(repoRoot, 'bin', 'leakscan.js');
const dump = join(repoRoot, 'fixtures', 'dumps', 'go1.26.8-debug2.txt');
const cases: [string, string[]][] = [
  ['node -e 0', ['-e', '0']],
  ['leakscan --version', [cli, '--version']],
  ['leakscan show <small dump>', [cli, 'show', dump]],
];
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

const times = new Map<string, number[]>(cases.map(([name]) => [name, []]));
for (let round = 0; round < 15; round++) {
  for (const [name, args] of cases) {
    const started = performance.now();
    execFileSync(process.execPath, args, { env, stdio: 'ignore' });
    times.get(name)!.push(performance.now() - started);
  }
}
const bare = Math.min(...times.get('node -e 0')!);
for (const [name, runs] of times) {
  const sorted = runs.sort((a, b) => a - b);
  const best = sorted[0]!;
  const median = sorted[sorted.length >> 1]!;
  console.log(
    `${name.padEnd(28)} best ${best.toFixed(0).padStart(4)} ms   median ${median.toFixed(0).padStart(4)} ms   over bare Node ${(best - bare).toFixed(0).padStart(4)} ms`,
  );
}
