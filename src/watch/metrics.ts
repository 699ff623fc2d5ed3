/**
 * The gauges `leakscan watch` serves, in the Prometheus text format, built
 * with prom-client (it escapes label values and formats numbers as
 * Prometheus expects). Only the top --max-sites sites are exported each
 * cycle and the gauges are reset before they are set again, so a site that
 * went away stops being exported and the number of series stays bounded.
 */
import { lazyModule } from '../util/lazy-module.js';
import type { Suspect } from '../analysis/score.js';
import { baseName } from '../model/site.js';

const promClient = lazyModule<typeof import('prom-client')>('prom-client');

export interface WatchCycle {
  suspects: Suspect[];
  total: number;
  takenAt: number;
}

export class WatchMetrics {
  readonly registry;
  private readonly siteTasks;
  private readonly siteScore;
  private readonly siteGrowth;
  private readonly tasks;
  private readonly up;
  private readonly lastSnapshot;
  private readonly snapshots;
  private readonly failures;
  private readonly evidence;

  constructor(private readonly maxSites: number) {
    const { Registry, Gauge, Counter } = promClient();
    this.registry = new Registry();
    const registers = [this.registry];
    const siteLabels = ['site', 'function', 'location'] as const;
    this.siteTasks = new Gauge({
      name: 'leakscan_site_tasks',
      help: 'Goroutines at this code site in the latest snapshot.',
      labelNames: siteLabels,
      registers,
    });
    this.siteScore = new Gauge({
      name: 'leakscan_site_score',
      help: "Leak score of this site, 0 to 100 (docs/scoring.md): the higher of the window's and the whole watch's.",
      labelNames: siteLabels,
      registers,
    });
    this.siteGrowth = new Gauge({
      name: 'leakscan_site_growth',
      help: 'Growth of this site over the watch window, in goroutines per minute (least-squares slope).',
      labelNames: siteLabels,
      registers,
    });
    this.tasks = new Gauge({ name: 'leakscan_tasks', help: 'Goroutines in the latest snapshot.', registers });
    this.up = new Gauge({ name: 'leakscan_target_up', help: '1 when the latest snapshot of the target succeeded, else 0.', registers });
    this.lastSnapshot = new Gauge({ name: 'leakscan_last_snapshot_timestamp_seconds', help: 'When the latest snapshot was taken.', registers });
    this.snapshots = new Counter({ name: 'leakscan_snapshots_total', help: 'Snapshots taken.', registers });
    this.failures = new Counter({ name: 'leakscan_snapshot_failures_total', help: 'Snapshots that failed.', registers });
    this.evidence = new Counter({ name: 'leakscan_evidence_sets_total', help: 'Snapshot sets saved because a site crossed the threshold.', registers });
  }

  update(cycle: WatchCycle): void {
    this.siteTasks.reset();
    this.siteScore.reset();
    this.siteGrowth.reset();
    const ranked = [...cycle.suspects].sort((a, b) => b.score - a.score || last(b) - last(a)).slice(0, this.maxSites);
    for (const s of ranked) {
      const anchor = s.site.anchor;
      const labels = {
        site: s.key,
        function: anchor?.fn ?? '',
        location: anchor?.file ? `${baseName(anchor.file)}:${anchor.line}` : '',
      };
      this.siteTasks.set(labels, last(s));
      this.siteScore.set(labels, s.score);
      this.siteGrowth.set(labels, Math.round((s.growth?.perMinute ?? 0) * 100) / 100);
    }
    this.tasks.set(cycle.total);
    this.up.set(1);
    this.lastSnapshot.set(cycle.takenAt / 1000);
    this.snapshots.inc();
  }

  failed(): void {
    this.up.set(0);
    this.failures.inc();
  }

  evidenceSaved(): void {
    this.evidence.inc();
  }

  async text(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}

function last(s: Suspect): number {
  return s.site.counts[s.site.counts.length - 1] ?? 0;
}
