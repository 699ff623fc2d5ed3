/**
 * Benchmark inputs made by a real Go program: fixtures/go/crowd parks N
 * goroutines in 25 realistic sites and writes or serves their dump. Dumps
 * are cached under .cache/bench (they are large and deterministic enough).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const benchCache = join(repoRoot, '.cache', 'bench');

function crowdBinary(): string {
  const binary = join(benchCache, 'crowd');
  mkdirSync(benchCache, { recursive: true });
  execFileSync('go', ['build', '-o', binary, './crowd'], { cwd: join(repoRoot, 'fixtures', 'go'), stdio: 'inherit' });
  return binary;
}

/** Starts crowd with N goroutines; resolves once all are parked and pprof is up. */
export async function startCrowd(n: number, extraArgs: string[] = []): Promise<{ url: string; stop: () => void }> {
  const child = spawn(crowdBinary(), ['-n', String(n), ...extraArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(line.replace(/^pprof /, '')));
    child.once('exit', (code) => reject(new Error(`crowd exited with ${code}`)));
  });
  child.stdout!.resume();
  return { url, stop: () => child.kill('SIGTERM') };
}

/** A complete runtime.Stack dump of N goroutines (never cut at 64 MiB), cached. */
export async function crowdDump(n: number): Promise<string> {
  const file = join(benchCache, `crowd-${n}.txt`);
  if (!existsSync(file) || statSync(file).size === 0) {
    process.stderr.write(`making a dump of ${n} goroutines with fixtures/go/crowd...\n`);
    const crowd = await startCrowd(n, ['-dump', file]);
    crowd.stop();
  }
  return file;
}

/** `count` debug=2 dumps of one crowd process, fetched over HTTP like attach does, cached. */
export async function crowdSeries(n: number, count: number): Promise<string[]> {
  const files = Array.from({ length: count }, (_, i) => join(benchCache, `series-${n}-${i + 1}.txt`));
  if (files.every((f) => existsSync(f))) return files;
  process.stderr.write(`fetching ${count} dumps of ${n} goroutines from fixtures/go/crowd...\n`);
  const crowd = await startCrowd(n);
  try {
    for (const file of files) {
      const response = await fetch(`${crowd.url}/debug/pprof/goroutine?debug=2`);
      writeFileSync(file, Buffer.from(await response.arrayBuffer()));
    }
  } finally {
    crowd.stop();
  }
  return files;
}

export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
