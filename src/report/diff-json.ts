/**
 * The `--json` output of `leakscan diff` (and of the analysis part of
 * attach). Documented in docs/json-schema.md; `schema` and `version` let a
 * consumer refuse what it does not know. Additive fields keep the version.
 */
import type { Analysis } from '../analysis/analyze.js';
import type { Frame } from '../model/format.js';
import type { Suspect } from '../analysis/score.js';
import { foldInternalSites } from '../analysis/internal-sites.js';
import { kindInWords } from '../model/resource-kinds.js';

function holds(s: Suspect): { kind: string; count: number }[] {
  return s.site.kinds.map(({ kind, count }) => ({ kind: kindInWords(kind), count }));
}

export const DIFF_SCHEMA = 'leakscan.diff';
export const DIFF_SCHEMA_VERSION = 1;

export interface DiffJson {
  schema: typeof DIFF_SCHEMA;
  version: number;
  runtime: string;
  /** `notStarted`: Go count profiles, goroutines not yet run (in `total`, in no site); absent when none. */
  snapshots: { takenAt: number; total: number; ignored: number; notStarted?: number; source: Record<string, unknown> }[];
  /** Whether lifetime could be measured (tasks carry ids). */
  lifetimeKnown: boolean;
  suspects: {
    rank: number;
    key: string;
    score: number;
    confirmedLeak: boolean;
    explanation: string;
    counts: number[];
    growth: null | { first: number; last: number; net: number; perMinute: number; up: number; down: number; steps: number; monotonicity: number };
    survival: number | null;
    blocking: number | null;
    state: string;
    stateShare: number;
    states: Record<string, number>;
    userCode: boolean;
    anchor: Frame | null;
    createdBy: Frame | null;
    stack: Frame[];
    maxWaitMinutes: number | null;
    /** Each kind of evidence as a chance in 0..1; the score is 100 x (1 - (1 - growth) x (1 - stuck) x (1 - outlived) x (1 - piled)), or 100 when proof. */
    evidence: { growth: number; stuck: number; outlived: number; piled: number; proof: boolean };
    /** The tasks that made no progress (same state and frame at every look), with what dates and weighs them. */
    stuck: null | {
      count: number;
      looks: number;
      minutes: number;
      noProgress: number;
      state: string;
      meaning: number;
      share: number;
      dating: null | {
        oldestId: number;
        newestId: number;
        clock: number;
        oldestMinutesAgo: number | null;
        newestMinutesAgo: number | null;
        startedWithProcess: boolean;
        spread: number;
      };
    };
    labels: { labels: Record<string, string>; count: number }[];
    /** What the site holds in the last snapshot where it had tasks: kinds in words ("Timeout", "Promise", "TCP socket", "listener", "goroutine"), most first. */
    holds: { kind: string; count: number }[];
    /** Other sites of the same leak folded into this one (an async call's other promises, once()'s listeners), no longer suspects of their own. */
    sameLeak: { key: string; score: number; reason: string; anchor: Frame | null; counts: number[]; holds: { kind: string; count: number }[] }[];
  }[];
  /** Node: sites of Node's own code only (no frame of the program) scoring under 30, left out of `suspects` (internal-sites.ts). */
  foldedInternals: { key: string; score: number; counts: number[]; holds: { kind: string; count: number }[] }[];
  warnings: string[];
}

export function diffJson(analysis: Analysis, options: { top: number; minScore: number }): DiffJson {
  const { series } = analysis;
  const { listed, folded } = foldInternalSites(analysis);
  return {
    schema: DIFF_SCHEMA,
    version: DIFF_SCHEMA_VERSION,
    runtime: series.runtime,
    snapshots: series.times.map((takenAt, i) => ({
      takenAt,
      total: series.totals[i]!,
      ignored: series.ignored[i]!,
      ...(series.notStarted[i]! > 0 ? { notStarted: series.notStarted[i]! } : {}),
      source: { ...series.sources[i] },
    })),
    lifetimeKnown: series.hasIds,
    suspects: listed
      .filter((s) => s.score >= options.minScore)
      .slice(0, options.top)
      .map((s, i) => ({
        rank: i + 1,
        key: s.key,
        score: s.score,
        confirmedLeak: s.confirmed,
        explanation: s.explanation,
        counts: s.site.counts,
        growth: s.growth ?? null,
        survival: s.survival ?? null,
        blocking: s.blocking ?? null,
        state: s.mainState,
        stateShare: s.mainStateShare,
        states: Object.fromEntries(s.site.states),
        userCode: s.site.userCode,
        anchor: s.site.anchor ?? null,
        createdBy: s.site.createdBy ?? null,
        stack: s.site.exampleStack,
        maxWaitMinutes: s.site.maxWaitMinutes ?? null,
        evidence: s.evidence,
        stuck:
          s.stuck === undefined
            ? null
            : {
                count: s.stuck.count,
                looks: s.stuck.looks,
                minutes: s.stuck.minutes,
                noProgress: s.stuck.noProgress,
                state: s.stuck.state,
                meaning: s.stuck.meaning,
                share: s.stuck.share,
                dating:
                  s.stuck.dating === undefined
                    ? null
                    : {
                        oldestId: s.stuck.dating.oldestId,
                        newestId: s.stuck.dating.newestId,
                        clock: s.stuck.dating.clock,
                        oldestMinutesAgo: s.stuck.dating.oldestMinutesAgo ?? null,
                        newestMinutesAgo: s.stuck.dating.newestMinutesAgo ?? null,
                        startedWithProcess: s.stuck.dating.startedWithProcess,
                        spread: s.stuck.dating.spread,
                      },
              },
        labels: s.site.labels.slice(0, 5).map(({ labels, count }) => ({ labels, count })),
        holds: holds(s),
        sameLeak: (s.sameLeak ?? []).map(({ suspect, reason }) => ({
          key: suspect.key,
          score: suspect.score,
          reason,
          anchor: suspect.site.anchor ?? null,
          counts: suspect.site.counts,
          holds: holds(suspect),
        })),
      })),
    foldedInternals: folded.map((s) => ({ key: s.key, score: s.score, counts: s.site.counts, holds: holds(s) })),
    warnings: series.warnings,
  };
}
