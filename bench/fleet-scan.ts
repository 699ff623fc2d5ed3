/**
 * bench/fleet-scan: `leakscan scan` over 10, 25 and 50 Go instances on
 * loopback (fixtures/fleet/instance started 50 times; every fifth one
 * leaks), scraped by a real Prometheus every 2 s. For each fleet size: the
 * scan's wall time and leakscan's peak memory (max RSS), and their ratio to
 * the 10-instance run, from one run.
 *
 *   npm run bench:fleet
 *
 * Each scan pre-screens the selected instances over 5 minutes of history
 * and samples every one of them: 3 snapshots 1 s apart, 8 at a time (the
 * default --concurrency). Instances run at -rate=5 so fifty of them fit on
 * a small machine next to Prometheus.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './crowd.js';
import { startPrometheus } from '../test/helpers/prometheus.js';
import { startGoInstance } from '../test/helpers/fleet-fixtures.js';
import type { FleetProcess } from '../test/helpers/fleet-fixtures.js';

const cli = join(repoRoot, 'bin', 'leakscan.js');
const SIZES = [10, 25, 50];
const work = mkdtempSync(join(tmpdir(), 'leakscan-bench-fleet-'));
// Prints the process's peak RSS (KiB) on exit: no external tool needed.
const reportRss = `data:text/javascript,process.on('exit',()=>process.stderr.write('maxrss '+process.resourceUsage().maxRSS+'\\n'))`;

interface Run {
  size: number;
  seconds: number;
  maxRssMiB: number;
  sampled: number;
  leaking: number;
}

async function scan(prometheus: string, instances: FleetProcess[]): Promise<Run> {
  const selector = `{job="bench",instance=~"${instances.map((i) => i.address.replace(/\./g, '\\\\.')).join('|')}"}`;
  const out = join(work, `scan-${instances.length}`);
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      '--import',
      reportRss,
      cli,
      'scan',
      '--prometheus',
      prometheus,
      '--selector',
      selector,
      '--window',
      '5m',
      '--count',
      '3',
      '--interval',
      '1',
      '--out',
      out,
      '--json',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`scan of ${instances.length} exited with ${code}\n${stderr}`);
  const result = JSON.parse(stdout) as { instances: { status: string }[]; suspects: { leaking: number }[] };
  rmSync(out, { recursive: true, force: true });
  return {
    size: instances.length,
    seconds,
    maxRssMiB: Number(/maxrss (\d+)/.exec(stderr)![1]) / 1024,
    sampled: result.instances.filter((i) => i.status === 'sampled').length,
    leaking: result.suspects[0]?.leaking ?? 0,
  };
}

const instances: FleetProcess[] = [];
let prometheus: Awaited<ReturnType<typeof startPrometheus>> | undefined;
try {
  for (let i = 0; i < Math.max(...SIZES); i++) instances.push(await startGoInstance({ leak: i % 5 === 0, rate: 5 }));
  prometheus = await startPrometheus(join(work, 'prometheus'), [{ job: 'bench', targets: instances.map((i) => i.address) }], 2);
  console.log(`${instances.length} instances up; letting Prometheus record 20 s of history`);
  await new Promise((r) => setTimeout(r, 20_000));
  const runs: Run[] = [];
  for (const size of SIZES) {
    const run = await scan(prometheus.url, instances.slice(0, size));
    runs.push(run);
    console.log(
      `${String(size).padStart(3)} instances: scan ${run.seconds.toFixed(1)} s, peak RSS ${run.maxRssMiB.toFixed(0)} MiB (sampled ${run.sampled}, top site leaking on ${run.leaking})`,
    );
  }
  const base = runs[0]!;
  for (const run of runs.slice(1)) {
    console.log(
      `${run.size}/${base.size} instances (x${(run.size / base.size).toFixed(1)}): time x${(run.seconds / base.seconds).toFixed(2)}, peak memory x${(run.maxRssMiB / base.maxRssMiB).toFixed(2)}`,
    );
  }
} finally {
  await Promise.all(instances.map((i) => i.stop()));
  await prometheus?.stop();
  rmSync(work, { recursive: true, force: true });
}
