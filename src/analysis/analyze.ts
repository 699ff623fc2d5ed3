/**
 * Analysis entry point: a series of snapshots in, ranked suspects out.
 */
import type { Snapshot } from '../model/format.js';
import type { GroupBy } from '../model/site.js';
import { IgnoreRules } from './ignore.js';
import type { IgnoreRuleSet } from './ignore.js';
import { SeriesBuilder } from './series.js';
import type { SeriesResult } from './series.js';
import { scoreSites } from './score.js';
import { placeUnplacedPromises } from './unplaced-promises.js';
import { foldSameLeaks } from './chains.js';
import type { Suspect } from './score.js';

export interface AnalysisOptions {
  groupBy: GroupBy;
  /** Use the built-in ignore list (runtime, signal and test goroutines). */
  defaultIgnores: boolean;
  ignore: IgnoreRuleSet;
}

export const defaultAnalysisOptions: AnalysisOptions = { groupBy: 'function', defaultIgnores: true, ignore: {} };

export interface Analysis {
  series: SeriesResult;
  /** Every site, highest score first. */
  suspects: Suspect[];
  /** The first and last snapshots, kept whole for the report's flamegraphs; the others are dropped. */
  first: Snapshot;
  last: Snapshot;
}

export function ignoreRulesFor(options: AnalysisOptions): IgnoreRules {
  return (options.defaultIgnores ? IgnoreRules.defaults() : IgnoreRules.none()).with(options.ignore);
}

/** Incremental analysis: add snapshots as they are taken or loaded, then finish. */
export class Analyzer {
  private readonly builder: SeriesBuilder;
  private first: Snapshot | undefined;
  private last: Snapshot | undefined;

  constructor(options: AnalysisOptions = defaultAnalysisOptions) {
    this.builder = new SeriesBuilder(options.groupBy, ignoreRulesFor(options));
  }

  add(snapshot: Snapshot, name: string): void {
    this.builder.add(snapshot, name);
    this.first ??= snapshot;
    this.last = snapshot;
  }

  finish(): Analysis {
    const series = placeUnplacedPromises(this.builder.result());
    return { series, suspects: foldSameLeaks(scoreSites(series), series), first: this.first!, last: this.last! };
  }
}

export function analyze(snapshots: readonly Snapshot[], options: AnalysisOptions = defaultAnalysisOptions): Analysis {
  const analyzer = new Analyzer(options);
  snapshots.forEach((s, i) => analyzer.add(s, `snapshot ${i + 1}`));
  return analyzer.finish();
}
