/**
 * Samples many instances over a short window, a bounded number at a time,
 * with the same code attach uses for one Go target (pprof client, snapshot
 * taker with retry and skip, the sampler that saves each snapshot as it is
 * taken, the incremental Analyzer). An instance that cannot be read, or
 * stops answering mid-way, is reported with the reason and left out of the
 * fleet ranking; the scan goes on with the others.
 *
 * Memory stays bounded by the concurrency: an instance's analysis is reduced
 * to its scored sites (without task ids) as soon as it is done.
 */
import { join } from 'node:path';
import { Analyzer } from '../analysis/analyze.js';
import type { Analysis, AnalysisOptions } from '../analysis/analyze.js';
import type { Suspect } from '../analysis/score.js';
import type { Snapshot } from '../model/format.js';
import { sampleSeries } from '../session/sampler.js';
import { GoTarget } from '../targets/go/target.js';
import type { Target } from '../targets/target.js';
import { LeakscanError } from '../util/errors.js';
import type { FleetInstance } from './instances.js';
import { plural } from '../report/format.js';

export interface SamplingPlan {
  count: number;
  intervalSeconds: number;
  timeoutSeconds: number;
  leakProfile: boolean;
  labels: boolean;
  concurrency: number;
  outDir: string;
  analysis: AnalysisOptions;
  /** Sites kept per instance (highest scores). */
  keepSites: number;
}

export type SampleStatus = 'sampled' | 'failed';

export interface InstanceSample {
  instance: FleetInstance;
  pprofUrl: string;
  status: SampleStatus;
  /** Why the instance could not be read, or why sampling stopped early. */
  error?: string;
  snapshots: number;
  dir: string;
  /** Its scored sites, highest first, ids dropped. */
  suspects: Suspect[];
  /** Goroutines in the last snapshot. */
  total?: number;
}

export interface FleetSampling {
  samples: InstanceSample[];
  /** The first and last snapshots of the instance holding the highest single score, for reports. */
  exemplar?: { first: Snapshot; last: Snapshot; series: Analysis['series'] };
}

/** Runs `work` over `items` with at most `limit` running at once; results in input order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}

export async function sampleInstances(
  targets: { instance: FleetInstance; pprofUrl: string }[],
  plan: SamplingPlan,
  say: (line: string) => void,
): Promise<FleetSampling> {
  let bestScore = -1;
  let exemplar: FleetSampling['exemplar'];
  let done = 0;
  const samples = await mapBounded(targets, plan.concurrency, async ({ instance, pprofUrl }, index) => {
    const dir = join(plan.outDir, `${String(index + 1).padStart(3, '0')}-${safeName(instance.job)}-${safeName(instance.instance)}`);
    const result = await sampleOne(instance, pprofUrl, dir, plan);
    done++;
    say(
      `[${done}/${targets.length}] ${instance.instance} (${instance.job}): ${result.sample.status === 'sampled' ? plural(result.sample.snapshots, 'snapshot') : `failed: ${result.sample.error}`}`,
    );
    const top = result.analysis?.suspects[0]?.score ?? -1;
    if (result.analysis && top > bestScore) {
      bestScore = top;
      exemplar = { first: result.analysis.first, last: result.analysis.last, series: { ...result.analysis.series, sites: [] } };
    }
    return result.sample;
  });
  return { samples, ...(exemplar ? { exemplar } : {}) };
}

async function sampleOne(instance: FleetInstance, pprofUrl: string, dir: string, plan: SamplingPlan): Promise<{ sample: InstanceSample; analysis?: Analysis }> {
  const analyzer = new Analyzer(plan.analysis);
  let snapshots = 0;
  const skips: string[] = [];
  const target: Target = new GoTarget(pprofUrl, {
    timeoutMs: plan.timeoutSeconds * 1000,
    leakProfile: plan.leakProfile,
    labels: plan.labels,
    // A fleet scan has many instances to read: two failed snapshots in a row are enough to move on.
    maxConsecutiveFailures: 2,
    retryDelayMs: 500,
    onSkip: (message) => skips.push(message),
  });
  const base: InstanceSample = { instance, pprofUrl, status: 'failed', snapshots: 0, dir, suspects: [] };
  let result;
  try {
    result = await sampleSeries({
      count: plan.count,
      intervalMs: plan.intervalSeconds * 1000,
      outDir: dir,
      take: (turn) => target.snapshot(turn),
      onSnapshot: (_i, snapshot, file) => {
        snapshots++;
        analyzer.add(snapshot, file);
      },
    });
  } catch (error) {
    if (error instanceof LeakscanError) return { sample: { ...base, error: error.message } };
    throw error;
  } finally {
    await target.close();
  }
  if (result.stoppedBy instanceof LeakscanError || snapshots < 2) {
    const why = result.stoppedBy instanceof LeakscanError ? result.stoppedBy.message : (skips[skips.length - 1] ?? 'fewer than two snapshots');
    return { sample: { ...base, snapshots, error: snapshots > 0 ? `${why} (after ${plural(snapshots, 'snapshot')})` : why } };
  }
  const analysis = analyzer.finish();
  const suspects = analysis.suspects.slice(0, plan.keepSites).map(withoutIds);
  const total = analysis.series.totals[analysis.series.totals.length - 1];
  return {
    sample: { ...base, status: 'sampled', snapshots, suspects, ...(total !== undefined ? { total } : {}) },
    analysis,
  };
}

/** A suspect without its id sets (thousands of strings for a big leak): the fleet ranking needs counts only. */
function withoutIds(s: Suspect): Suspect {
  const { firstIds: _f, lastIds: _l, ...site } = s.site;
  return { ...s, site };
}

/** A directory name from an instance or job name: no path separators or odd characters. */
function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60) || '_';
}
