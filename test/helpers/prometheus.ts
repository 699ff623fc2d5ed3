/**
 * A real Prometheus (Debian's package, /usr/bin/prometheus or the one on
 * PATH) started by a test with its own config: loopback only, a 1 s scrape
 * interval, storage in a temporary directory. The package's own service, if
 * any, plays no part.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { stopChild } from '../../src/targets/go/launch.js';

/** A scrape target that stands for the Prometheus being started (it scrapes itself). */
export const SELF = '{self}';

export interface ScrapeJob {
  job: string;
  /** host:port; SELF for this Prometheus's own address. */
  targets: string[];
  /** Labels added to every target of the job. */
  labels?: Record<string, string>;
}

export interface RunningPrometheus {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function prometheusBinary(): string {
  return existsSync('/usr/bin/prometheus') ? '/usr/bin/prometheus' : 'prometheus';
}

/** A port free on 127.0.0.1 right now (the kernel's pick, released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startPrometheus(dir: string, jobs: ScrapeJob[], scrapeSeconds = 1): Promise<RunningPrometheus> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const config = [
    'global:',
    `  scrape_interval: ${scrapeSeconds}s`,
    `  scrape_timeout: ${scrapeSeconds * 900}ms`,
    '  evaluation_interval: 1s',
    'scrape_configs:',
    ...jobs.flatMap((j) => [
      `  - job_name: ${JSON.stringify(j.job)}`,
      '    static_configs:',
      `      - targets: ${JSON.stringify(j.targets.map((t) => t.replace(SELF, `127.0.0.1:${port}`)))}`,
      ...(j.labels ? [`        labels: ${JSON.stringify(j.labels)}`] : []),
    ]),
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config + '\n');
  const child = spawn(
    prometheusBinary(),
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-8192)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}\n${stderr}`);
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`prometheus did not become ready\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, process: child, stop: () => stopChild(child) };
}

/** An instant query's result through the HTTP API, as a user would read it. */
export async function queryPrometheus(url: string, expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await response.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  if (body.status !== 'success') throw new Error(`query ${expr} failed: ${JSON.stringify(body)}`);
  return body.data.result;
}
