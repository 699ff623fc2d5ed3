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
 *
 * The first and the last snapshot of a series may pause longer, up to the
 * evidence pause: their full dumps (goroutine ids, states, `N minutes`)
 * are what shows that goroutines made no progress across the window and
 * when they were created, the evidence for a leak that stopped growing
 * before the attach. The snapshots between them only count.
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
import type { SnapshotTurn } from '../target.js';
import { CreatorTable, addCountsBeyondCut } from './count-view.js';
import { plural } from '../../report/format.js';

export interface BudgetedReadOptions extends PprofOptions {
  /** The worst pause a snapshot may cause, in milliseconds; Infinity for no limit. */
  pauseBudgetMs: number;
  /**
   * The worst pause the first and last snapshot of a series may cause, for
   * full dumps that do not fit the budget, in milliseconds; 0 for none.
   */
  evidencePauseMs?: number;
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
  private evidenceSaid = false;

  constructor(
    private readonly url: string,
    private readonly options: BudgetedReadOptions,
  ) {
    this.budget = new PauseBudget(options.pauseBudgetMs);
    this.leakProfile = options.leakProfile;
  }

  /** `position`: where this snapshot is in its series; without it, the pause budget alone decides. */
  async read(position?: SnapshotTurn): Promise<Snapshot> {
    // An explicit profile URL: the user chose what to fetch.
    if (explicitProfileUrl(this.url) !== undefined) return snapshotFromPprof(this.url, this.options);
    const base = pprofBase(this.url);
    const counts = (await fetchProfile(base, 'goroutine?debug=1', this.options))!;
    const goroutines = taskTotal(counts.snapshot);
    const evidenceMs = this.evidencePauseAt(position);
    // The longest pause this snapshot may cause: the budget, or the
    // evidence pause at the ends of the series when the budget is smaller.
    const limitMs = Math.max(this.options.pauseBudgetMs, evidenceMs);
    const wanted: FullDumpProfile =
      this.leakProfile && this.budget.fitsWithin('goroutineleak?debug=2', goroutines, limitMs) ? 'goroutineleak?debug=2' : 'debug=2';
    const views: SnapshotViews = {
      counts: 'debug=1',
      countedTasks: goroutines,
      pauseBudgetMs: this.options.pauseBudgetMs,
    };
    if (this.options.pauseBudgetMs !== Infinity) views.estimatedPauseMs = round(this.budget.estimateMs(wanted, goroutines));
    if (!this.budget.fitsWithin(wanted, goroutines, limitMs)) return this.countsOnly(counts.snapshot, views, goroutines, position);
    const forEvidence = !this.budget.fits(wanted, goroutines);
    if (forEvidence) views.evidencePauseMs = evidenceMs;

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
    this.budget.record(profile, goroutines, full.firstByteMs);
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
    if (forEvidence) {
      this.announceEvidence(goroutines, evidenceMs, position!);
      return snapshot;
    }
    const leakNote = profile === 'debug=2' && this.leakProfile ? ' (the goroutineleak profile, which adds a garbage collection, would not)' : '';
    const why = this.options.pauseBudgetMs === Infinity ? 'with no pause budget' : `fit the ${formatPause(this.options.pauseBudgetMs)} pause budget${leakNote}`;
    this.announce(`full:${profile}`, `the service holds ${plural(goroutines, 'goroutine')}: full dumps (${profile}) ${why}`);
    return snapshot;
  }

  /** The evidence pause allowed at this position: 0 but at the first and last snapshot of a series. */
  private evidencePauseAt(position: SnapshotTurn | undefined): number {
    const evidenceMs = this.options.evidencePauseMs ?? 0;
    if (position === undefined || evidenceMs <= 0) return 0;
    return position.index === 0 || position.index === position.count - 1 ? evidenceMs : 0;
  }

  /** Said once per attach, at the first evidence dump: which snapshots get one and why. */
  private announceEvidence(goroutines: number, evidenceMs: number, position: SnapshotTurn): void {
    if (this.evidenceSaid) return;
    this.evidenceSaid = true;
    const estimate = this.budget.estimateMs('debug=2', goroutines);
    const which = position.index === 0 ? 'the first and last snapshots take one' : 'the last snapshot takes one';
    this.options.say?.(
      `the service holds ${plural(goroutines, 'goroutine')}: a full dump stops it for about ${formatPause(estimate)}, ` +
        `over the ${formatPause(this.options.pauseBudgetMs)} pause budget; ${which} for goroutine ids and wait minutes ` +
        `(within --evidence-pause ${formatPause(evidenceMs)}), the others count goroutines per stack`,
    );
  }

  private countsOnly(counts: Snapshot, views: SnapshotViews, goroutines: number, position: SnapshotTurn | undefined): Snapshot {
    views.skipped = 'over-budget';
    if (this.creators.learnedAt !== undefined) {
      this.creators.apply(counts);
      views.creatorsFrom = this.creators.learnedAt;
    }
    counts.source.views = views;
    const estimate = this.budget.estimateMs('debug=2', goroutines);
    const evidenceMs = this.evidencePauseAt(position);
    if (this.evidenceSaid) {
      // The snapshots between the evidence dumps were announced with the
      // first; a last one over the evidence pause is said.
      if (evidenceMs > 0) {
        this.announce(
          'evidence-over',
          `the service holds ${plural(goroutines, 'goroutine')}: the last snapshot's full dump would stop it for about ${formatPause(estimate)}, ` +
            `over --evidence-pause ${formatPause(evidenceMs)}: counts per stack only (--evidence-pause ${suggestedBudget(estimate)} would take it)`,
        );
      }
      return counts;
    }
    const over =
      evidenceMs > 0
        ? `the ${formatPause(this.options.pauseBudgetMs)} pause budget and the ${formatPause(evidenceMs)} evidence pause`
        : `the ${formatPause(this.options.pauseBudgetMs)} pause budget`;
    this.announce(
      'counts',
      `the service holds ${plural(goroutines, 'goroutine')}: a full dump would stop it for about ${formatPause(estimate)}, ` +
        `over ${over}; snapshots count goroutines per stack (goroutine?debug=1) ` +
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
