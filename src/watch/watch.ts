/**
 * `leakscan watch`: a long-running, cheap sampler of one Go target that
 * serves per-site gauges for Prometheus to scrape.
 *
 * Each interval it reads /debug/pprof/goroutine?debug=1 (counts per distinct
 * stack: the runtime's goroutine profile, much lighter for the target than a
 * full debug=2 dump, which stops the world for the whole traceback), keeps
 * the last --window snapshots in memory, and scores the sites over that
 * window and over the whole watch (see LifetimeSample): a leak that has run
 * for a day holds thousands of goroutines, so the few it adds within a
 * five-minute window are small next to what it holds and the window's score
 * fades, while over the watch's life it keeps rising. A site's score is the
 * higher of the two; its growth gauge is the window's (the current rate). When a site's score crosses --threshold, the window and one full
 * dump are saved as an evidence set (evidence.ts); a site must fall back
 * under the threshold before it can trigger again. Memory is the window;
 * disk is at most --keep sets of window + 1 snapshots.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { Analyzer } from '../analysis/analyze.js';
import type { Analysis, AnalysisOptions } from '../analysis/analyze.js';
import type { Suspect } from '../analysis/score.js';
import { diffJson } from '../report/diff-json.js';
import type { Snapshot } from '../model/format.js';
import { snapshotFromPprof, pprofBase } from '../targets/go/pprof-client.js';
import { GoTarget, TargetExitedError } from '../targets/go/target.js';
import { taskTotal } from '../model/builder.js';
import { InputError, LeakscanError, OutputError } from '../util/errors.js';
import { EvidenceStore } from './evidence.js';
import { WatchMetrics } from './metrics.js';
import type { ListenAddress } from './listen-address.js';
import { setTimeout } from 'node:timers/promises';
import { plural } from '../report/format.js';

export interface WatchOptions {
  /** The target's pprof endpoint (any form pprofBase reads). */
  url: string;
  pid?: number;
  listen: ListenAddress;
  intervalSeconds: number;
  window: number;
  threshold: number;
  keep: number;
  maxSites: number;
  timeoutSeconds: number;
  outDir: string;
  analysis: AnalysisOptions;
  say: (line: string) => void;
  /** Resolves the watch's end (SIGTERM, SIGINT). */
  signal: AbortSignal;
}

export async function watchTarget(options: WatchOptions): Promise<number> {
  const { say } = options;
  const base = pprofBase(options.url);
  const countsUrl = new URL('goroutine?debug=1', base).href;
  const metrics = new WatchMetrics(options.maxSites);
  const evidence = new EvidenceStore(options.outDir, options.keep);
  const server = await serveMetrics(options.listen, metrics);
  const address = server.address();
  const where =
    typeof address === 'object' && address !== null ? `${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}` : '';
  say(`watching ${base.href} every ${options.intervalSeconds}s; metrics on http://${where}/metrics; evidence sets go to ${options.outDir}`);

  // Counts only, with no end: no turn, so no evidence dumps (a crossing takes its own full dump).
  const target = new GoTarget(countsUrl, {
    ...(options.pid !== undefined ? { pid: options.pid } : {}),
    timeoutMs: options.timeoutSeconds * 1000,
    leakProfile: false,
    labels: false,
    // A sidecar outlives restarts of the service next to it: it keeps trying.
    maxConsecutiveFailures: Number.POSITIVE_INFINITY,
    retryDelayMs: 500,
    onSkip: (message) => {
      metrics.failed();
      say(message);
    },
  });

  const window: Snapshot[] = [];
  const lifetime = new LifetimeSample(options.window);
  // Sites at or above the threshold in the previous cycle: they trigger again only after falling under it.
  let over = new Set<string>();
  let exitCode = 0;
  try {
    while (!options.signal.aborted) {
      const started = Date.now();
      let snapshot: Snapshot | null = null;
      try {
        snapshot = await target.snapshot();
      } catch (error) {
        if (error instanceof TargetExitedError) {
          say(`leakscan: ${error.message}; watch ends`);
          exitCode = error.exitCode;
          break;
        }
        throw error;
      }
      if (snapshot !== null) {
        window.push(snapshot);
        if (window.length > options.window) window.shift();
        lifetime.add(snapshot);
        const analysis = analyzeAll(window, options.analysis);
        const suspects = higherScores(analysis.suspects, analyzeAll(lifetime.snapshots(snapshot), options.analysis).suspects);
        analysis.suspects = suspects;
        metrics.update({ suspects, total: taskTotal(snapshot), takenAt: snapshot.takenAt });
        const above = analysis.suspects.filter((s) => s.score >= options.threshold);
        const crossed = above.filter((s) => !over.has(s.key));
        over = new Set(above.map((s) => s.key));
        if (crossed.length > 0) {
          const names = crossed.map((s) => `${s.site.anchor?.fn ?? s.key} (score ${s.score})`).join(', ');
          try {
            const full = await fullDump(base, options).catch((error: unknown) => {
              if (error instanceof LeakscanError) say(`full dump not taken: ${error.message}`);
              else throw error;
              return undefined;
            });
            const set = await evidence.save(window, full, diffJson(analysis, { top: 20, minScore: 0 }));
            metrics.evidenceSaved();
            say(`${names} crossed ${options.threshold}: ${plural(window.length, 'snapshot')}${full ? ' and a full dump' : ''} saved in ${set.dir}`);
          } catch (error) {
            // A full disk must not end the watch: the gauges are still worth serving.
            if (error instanceof OutputError) say(`leakscan: evidence not saved: ${error.message}`);
            else throw error;
          }
        }
      }
      await sleep(Math.max(0, options.intervalSeconds * 1000 - (Date.now() - started)), options.signal);
    }
  } finally {
    await target.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
  }
  if (exitCode === 0) say('watch stopped');
  return exitCode;
}

function analyzeAll(snapshots: readonly Snapshot[], options: AnalysisOptions): Analysis {
  const analyzer = new Analyzer(options);
  snapshots.forEach((s, i) => analyzer.add(s, `snapshot ${i + 1}`));
  return analyzer.finish();
}

/** Each site as scored by the window, with the lifetime's score when that is higher; order by the result. */
function higherScores(window: Suspect[], lifetime: Suspect[]): Suspect[] {
  const long = new Map(lifetime.map((s) => [s.key, s]));
  const merged = window.map((s) => {
    const l = long.get(s.key);
    return l !== undefined && l.score > s.score ? { ...s, score: l.score, explanation: `${l.explanation} (since the watch began)` } : s;
  });
  return merged.sort((a, b) => b.score - a.score || (a.key < b.key ? -1 : 1));
}

/**
 * At most `size` snapshots spread over the whole watch: every snapshot is
 * kept until the sample is full, then every other one is dropped and only
 * every second (then fourth, ...) new snapshot is kept. The first snapshot
 * always stays, so growth is measured from the watch's start, in bounded
 * memory however long it runs.
 */
export class LifetimeSample {
  private readonly kept: Snapshot[] = [];
  private stride = 1;
  private seen = 0;

  constructor(private readonly size: number) {}

  add(snapshot: Snapshot): void {
    if (this.seen++ % this.stride !== 0) return;
    this.kept.push(snapshot);
    if (this.kept.length > this.size) {
      const halved = this.kept.filter((_, i) => i % 2 === 0);
      this.kept.length = 0;
      this.kept.push(...halved);
      this.stride *= 2;
    }
  }

  /** The kept snapshots, ending with `latest` (which may fall between kept ones). */
  snapshots(latest: Snapshot): Snapshot[] {
    return this.kept[this.kept.length - 1] === latest ? [...this.kept] : [...this.kept, latest];
  }
}

async function fullDump(base: URL, options: WatchOptions): Promise<Snapshot> {
  const snapshot = await snapshotFromPprof(base.href, { timeoutMs: options.timeoutSeconds * 1000, leakProfile: true, labels: true });
  if (options.pid !== undefined) snapshot.source.pid = options.pid;
  return snapshot;
}

function serveMetrics(listen: ListenAddress, metrics: WatchMetrics): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('leakscan watch serves /metrics\n');
      return;
    }
    metrics.text().then(
      ({ body, contentType }) => response.writeHead(200, { 'content-type': contentType }).end(request.method === 'HEAD' ? undefined : body),
      () => response.writeHead(500).end(),
    );
  });
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new InputError(`cannot listen on ${listen.host}:${listen.port}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : (error.code ?? error.message)}`),
      );
    });
    server.listen(listen.port, listen.host, () => resolve(server));
  });
}

/** Waits `ms`, or less when the watch is stopped. */
async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await setTimeout(ms, undefined, { signal }).catch(() => undefined);
}
