/** `leakscan scan --json`: schema leakscan.scan, version 1 (docs/json-schema.md). */
import type { ScanResult } from '../fleet/scan.js';

export const SCAN_SCHEMA = 'leakscan.scan';

export function fleetJson(result: ScanResult, options: { top: number }) {
  const p = result.prescreen;
  return {
    schema: SCAN_SCHEMA,
    version: 1,
    source: {
      prometheus: result.source.prometheus ?? null,
      targets: result.source.targetsFile ?? null,
      job: result.source.filter.job ?? null,
      selector: result.source.filter.selector ?? null,
      windowSeconds: result.source.windowSeconds,
    },
    startedAt: new Date(result.startedAt).toISOString(),
    durationMs: result.durationMs,
    prescreen:
      p === undefined
        ? null
        : {
            start: p.window.start,
            end: p.window.end,
            step: p.window.step,
            jobs: p.jobs,
            instances: p.instances.map((h) => ({
              job: h.job,
              instance: h.instance,
              runtime: h.runtime,
              metric: h.metric,
              now: h.now,
              growth: h.growth,
              perHour: h.perHour,
              restarts: h.restarts,
              growing: h.growing,
              growingSince: h.growingSince ?? null,
              segments: h.segments.map((s) => ({
                startTime: s.startTime ?? null,
                from: s.from,
                to: s.to,
                first: s.first,
                last: s.last,
                growth: Math.round(s.growth * 10) / 10,
              })),
              chart: h.chart,
            })),
          },
    instances: [
      ...result.samples.map((s) => ({
        job: s.instance.job,
        instance: s.instance.instance,
        labels: s.instance.labels,
        pprof: s.pprofUrl,
        status: s.status,
        error: s.error ?? null,
        snapshots: s.snapshots,
        directory: s.dir,
        total: s.total ?? null,
      })),
      ...result.skipped.map((s) => ({
        job: s.instance.job,
        instance: s.instance.instance,
        labels: s.instance.labels,
        pprof: null,
        status: s.reason === 'node' ? 'prescreen-only' : s.reason === 'down' ? 'down' : 'not-sampled',
        error: s.detail,
        snapshots: 0,
        directory: null,
        total: null,
      })),
    ],
    sampling: { count: result.plan.count, intervalSeconds: result.plan.intervalSeconds, concurrency: result.plan.concurrency, outDir: result.plan.outDir },
    suspects: result.suspects.slice(0, options.top).map((s) => ({
      key: s.key,
      score: s.score,
      confirmed: s.confirmed,
      leaking: s.leaking,
      seenOn: s.seenOn,
      sampled: s.sampled,
      explanation: s.explanation,
      anchor: s.suspect.site.anchor ?? null,
      instances: s.instances.map((i) => ({
        job: i.job,
        instance: i.instance,
        score: i.score,
        confirmed: i.confirmed,
        first: i.first,
        last: i.last,
        perMinute: i.perMinute,
        prometheus: i.history ?? null,
      })),
    })),
  };
}
