/**
 * Healthy controls nobody here wrote. leakscan's rules must hold for real
 * programs, not only for the fixtures they were written beside. Prometheus
 * (Debian's package, a test dependency already) is a real Go server with
 * net/http/pprof on its web port and dozens of long-lived goroutines by
 * design: managers parked in select, scrape loops, a notifier, HTTP
 * keep-alive connections of its own scrapes, and per-query goroutines.
 * Under query load, `check` with its defaults must pass it, and no site may
 * come near a suspect's score.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tempDir } from './helpers/tmp.js';
import { runCli } from './helpers/cli.js';
import { SELF, startPrometheus } from './helpers/prometheus.js';
import type { RunningPrometheus } from './helpers/prometheus.js';

const dir = tempDir('leakscan-real-');
let prometheus: RunningPrometheus | undefined;

after(async () => {
  await prometheus?.stop();
});

interface CheckJson {
  passed: boolean;
  sites: { key: string; score: number; explanation: string }[];
}

/** Instant and range queries, a few at a time, until stopped: what dashboards do to a Prometheus. */
function queryLoad(url: string): { stop(): Promise<number> } {
  let running = true;
  let answered = 0;
  const worker = async () => {
    while (running) {
      const end = Math.floor(Date.now() / 1000);
      for (const path of [
        '/api/v1/query?query=up',
        `/api/v1/query_range?query=${encodeURIComponent('rate(prometheus_http_requests_total[10s])')}&start=${end - 60}&end=${end}&step=1`,
        '/api/v1/label/__name__/values',
      ]) {
        try {
          const response = await fetch(url + path, { signal: AbortSignal.timeout(5000) });
          await response.arrayBuffer();
          if (response.ok) answered++;
        } catch {
          // A slow answer under a loaded machine: the next query goes on.
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const workers = [worker(), worker(), worker()];
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      return answered;
    },
  };
}

test('Prometheus under query load, a real Go server: check passes with its defaults and no site scores 30', { timeout: 240_000 }, async () => {
  // It scrapes itself, so its own client connections and scrape loop run too.
  prometheus = await startPrometheus(join(dir, 'prometheus'), [{ job: 'self', targets: [SELF] }]);
  const load = queryLoad(prometheus.url);
  let result;
  try {
    result = await runCli(['check', '--url', prometheus.url, '--format', 'json', '--out', join(dir, 'snapshots')], { timeoutMs: 180_000 });
  } finally {
    assert.ok((await load.stop()) > 0, 'the queries were answered while leakscan watched');
  }
  assert.equal(result.code, 0, result.stderr);
  const check = JSON.parse(result.stdout) as CheckJson;
  assert.equal(check.passed, true);
  assert.deepEqual(
    check.sites.filter((s) => s.score >= 30).map((s) => `${s.key}: ${s.score} ${s.explanation}`),
    [],
  );
});
