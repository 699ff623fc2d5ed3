/**
 * Aligns a series of snapshots by site key. Snapshots are added one at a
 * time and can be dropped after: per site only counts, state tallies and two
 * id sets (the site's first snapshot and the latest) are kept, so a long
 * attach is analysed in memory proportional to sites, not to snapshots.
 */
import type { Frame, Runtime, Snapshot } from '../model/format.js';
import { SiteResolver } from '../model/site.js';
import type { GroupBy } from '../model/site.js';
import { taskTotal } from '../model/builder.js';
import { IgnoreRules } from './ignore.js';
import { InputError } from '../util/errors.js';
import { roundedShare, seriesSamplingWarning, shareOfSamplingWarning } from '../model/sampling-warning.js';

export interface SiteSeries {
  key: string;
  anchor?: Frame;
  createdBy?: Frame;
  userCode: boolean;
  /** Tasks at this site in each snapshot of the series (0 where absent). */
  counts: number[];
  /** Observations (task x snapshot) per state. */
  states: Map<string, number>;
  observations: number;
  /** Index of the first snapshot where the site appears. */
  firstSeen: number;
  /** Ids at the site in its first snapshot; undefined for input without ids. */
  firstIds?: Set<string>;
  /** Ids at the site in the latest snapshot. */
  lastIds?: Set<string>;
  /** Some task at the site came without an id (aggregated input, a Node census count): lifetime unknown. */
  idless?: true;
  /** Tasks the runtime confirmed leaked, in the latest snapshot that had any. */
  leaked: number;
  maxWaitMinutes?: number;
  /** Node: the oldest age seen, in ms. */
  maxAgeMs?: number;
  /** An example stack (frames, innermost first) from the latest snapshot. */
  exampleStack: Frame[];
  /** Label sets seen in the latest snapshot, with counts, most common first. */
  labels: LabelSetCount[];
}

export interface LabelSetCount {
  labels: Record<string, string>;
  count: number;
}

export interface SeriesResult {
  runtime: Runtime;
  times: number[];
  totals: number[];
  /** Tasks left out by ignore rules, per snapshot. */
  ignored: number[];
  sites: SiteSeries[];
  warnings: string[];
  /** Whether every task carries an id (debug=2, Node), so lifetime can be measured everywhere. */
  hasIds: boolean;
  sources: Snapshot['source'][];
}

export class SeriesBuilder {
  private runtime: Runtime | undefined;
  private readonly times: number[] = [];
  private readonly totals: number[] = [];
  private readonly ignored: number[] = [];
  private readonly sites = new Map<string, SiteSeries>();
  /** Warning text -> the snapshots that carried it, so a series repeats none. */
  private readonly warnings = new Map<string, string[]>();
  /** The share of time the Node agent watched, in each snapshot where it sampled (sampling-warning.ts). */
  private readonly samplingShares: number[] = [];
  private readonly sources: Snapshot['source'][] = [];
  private hasIds = true;
  private lastTakenAt = -Infinity;

  constructor(
    private readonly groupBy: GroupBy = 'function',
    private readonly ignore: IgnoreRules = IgnoreRules.defaults(),
  ) {}

  /** Adds the next snapshot; they must come in time order. `name` is used in messages. */
  add(snapshot: Snapshot, name: string): void {
    if (this.runtime === undefined) {
      this.runtime = snapshot.runtime;
    } else if (snapshot.runtime !== this.runtime) {
      throw new InputError(`${name} is a ${snapshot.runtime} snapshot, but the series so far is ${this.runtime}: diff one runtime at a time`);
    }
    if (snapshot.takenAt < this.lastTakenAt) {
      throw new InputError(`${name} was taken before the snapshot given ahead of it; give snapshots in time order`);
    }
    this.lastTakenAt = snapshot.takenAt;
    const index = this.times.length;
    this.times.push(snapshot.takenAt);
    this.totals.push(taskTotal(snapshot));
    this.sources.push(snapshot.source);
    if (snapshot.watchedShare !== undefined) this.samplingShares.push(roundedShare(snapshot.watchedShare));
    for (const warning of snapshot.warnings ?? []) {
      const share = shareOfSamplingWarning(warning);
      if (share !== undefined) {
        this.samplingShares.push(share);
        continue;
      }
      const names = this.warnings.get(warning);
      if (names) names.push(name);
      else this.warnings.set(warning, [name]);
    }

    const resolver = new SiteResolver(snapshot, this.groupBy);
    const ignoreMatcher = this.ignore.matcher(snapshot);
    const idsNow = new Map<SiteSeries, Set<string>>();
    const labelsNow = new Map<SiteSeries, Map<string, LabelSetCount>>();
    const leakedNow = new Map<SiteSeries, number>();
    let ignored = 0;
    for (const task of snapshot.tasks) {
      const n = task.count ?? 1;
      if (ignoreMatcher(task)) {
        ignored += n;
        continue;
      }
      const site = resolver.siteOf(task);
      let series = this.sites.get(site.key);
      if (series === undefined) {
        series = {
          key: site.key,
          userCode: site.anchor !== undefined && !resolver.code.isLibrary(site.anchor),
          counts: [],
          states: new Map(),
          observations: 0,
          firstSeen: index,
          leaked: 0,
          exampleStack: [],
          labels: [],
        };
        if (site.anchor) series.anchor = site.anchor;
        if (site.createdBy) series.createdBy = site.createdBy;
        this.sites.set(site.key, series);
      }
      if (series.counts[index] === undefined) {
        series.counts[index] = 0;
        series.exampleStack = (snapshot.stacks[task.stack] ?? []).map((id) => snapshot.frames[id]!);
      }
      series.counts[index] += n;
      series.observations += n;
      series.states.set(task.state, (series.states.get(task.state) ?? 0) + n);
      if (task.leaked) leakedNow.set(series, (leakedNow.get(series) ?? 0) + n);
      if (task.waitMinutes !== undefined) series.maxWaitMinutes = Math.max(series.maxWaitMinutes ?? 0, task.waitMinutes);
      if (task.ageMs !== undefined) series.maxAgeMs = Math.max(series.maxAgeMs ?? 0, task.ageMs);
      if (task.id === undefined) {
        this.hasIds = false;
        series.idless = true;
      } else {
        // Lifetime follows lineages (see Task.lineage), so a chain of short-lived
        // resources that keeps re-creating itself counts as surviving.
        let ids = idsNow.get(series);
        if (ids === undefined) idsNow.set(series, (ids = new Set()));
        ids.add(task.lineage ?? task.id);
      }
      if (task.labels !== undefined) {
        let labels = labelsNow.get(series);
        if (labels === undefined) labelsNow.set(series, (labels = new Map<string, LabelSetCount>()));
        // The text only tells equal sets apart; the set itself is kept as a value.
        const key = JSON.stringify(task.labels);
        const seen = labels.get(key);
        if (seen === undefined) labels.set(key, { labels: { ...task.labels }, count: n });
        else seen.count += n;
      }
    }
    this.ignored.push(ignored);
    for (const series of this.sites.values()) {
      series.counts[index] ??= 0;
      const ids = idsNow.get(series) ?? new Set<string>();
      if (series.firstSeen === index) series.firstIds = ids;
      series.lastIds = ids;
      const leaked = leakedNow.get(series);
      if (leaked !== undefined) series.leaked = leaked;
      const labels = labelsNow.get(series);
      if (labels !== undefined) series.labels = [...labels.values()].sort((a, b) => b.count - a.count);
    }
  }

  result(): SeriesResult {
    if (this.runtime === undefined) throw new InputError('no snapshots to analyse');
    // Sites first seen late have no entries for the earlier snapshots.
    for (const series of this.sites.values()) {
      for (let i = 0; i < this.times.length; i++) series.counts[i] ??= 0;
    }
    return {
      runtime: this.runtime,
      times: this.times,
      totals: this.totals,
      ignored: this.ignored,
      sites: [...this.sites.values()],
      warnings: [
        ...(this.samplingShares.length > 0 ? [seriesSamplingWarning(this.samplingShares, this.times.length)] : []),
        ...[...this.warnings].map(([warning, names]) => (names.length === 1 ? `${names[0]}: ${warning}` : `${warning} (in ${names.length} snapshots)`)),
      ],
      hasIds: this.hasIds,
      sources: this.sources,
    };
  }
}
