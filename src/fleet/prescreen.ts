/**
 * Pre-screen from history: what Prometheus already recorded about each
 * instance's task count, with no request to any instance.
 *
 * The task count is go_goroutines (client_golang) for Go, and
 * nodejs_active_handles_total + nodejs_active_requests_total (prom-client)
 * for Node. A restart resets the count, so the series is cut into segments
 * wherever process_start_time_seconds changes, and growth is measured within
 * each segment and added up: an instance that leaked 300 goroutines, was
 * restarted, and leaked 200 more grew 500, not -100.
 *
 * Within a segment growth is the least-squares slope times the segment's
 * length (robust to a single spike at either end). An instance counts as
 * growing when its growth stands out from its own noise (more than three
 * times the spread of its samples around the fitted lines: a healthy
 * service's count wanders around a level, a leak climbs away from it), is
 * more than a handful of tasks (6: where the score's absolute growth term,
 * 1 - e^(-net/8), passes one half) and is at least 5% of the level it
 * started from (a pool of 1,000 that gained 20 over a window is load, not a
 * leak). A service warming up (pools and connections filling after a
 * start) steps up once and stays: a few tasks, not growth.
 */
import { instanceKey } from './instances.js';
import type { FleetInstance, InstanceFilter } from './instances.js';
import type { PrometheusApi, Sample, Series } from './prometheus-api.js';

export type FleetRuntime = 'go' | 'node' | 'unknown';

export interface Segment {
  /** process_start_time_seconds of this segment, when known. */
  startTime?: number;
  from: number;
  to: number;
  first: number;
  last: number;
  /** Fitted growth over the segment, in tasks. */
  growth: number;
}

export interface InstanceHistory {
  job: string;
  instance: string;
  runtime: FleetRuntime;
  /** The metric(s) the count came from. */
  metric: string;
  samples: number;
  /** The latest count. */
  now: number;
  segments: Segment[];
  restarts: number;
  /** Growth added over the segments, in tasks. */
  growth: number;
  /** growth per hour of covered time. */
  perHour: number;
  growing: boolean;
  /** Start of the first segment that grew, when the instance grows. */
  growingSince?: number;
  /** The series, thinned to at most 120 points, for charts. */
  chart: [number, number][];
}

export interface JobHistory {
  job: string;
  instances: number;
  growing: number;
  medianPerHour: number;
  maxPerHour: number;
}

export interface Prescreen {
  window: { start: number; end: number; step: number };
  instances: InstanceHistory[];
  jobs: JobHistory[];
}

const GO_METRIC = 'go_goroutines';
/** Tasks: below this, growth is a handful of connections or workers, not a leak. */
const MIN_GROWTH = 6;
/** Share of the starting level. */
const MIN_RELATIVE_GROWTH = 0.05;
const NODE_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total'];

/** Seconds from "90s", "30m", "6h", "2d", "1w" (or a bare number of seconds). */
export function parseWindow(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(s|m|h|d|w)?$/.exec(text.trim());
  if (!match) return undefined;
  const n = Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[(match[2] ?? 's') as 's'];
  return n > 0 ? n : undefined;
}

/** A step that keeps each series under ~720 points (Prometheus refuses more than 11,000). */
export function stepFor(windowSeconds: number): number {
  return Math.max(1, Math.ceil(windowSeconds / 720));
}

export async function prescreen(api: PrometheusApi, filter: InstanceFilter, windowSeconds: number, now = Date.now() / 1000): Promise<Prescreen> {
  const end = Math.floor(now);
  const start = end - Math.round(windowSeconds);
  const step = stepFor(windowSeconds);
  const inner = innerMatchers(filter);
  const withName = (name: string) => `{__name__=${JSON.stringify(name)}${inner ? `,${inner}` : ''}}`;
  const nodeNames = `{__name__=~${JSON.stringify(NODE_METRICS.join('|'))}${inner ? `,${inner}` : ''}}`;
  const [go, node, starts] = await Promise.all([
    api.queryRange(`max by (job, instance) (${withName(GO_METRIC)})`, start, end, step),
    api.queryRange(`sum by (job, instance) (${nodeNames})`, start, end, step),
    api.queryRange(`max by (job, instance) (${withName('process_start_time_seconds')})`, start, end, step),
  ]);
  const startsBy = new Map(starts.map((s) => [keyOf(s), s.samples]));
  const histories = new Map<string, InstanceHistory>();
  for (const s of node) histories.set(keyOf(s), history(s, 'node', NODE_METRICS.join(' + '), startsBy.get(keyOf(s))));
  // An instance with both (a Go binary that also exports nodejs_* names) is read as Go.
  for (const s of go) histories.set(keyOf(s), history(s, 'go', GO_METRIC, startsBy.get(keyOf(s))));
  const instances = [...histories.values()].sort(
    (a, b) => Number(b.growing) - Number(a.growing) || b.perHour - a.perHour || a.instance.localeCompare(b.instance),
  );
  return { window: { start, end, step }, instances, jobs: rankJobs(instances) };
}

/** The label matchers of a filter without braces, for combining with a metric name. */
function innerMatchers(filter: InstanceFilter): string {
  const parts: string[] = [];
  if (filter.selector !== undefined) {
    const s = filter.selector.trim();
    const inner = s.startsWith('{') && s.endsWith('}') ? s.slice(1, -1).trim() : s;
    if (inner !== '') parts.push(inner);
  }
  if (filter.job !== undefined) parts.push(`job=${JSON.stringify(filter.job)}`);
  return parts.join(',');
}

function keyOf(s: Series): string {
  return instanceKey({ job: s.metric.job ?? '', instance: s.metric.instance ?? '' });
}

/** The pre-screen's history of one listed instance, when Prometheus holds any. */
export function historyOf(p: Prescreen | undefined, i: FleetInstance): InstanceHistory | undefined {
  return p?.instances.find((h) => h.job === i.job && h.instance === i.instance);
}

export function history(series: Series, runtime: FleetRuntime, metric: string, starts: Sample[] | undefined): InstanceHistory {
  const samples = series.samples;
  const segments = cutAtRestarts(samples, starts);
  let growth = 0;
  let covered = 0;
  let residual = 0;
  let points = 0;
  let growingSince: number | undefined;
  for (const seg of segments) {
    const fit = fitLine(seg.samples);
    seg.segment.growth = fit.slope * (seg.segment.to - seg.segment.from);
    growth += seg.segment.growth;
    covered += seg.segment.to - seg.segment.from;
    residual += fit.squaredResiduals;
    points += seg.samples.length;
  }
  const spread = points > 2 ? Math.sqrt(residual / (points - 2)) : Infinity;
  const level = Math.max(1, segments[0]?.segment.first ?? 1);
  const growing = points >= 3 && growth > 3 * spread && growth >= MIN_GROWTH && growth >= MIN_RELATIVE_GROWTH * level;
  if (growing) growingSince = segments.find((s) => s.segment.growth > 0)?.segment.from;
  const restarts = countRestarts(starts);
  return {
    job: series.metric.job ?? '',
    instance: series.metric.instance ?? '',
    runtime,
    metric,
    samples: samples.length,
    now: samples.length ? samples[samples.length - 1]!.v : 0,
    segments: segments.map((s) => s.segment),
    restarts,
    growth: round1(growth),
    perHour: covered > 0 ? round1((growth / covered) * 3600) : 0,
    growing,
    ...(growingSince !== undefined ? { growingSince } : {}),
    chart: thin(samples, 120),
  };
}

/** Restarts seen in the window: changes of process_start_time_seconds (more than a second: it is a float). */
function countRestarts(starts: Sample[] | undefined): number {
  let n = 0;
  for (let i = 1; i < (starts?.length ?? 0); i++) if (Math.abs(starts![i]!.v - starts![i - 1]!.v) > 1) n++;
  return n;
}

function cutAtRestarts(samples: Sample[], starts: Sample[] | undefined): { segment: Segment; samples: Sample[] }[] {
  const out: { segment: Segment; samples: Sample[] }[] = [];
  let s = 0;
  let current: number | undefined;
  let open: Sample[] = [];
  const close = () => {
    if (open.length === 0) return;
    out.push({
      segment: {
        ...(current !== undefined ? { startTime: current } : {}),
        from: open[0]!.t,
        to: open[open.length - 1]!.t,
        first: open[0]!.v,
        last: open[open.length - 1]!.v,
        growth: 0,
      },
      samples: open,
    });
    open = [];
  };
  for (const sample of samples) {
    // The start time in force at this sample: the latest one recorded at or before it.
    while (starts && s < starts.length && starts[s]!.t <= sample.t) s++;
    const startTime = starts && s > 0 ? starts[s - 1]!.v : undefined;
    // A sample taken before the recorded start belongs to the next process only if the start moved.
    if (startTime !== undefined && current !== undefined && Math.abs(startTime - current) > 1) close();
    if (startTime !== undefined) current = startTime;
    open.push(sample);
  }
  close();
  return out;
}

function fitLine(samples: Sample[]): { slope: number; squaredResiduals: number } {
  const n = samples.length;
  if (n < 2) return { slope: 0, squaredResiduals: 0 };
  let mt = 0;
  let mv = 0;
  for (const s of samples) {
    mt += s.t;
    mv += s.v;
  }
  mt /= n;
  mv /= n;
  let stt = 0;
  let stv = 0;
  for (const s of samples) {
    stt += (s.t - mt) ** 2;
    stv += (s.t - mt) * (s.v - mv);
  }
  const slope = stt > 0 ? stv / stt : 0;
  let squaredResiduals = 0;
  for (const s of samples) squaredResiduals += (s.v - (mv + slope * (s.t - mt))) ** 2;
  return { slope, squaredResiduals };
}

function rankJobs(instances: InstanceHistory[]): JobHistory[] {
  const byJob = new Map<string, InstanceHistory[]>();
  for (const i of instances) byJob.set(i.job, [...(byJob.get(i.job) ?? []), i]);
  const jobs = [...byJob].map(([job, list]) => {
    const rates = list.map((i) => i.perHour).sort((a, b) => a - b);
    const mid = rates.length >> 1;
    const median = rates.length % 2 ? rates[mid]! : (rates[mid - 1]! + rates[mid]!) / 2;
    return { job, instances: list.length, growing: list.filter((i) => i.growing).length, medianPerHour: round1(median), maxPerHour: rates[rates.length - 1]! };
  });
  return jobs.sort((a, b) => b.growing / b.instances - a.growing / a.instances || b.medianPerHour - a.medianPerHour || a.job.localeCompare(b.job));
}

function thin(samples: Sample[], max: number): [number, number][] {
  const every = Math.max(1, Math.ceil(samples.length / max));
  const out: [number, number][] = [];
  for (let i = 0; i < samples.length; i += every) out.push([samples[i]!.t, samples[i]!.v]);
  const last = samples[samples.length - 1];
  if (last && out[out.length - 1]?.[0] !== last.t) out.push([last.t, last.v]);
  return out;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
