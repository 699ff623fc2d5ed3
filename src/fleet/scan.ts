/**
 * One fleet scan: list the instances (Prometheus targets or a file_sd file),
 * pre-screen them from Prometheus's history, sample the Go instances that
 * need it, and rank code sites across the fleet.
 *
 * Node instances are pre-screened only: sampling a Node process needs its
 * inspector, which is never opened remotely (leakscan attach <pid> on the
 * instance's own host does it, with the checks in SECURITY.md).
 */
import type { Analysis, AnalysisOptions } from '../analysis/analyze.js';
import { InputError } from '../util/errors.js';
import { PrometheusApi } from './prometheus-api.js';
import { instanceKey, instancesFromFileSd, instancesFromPrometheus, pprofUrlOf } from './instances.js';
import type { FleetInstance, InstanceFilter } from './instances.js';
import { historyOf, prescreen } from './prescreen.js';
import type { InstanceHistory, Prescreen } from './prescreen.js';
import { sampleInstances } from './sample.js';
import type { InstanceSample, SamplingPlan } from './sample.js';
import { rankFleet } from './rank.js';
import type { FleetSuspect } from './rank.js';
import { plural } from '../report/format.js';

export interface ScanOptions {
  prometheus?: string;
  targetsFile?: string;
  filter: InstanceFilter;
  windowSeconds: number;
  pprofTemplate?: string;
  /** Which instances to sample: all Go ones, the N growing fastest in the pre-screen, these instance names, or none. */
  select: { kind: 'all' } | { kind: 'top'; n: number } | { kind: 'names'; names: string[] } | { kind: 'none' };
  plan: Omit<SamplingPlan, 'analysis'>;
  analysis: AnalysisOptions;
  say: (line: string) => void;
}

export type SkipReason = 'node' | 'down' | 'not-selected';

export interface SkippedInstance {
  instance: FleetInstance;
  reason: SkipReason;
  detail: string;
}

export interface ScanResult {
  source: { prometheus?: string; targetsFile?: string; filter: InstanceFilter; windowSeconds: number };
  instances: FleetInstance[];
  prescreen?: Prescreen;
  samples: InstanceSample[];
  skipped: SkippedInstance[];
  suspects: FleetSuspect[];
  plan: ScanOptions['plan'];
  /** The fleet ranking in the shape the gate reads (check --prometheus). */
  gateAnalysis?: Analysis;
  startedAt: number;
  durationMs: number;
}

export const NODE_SAMPLING_NOTE =
  'Node instances are pre-screened only: sampling a Node process needs its inspector, which leakscan never opens remotely (run leakscan attach <pid> on its host)';

export async function scanFleet(options: ScanOptions): Promise<ScanResult> {
  const startedAt = Date.now();
  const { say } = options;
  if (options.prometheus === undefined && options.targetsFile === undefined) throw new InputError('give --prometheus <url> or --targets <file_sd.json>');
  const api = options.prometheus !== undefined ? new PrometheusApi(options.prometheus) : undefined;
  const instances =
    options.targetsFile !== undefined ? await instancesFromFileSd(options.targetsFile, options.filter) : await instancesFromPrometheus(api!, options.filter);
  const what =
    options.filter.job !== undefined ? ` of job ${options.filter.job}` : options.filter.selector !== undefined ? ` matching ${options.filter.selector}` : '';
  if (instances.length === 0) throw new InputError(`no instances${what} ${api ? `among ${api.base.origin}'s active targets` : `in ${options.targetsFile}`}`);
  say(`${plural(instances.length, 'instance')}${what} from ${api ? api.base.origin : options.targetsFile}`);

  let history: Prescreen | undefined;
  if (api !== undefined) {
    history = await prescreen(api, options.filter, options.windowSeconds);
    const growing = history.instances.filter((h) => h.growing).length;
    say(`pre-screen over ${history.window.end - history.window.start}s: ${growing} of ${history.instances.length} instances with history grow`);
  }

  const { chosen, skipped } = choose(instances, history, options);
  if (chosen.length > 0) {
    say(
      `sampling ${plural(chosen.length, 'instance')}: ${plural(options.plan.count, 'snapshot')} ${options.plan.intervalSeconds}s apart, ${options.plan.concurrency} at a time, into ${options.plan.outDir}`,
    );
  }
  const sampling =
    chosen.length > 0
      ? await sampleInstances(
          chosen.map((instance) => ({ instance, pprofUrl: pprofUrlOf(instance, options.pprofTemplate) })),
          { ...options.plan, analysis: options.analysis },
          say,
        )
      : { samples: [] };
  const byKey = new Map<string, InstanceHistory>((history?.instances ?? []).map((h) => [instanceKey(h), h]));
  const suspects = rankFleet(sampling.samples, (s) => byKey.get(instanceKey(s.instance)));
  const result: ScanResult = {
    source: {
      ...(options.prometheus !== undefined ? { prometheus: api!.base.href } : {}),
      ...(options.targetsFile !== undefined ? { targetsFile: options.targetsFile } : {}),
      filter: options.filter,
      windowSeconds: options.windowSeconds,
    },
    instances,
    ...(history ? { prescreen: history } : {}),
    samples: sampling.samples,
    skipped,
    suspects,
    plan: options.plan,
    startedAt,
    durationMs: Date.now() - startedAt,
  };
  if (sampling.exemplar) {
    result.gateAnalysis = {
      series: sampling.exemplar.series,
      suspects: suspects.map((s) => s.suspect),
      first: sampling.exemplar.first,
      last: sampling.exemplar.last,
    };
  }
  return result;
}

function choose(instances: FleetInstance[], history: Prescreen | undefined, options: ScanOptions): { chosen: FleetInstance[]; skipped: SkippedInstance[] } {
  const skipped: SkippedInstance[] = [];
  const candidates: FleetInstance[] = [];
  for (const instance of instances) {
    const h = historyOf(history, instance);
    if (h?.runtime === 'node') skipped.push({ instance, reason: 'node', detail: NODE_SAMPLING_NOTE });
    else if (instance.health === 'down') skipped.push({ instance, reason: 'down', detail: `Prometheus cannot scrape it: ${instance.lastError || 'down'}` });
    else candidates.push(instance);
  }
  const select = options.select;
  let chosen = candidates;
  if (select.kind === 'none') chosen = [];
  else if (select.kind === 'names') {
    const names = new Set(select.names);
    const unknown = select.names.filter((n) => !instances.some((i) => i.instance === n));
    if (unknown.length > 0) throw new InputError(`--instances: no such instance: ${unknown.join(', ')}`);
    chosen = candidates.filter((i) => names.has(i.instance));
  } else if (select.kind === 'top') {
    const rate = (i: FleetInstance) => {
      const h = historyOf(history, i);
      return h?.growing ? h.perHour : -Infinity;
    };
    chosen = [...candidates].sort((a, b) => rate(b) - rate(a)).slice(0, select.n);
  }
  const picked = new Set(chosen);
  for (const i of candidates) {
    if (!picked.has(i))
      skipped.push({
        instance: i,
        reason: 'not-selected',
        detail: select.kind === 'none' ? 'sampling was turned off (--no-sample)' : 'not selected for sampling',
      });
  }
  return { chosen, skipped };
}
