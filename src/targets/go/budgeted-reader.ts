/**
 * Reads a live Go target snapshot after snapshot within a pause budget.
 *
 * Every snapshot starts with the count profile (`goroutine?debug=1`),
 * collected while the program runs: every goroutine, counted per stack and
 * label set. Its total says what a full dump would cost now
 * (pause-budget.ts), and the full dump (`goroutineleak?debug=2`, else
 * `goroutine?debug=2`) is taken only when it fits. A snapshot without it
 * is the count profile, its stacks given the creators learned from the
 * latest full dump (count-view.ts) so that sites key the same either way.
 * `Snapshot.source.views` records which view each number came from.
 *
 * State is kept across snapshots: the measured cost of a full dump, the
 * creators of the latest one, and whether the goroutineleak profile exists.
 */
import type { Snapshot, SnapshotViews } from '../../model/format.js';
import { taskTotal } from '../../model/builder.js';
import { attachProfileLabels } from '../../formats/go/labels.js';
import { explicitProfileUrl, fetchProfile, pprofBase, snapshotFromPprof } from './pprof-client.js';
import type { FetchedProfile, PprofOptions } from './pprof-client.js';
import { PauseBudget, formatPause } from './pause-budget.js';
import type { FullDumpProfile } from './pause-budget.js';
import { CreatorTable, addCountsBeyondCut } from './count-view.js';

export interface BudgetedReadOptions extends PprofOptions {
  /** The worst pause a snapshot may cause, in milliseconds; Infinity for no limit. */
  pauseBudgetMs: number;
  /** Says what is fetched and why, when that changes. */
  say?: (line: string) => void;
}

/** The warning the traceback parser gives a dump cut at 64 MiB (formats/go/traceback.ts). */
const CUT_WARNING = /^dump truncated at 64 MiB/;

export class BudgetedGoReader {
  private readonly budget: PauseBudget;
  private readonly creators = new CreatorTable();
  /** Cleared once /debug/pprof/goroutineleak answered 404: it exists or not for the process's life. */
  private leakProfile: boolean;
  private lastChoice: string | undefined;

  constructor(
    private readonly url: string,
    private readonly options: BudgetedReadOptions,
  ) {
    this.budget = new PauseBudget(options.pauseBudgetMs);
    this.leakProfile = options.leakProfile;
  }

  async read(): Promise<Snapshot> {
    // An explicit profile URL: the user chose what to fetch.
    if (explicitProfileUrl(this.url) !== undefined) return snapshotFromPprof(this.url, this.options);
    const base = pprofBase(this.url);
    const counts = (await fetchProfile(base, 'goroutine?debug=1', this.options))!;
    const goroutines = taskTotal(counts.snapshot);
    const wanted: FullDumpProfile = this.leakProfile && this.budget.fits('goroutineleak?debug=2', goroutines) ? 'goroutineleak?debug=2' : 'debug=2';
    const views: SnapshotViews = {
      counts: 'debug=1',
      countedTasks: goroutines,
      pauseBudgetMs: this.options.pauseBudgetMs,
    };
    if (this.options.pauseBudgetMs !== Infinity) views.estimatedPauseMs = round(this.budget.estimateMs(wanted, goroutines));
    if (!this.budget.fits(wanted, goroutines)) return this.countsOnly(counts.snapshot, views, goroutines);

    let full: FetchedProfile | null = null;
    let profile = wanted;
    if (wanted === 'goroutineleak?debug=2') {
      full = await fetchProfile(base, 'goroutineleak?debug=2', this.options, true);
      if (full === null) {
        this.leakProfile = false;
        profile = 'debug=2';
      }
    }
    full ??= (await fetchProfile(base, 'goroutine?debug=2', this.options))!;
    this.budget.record(profile, goroutines, full.firstByteMs, counts.firstByteMs);
    const snapshot = full.snapshot;
    // The count profile has every goroutine's labels, per stack; a dump
    // before Go 1.26 (or without GODEBUG=tracebacklabels=1) has none.
    if (this.options.labels && !snapshot.tasks.some((task) => task.labels !== undefined)) attachProfileLabels(snapshot, counts.snapshot);
    this.creators.learn(snapshot);
    const read = snapshot.tasks.length;
    views.details = profile;
    views.detailTasks = read;
    views.counts = profile;
    if (snapshot.warnings?.some((w) => CUT_WARNING.test(w))) {
      addCountsBeyondCut(snapshot, counts.snapshot, this.creators);
      snapshot.warnings = [
        ...snapshot.warnings.filter((w) => !CUT_WARNING.test(w)),
        'full dump cut at 64 MiB by the Go runtime: the goroutines past the cut are counted from goroutine?debug=1, without ids or states',
      ];
      views.counts = 'debug=1';
    }
    snapshot.source.views = views;
    const leakNote = profile === 'debug=2' && this.leakProfile ? ' (the goroutineleak profile, which adds a garbage collection, would not)' : '';
    const why = this.options.pauseBudgetMs === Infinity ? 'with no pause budget' : `fit the ${formatPause(this.options.pauseBudgetMs)} pause budget${leakNote}`;
    this.announce(`full:${profile}`, `the service holds ${goroutines.toLocaleString('en-US')} goroutines: full dumps (${profile}) ${why}`);
    return snapshot;
  }

  private countsOnly(counts: Snapshot, views: SnapshotViews, goroutines: number): Snapshot {
    views.skipped = 'over-budget';
    if (this.creators.learnedAt !== undefined) {
      this.creators.apply(counts);
      views.creatorsFrom = this.creators.learnedAt;
    }
    counts.source.views = views;
    const estimate = this.budget.estimateMs('debug=2', goroutines);
    this.announce(
      'counts',
      `the service holds ${goroutines.toLocaleString('en-US')} goroutines: a full dump would stop it for about ${formatPause(estimate)}, ` +
        `over the ${formatPause(this.options.pauseBudgetMs)} pause budget; snapshots count goroutines per stack (goroutine?debug=1) ` +
        `while it does not fit: no goroutine ids, wait reasons or wait minutes (--pause-budget ${suggestedBudget(estimate)} would take them)`,
    );
    return counts;
  }

  private announce(choice: string, line: string): void {
    if (choice === this.lastChoice) return;
    this.lastChoice = choice;
    this.options.say?.(line);
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** A budget a little above the estimate, in words the option accepts. */
function suggestedBudget(estimateMs: number): string {
  const ms = estimateMs * 1.5;
  return ms >= 1000 ? `${Math.ceil(ms / 1000)}s` : `${Math.ceil(ms / 10) * 10}ms`;
}
