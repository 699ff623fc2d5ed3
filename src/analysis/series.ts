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
import { StayingTasks } from './staying.js';
import { addCallPath, callersBelow } from './call-paths.js';
import type { StayingSummary, TaskPlace } from './staying.js';
import { intentionalBlock, isMainGoroutine } from './intentional.js';

/** Node resource kinds that are an open connection. */
const CONNECTION_KINDS = new Set(['TCPWRAP', 'PIPEWRAP']);

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
  /**
   * Ids at the site in its first snapshot that carries ids; undefined for
   * input without ids. A series may mix full dumps with counts-only
   * snapshots (a Go target under a pause budget, Snapshot.source.views):
   * ids come from the snapshots that have them.
   */
  firstIds?: Set<string>;
  /** Index of the snapshot `firstIds` come from. */
  firstIdsAt?: number;
  /** Ids at the site in the latest snapshot that carries ids. */
  lastIds?: Set<string>;
  /** Index of the snapshot `lastIds` come from. */
  lastIdsAt?: number;
  /**
   * Between consecutive snapshots with ids: the site's tasks at one look
   * (`seen`, summed over the steps) and how many of them were still there
   * at the next (`carried`). Undefined without two consecutive looks with ids.
   */
  steps?: { seen: number; carried: number };
  /**
   * Some task at the site came without an id in a snapshot that has ids (a
   * dump cut at 64 MiB, a Node census count), or the site was only ever seen
   * in snapshots without ids: lifetime unknown.
   */
  idless?: true;
  /** Tasks the runtime confirmed leaked, in the latest snapshot that had any. */
  leaked: number;
  /**
   * Tasks the runtime marked leaked whose endless wait is meant (main's
   * `select {}`; see intentional.ts), in the latest snapshot that had any:
   * not counted in `leaked`.
   */
  leakMarkSetAside?: { count: number; reason: string };
  /** Tasks that stayed in the same state and frame at every snapshot with ids (no progress). */
  staying?: StayingSummary;
  maxWaitMinutes?: number;
  /** Node: the oldest age seen, in ms. */
  maxAgeMs?: number;
  /** An example stack (frames, innermost first) from the latest snapshot. */
  exampleStack: Frame[];
  /**
   * The distinct call paths below the anchor seen in any snapshot (its
   * callers, innermost first; call-paths.ts); empty without an anchor.
   */
  callPaths: Frame[][];
  /** Label sets seen in the latest snapshot, with counts, most common first. */
  labels: LabelSetCount[];
  /**
   * Node, sampled: at `snapshots` snapshots the site's count includes its
   * `share` of the pending promises the census counted but no record
   * placed (unplaced-promises.ts): an estimate.
   */
  placedFromCensus?: { snapshots: number; share: number };
  /**
   * Node listeners: at each snapshot, the most copies of the site's
   * listener that one emitter held for its event, with that emitter's
   * listener limit (Task.onOneEmitter; `{ copies: 0, limit: 0 }` where the
   * census found none). Undefined for other sites.
   */
  onOneEmitter?: { copies: number; limit: number }[];
  /** What the site holds in the latest snapshot where it had tasks: task kinds ("Timeout", "PROMISE", "goroutine") with counts, most first. */
  kinds: { kind: string; count: number }[];
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
  /** Go count profiles: goroutines not yet run, per snapshot; in the totals, in no site (Task.notStarted). */
  notStarted: number[];
  sites: SiteSeries[];
  warnings: string[];
  /** Whether every task carries an id (debug=2, Node), so lifetime can be measured everywhere. */
  hasIds: boolean;
  /** The highest task id in each snapshot (the process's id clock, id-dating.ts); undefined without ids. */
  idClock: (number | undefined)[];
  /** Node: open connections (TCP and pipe sockets, both ends) in each snapshot; what per-connection timers are set against (outlived.ts). */
  connections?: number[];
  sources: Snapshot['source'][];
}

export class SeriesBuilder {
  private runtime: Runtime | undefined;
  private readonly times: number[] = [];
  private readonly totals: number[] = [];
  private readonly ignored: number[] = [];
  private readonly notStarted: number[] = [];
  private readonly sites = new Map<string, SiteSeries>();
  /** Warning text -> the snapshots that carried it, so a series repeats none. */
  private readonly warnings = new Map<string, string[]>();
  /** The share of time the Node agent watched, in each snapshot where it sampled (sampling-warning.ts). */
  private readonly samplingShares: number[] = [];
  private readonly sources: Snapshot['source'][] = [];
  private readonly idClock: (number | undefined)[] = [];
  private readonly connections: number[] = [];
  private readonly staying = new Map<SiteSeries, StayingTasks>();
  private hasIds = true;
  /** Sites with a task lacking an id in a snapshot where others have ids. */
  private readonly idlessWhereIds = new Set<SiteSeries>();
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

    // A snapshot in which no task has an id is a counts-only view: it says
    // nothing about lifetime, which is measured between the snapshots with ids.
    const carriesIds = snapshot.tasks.some((task) => task.id !== undefined);
    const resolver = new SiteResolver(snapshot, this.groupBy);
    const ignoreMatcher = this.ignore.matcher(snapshot);
    const idsNow = new Map<SiteSeries, Set<string>>();
    const labelsNow = new Map<SiteSeries, Map<string, LabelSetCount>>();
    const kindsNow = new Map<SiteSeries, Map<string, number>>();
    const leakedNow = new Map<SiteSeries, number>();
    const setAsideNow = new Map<SiteSeries, { count: number; reason: string }>();
    const placesNow = new Map<SiteSeries, Map<string, TaskPlace>>();
    const stacksWalked = new Map<SiteSeries, Set<number>>();
    const pilesNow = new Map<SiteSeries, { copies: number; limit: number }>();
    let maxId: number | undefined;
    let ignored = 0;
    let notStarted = 0;
    let connections = 0;
    for (const task of snapshot.tasks) {
      const n = task.count ?? 1;
      if (CONNECTION_KINDS.has(task.kind)) connections += n;
      if (task.id !== undefined) {
        // Every task moves the id clock, ignored ones too.
        const id = Number(task.id);
        if (Number.isSafeInteger(id)) maxId = Math.max(maxId ?? 0, id);
      }
      if (task.notStarted === true) {
        // No code to name yet, and nothing it could be stuck on: a site of
        // its own would come and go with the moment of the count.
        notStarted += n;
        continue;
      }
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
          callPaths: [],
          labels: [],
          kinds: [],
        };
        if (site.anchor) series.anchor = site.anchor;
        if (site.createdBy) series.createdBy = site.createdBy;
        this.sites.set(site.key, series);
      }
      if (series.counts[index] === undefined) {
        series.counts[index] = 0;
        series.exampleStack = (snapshot.stacks[task.stack] ?? []).map((id) => snapshot.frames[id]!);
      }
      if (site.anchor !== undefined) {
        // Tasks share stacks: each of a snapshot's stacks is walked once per site.
        let walked = stacksWalked.get(series);
        if (walked === undefined) stacksWalked.set(series, (walked = new Set<number>()));
        if (!walked.has(task.stack)) {
          walked.add(task.stack);
          const stack = (snapshot.stacks[task.stack] ?? []).map((id) => snapshot.frames[id]!);
          const path = callersBelow(stack, site.anchor);
          if (path !== undefined) addCallPath(series.callPaths, path);
        }
      }
      series.counts[index] += n;
      series.observations += n;
      series.states.set(task.state, (series.states.get(task.state) ?? 0) + n);
      let kinds = kindsNow.get(series);
      if (kinds === undefined) kindsNow.set(series, (kinds = new Map<string, number>()));
      kinds.set(task.kind, (kinds.get(task.kind) ?? 0) + n);
      if (task.leaked) {
        const reason = intentionalBlock(task, site.anchor, snapshot.runtime);
        if (reason === undefined) {
          leakedNow.set(series, (leakedNow.get(series) ?? 0) + n);
        } else {
          const aside = setAsideNow.get(series);
          if (aside) aside.count += n;
          else setAsideNow.set(series, { count: n, reason });
        }
      }
      if (task.onOneEmitter !== undefined && task.onOneEmitter.copies > (pilesNow.get(series)?.copies ?? 0)) pilesNow.set(series, { ...task.onOneEmitter });
      if (task.waitMinutes !== undefined) series.maxWaitMinutes = Math.max(series.maxWaitMinutes ?? 0, task.waitMinutes);
      if (task.ageMs !== undefined) series.maxAgeMs = Math.max(series.maxAgeMs ?? 0, task.ageMs);
      if (task.id === undefined) {
        this.hasIds = false;
        if (carriesIds) this.idlessWhereIds.add(series);
      } else {
        // Lifetime follows lineages (see Task.lineage), so a chain of short-lived
        // resources that keeps re-creating itself counts as surviving.
        let ids = idsNow.get(series);
        if (ids === undefined) idsNow.set(series, (ids = new Set()));
        ids.add(task.lineage ?? task.id);
        // The main goroutine's wait is the program's lifetime, not a stuck pile.
        if (!isMainGoroutine(task, site.anchor, snapshot.runtime)) {
          let places = placesNow.get(series);
          if (places === undefined) placesNow.set(series, (places = new Map<string, TaskPlace>()));
          const top = snapshot.stacks[task.stack]?.[0];
          const frame = top === undefined ? undefined : snapshot.frames[top];
          const place: TaskPlace = { place: `${task.state}\u0000${frame ? `${frame.fn}\u0000${frame.file}:${frame.line}` : ''}`, state: task.state };
          if (task.waitMinutes !== undefined) place.waitMinutes = task.waitMinutes;
          places.set(task.lineage ?? task.id, place);
        }
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
    this.notStarted.push(notStarted);
    this.idClock.push(maxId);
    this.connections.push(connections);
    const withIds = maxId !== undefined;
    for (const series of this.sites.values()) {
      series.counts[index] ??= 0;
      let staying = this.staying.get(series);
      if (staying === undefined) this.staying.set(series, (staying = new StayingTasks()));
      if (withIds) staying.look(index, placesNow.get(series) ?? new Map<string, TaskPlace>());
      else staying.count(series.counts[index]);
      const pile = pilesNow.get(series);
      if (pile !== undefined || series.onOneEmitter !== undefined) (series.onOneEmitter ??= [])[index] = pile ?? { copies: 0, limit: 0 };
      const aside = setAsideNow.get(series);
      if (aside !== undefined) series.leakMarkSetAside = aside;
      if (carriesIds) {
        const ids = idsNow.get(series) ?? new Set<string>();
        if (series.firstIdsAt === undefined) {
          series.firstIds = ids;
          series.firstIdsAt = index;
        }
        // One look to the next: how many of the site's tasks were still there.
        if (series.lastIds !== undefined && series.lastIdsAt === index - 1 && series.lastIds.size > 0) {
          let carried = 0;
          for (const id of series.lastIds) if (ids.has(id)) carried++;
          series.steps = { seen: (series.steps?.seen ?? 0) + series.lastIds.size, carried: (series.steps?.carried ?? 0) + carried };
        }
        series.lastIds = ids;
        series.lastIdsAt = index;
      }
      if (this.idlessWhereIds.has(series) || series.firstIdsAt === undefined) series.idless = true;
      else delete series.idless;
      const leaked = leakedNow.get(series);
      if (leaked !== undefined) series.leaked = leaked;
      const labels = labelsNow.get(series);
      if (labels !== undefined) series.labels = [...labels.values()].sort((a, b) => b.count - a.count);
      const kinds = kindsNow.get(series);
      if (kinds !== undefined) series.kinds = [...kinds].map(([kind, count]) => ({ kind, count })).sort((a, b) => b.count - a.count);
    }
  }

  result(): SeriesResult {
    if (this.runtime === undefined) throw new InputError('no snapshots to analyse');
    // Sites first seen late have no entries for the earlier snapshots.
    for (const series of this.sites.values()) {
      for (let i = 0; i < this.times.length; i++) {
        series.counts[i] ??= 0;
        if (series.onOneEmitter !== undefined) series.onOneEmitter[i] ??= { copies: 0, limit: 0 };
      }
      const staying = this.staying.get(series)?.summary();
      if (staying !== undefined) series.staying = staying;
    }
    return {
      runtime: this.runtime,
      times: this.times,
      totals: this.totals,
      ignored: this.ignored,
      notStarted: this.notStarted,
      sites: [...this.sites.values()],
      warnings: [
        ...(this.samplingShares.length > 0 ? [seriesSamplingWarning(this.samplingShares, this.times.length)] : []),
        ...[...this.warnings].map(([warning, names]) => (names.length === 1 ? `${names[0]}: ${warning}` : `${warning} (in ${names.length} snapshots)`)),
      ],
      hasIds: this.hasIds,
      idClock: this.idClock,
      ...(this.runtime === 'node' ? { connections: this.connections } : {}),
      sources: this.sources,
    };
  }
}
