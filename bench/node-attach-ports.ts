/**
 * bench/node-attach-ports: time from `leakscan attach <pid> --count 1` to
 * the first snapshot on disk, for a Node service that listens on several
 * ports besides its inspector (fixtures/node/service-quirks.mjs with
 * FIXTURE_EXTRA_PORTS: ports whose protocol never answers an HTTP request,
 * as a database or broker port, and an admin HTTP port), and how many
 * requests reached those application ports. Median of 3 runs.
 *
 *   npx tsc -p . && node dist/bench/node-attach-ports.js [other-leakscan.js]
 *
 * With another build's bin/leakscan.js as argument, it is measured in the
 * same run, against the same service, and the ratio printed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './crowd.js';
import { resources, startNodeFixture, withInspectorPort } from '../test/helpers/node-fixtures.js';

const EXTRA_PORTS = 6;
const cli = join(repoRoot, 'bin', 'leakscan.js');
const other = process.argv[2];

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timeToFirstSnapshot(leakscan: string, pid: number): Promise<number> {
  const out = mkdtempSync(join(tmpdir(), 'leakscan-bench-'));
  const first = join(out, 'snapshot-1.json.gz');
  const started = performance.now();
  const child = spawn(process.execPath, [leakscan, 'attach', String(pid), '--count', '1', '--out', out, '--no-html'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  while (!existsSync(first)) {
    if (child.exitCode !== null) throw new Error(`attach exited with ${child.exitCode}: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const elapsed = performance.now() - started;
  await new Promise((resolve) => child.once('exit', resolve));
  rmSync(out, { recursive: true, force: true });
  // The inspector closes a moment after detach: the next run must open it again.
  const deadline = Date.now() + 5000;
  while ((await portOpen(9229)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  return elapsed;
}

async function measure(leakscan: string): Promise<{ ms: number; appRequests: number }> {
  return withInspectorPort(async () => {
    const service = await startNodeFixture('service-quirks', { env: { FIXTURE_EXTRA_PORTS: String(EXTRA_PORTS) } });
    try {
      const runs: number[] = [];
      for (let i = 0; i < 3; i++) runs.push(await timeToFirstSnapshot(leakscan, service.pid));
      const appRequests = ((await resources(service)).counters as { appPortRequests: number }).appPortRequests;
      return { ms: median(runs), appRequests };
    } finally {
      await service.stop();
    }
  });
}

const now = await measure(cli);
console.log(
  `attach -> first snapshot, Node service with ${EXTRA_PORTS + 2} ports: ${now.ms.toFixed(0)} ms; requests to its application ports: ${now.appRequests}`,
);
if (other !== undefined) {
  const then = await measure(other);
  console.log(`the same with ${other}: ${then.ms.toFixed(0)} ms; requests to its application ports: ${then.appRequests}`);
  console.log(`ratio: ${(then.ms / now.ms).toFixed(1)}x faster`);
}
