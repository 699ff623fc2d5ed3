/**
 * The CI gate's decision: which suspects fail the build.
 *
 * A suspect fails when it crosses a threshold (score >= failScore, growth
 * above maxGrowth per minute, or a leak confirmed by the runtime) unless it
 * is accepted: listed in the baseline and not worse than it by the margins
 * (score more than `scoreMargin` points higher, or growth more than
 * `growthMargin` times faster), or allowed by a per-site allowance of the
 * config file.
 */
import type { Analysis } from './analyze.js';
import type { Suspect } from './score.js';
import type { Baseline, BaselineSite } from './baseline.js';
import { globToRegExp } from './ignore.js';

export interface SiteAllowance {
  /** Site key; `*` is a wildcard. */
  site: string;
  maxScore?: number;
  maxGrowth?: number;
}

export interface GateOptions {
  failScore: number;
  /** Tasks per minute; undefined means growth alone never fails. */
  maxGrowth?: number;
  baseline?: Baseline;
  scoreMargin: number;
  growthMargin: number;
  allow: SiteAllowance[];
}

export const defaultGateOptions: GateOptions = { failScore: 70, scoreMargin: 15, growthMargin: 1, allow: [] };

export type Verdict = { kind: 'fail'; reason: string } | { kind: 'accepted'; reason: string } | { kind: 'pass' };

export interface GateResult {
  analysis: Analysis;
  /** Every suspect with its verdict, highest score first. */
  verdicts: { suspect: Suspect; verdict: Verdict }[];
  failed: number;
  options: GateOptions;
}

export function runGate(analysis: Analysis, options: GateOptions): GateResult {
  const baselineSites = new Map<string, BaselineSite>((options.baseline?.sites ?? []).map((s) => [s.key, s]));
  const allowances = options.allow.map((a) => ({ ...a, pattern: globToRegExp(a.site) }));
  const verdicts = analysis.suspects.map((suspect) => ({ suspect, verdict: judge(suspect, options, baselineSites, allowances) }));
  return { analysis, verdicts, failed: verdicts.filter((v) => v.verdict.kind === 'fail').length, options };
}

function judge(s: Suspect, options: GateOptions, baseline: Map<string, BaselineSite>, allowances: (SiteAllowance & { pattern: RegExp })[]): Verdict {
  const perMinute = s.growth?.perMinute ?? 0;
  const allowance = allowances.find((a) => a.pattern.test(s.key));
  const failScore = allowance?.maxScore !== undefined ? allowance.maxScore + 1 : options.failScore;
  const maxGrowth = allowance?.maxGrowth ?? options.maxGrowth;
  const reasons: string[] = [];
  if (s.confirmed) reasons.push('the Go runtime confirmed these goroutines leaked');
  if (s.score >= failScore) reasons.push(`score ${s.score} ≥ ${failScore}`);
  if (maxGrowth !== undefined && perMinute > maxGrowth) reasons.push(`grows ${perMinute.toFixed(1)}/min > ${maxGrowth}/min`);
  if (reasons.length === 0) return { kind: 'pass' };

  const known = baseline.get(s.key);
  if (known !== undefined) {
    const worseScore = s.score > known.score + options.scoreMargin;
    const worseGrowth = known.perMinute > 0 && perMinute > known.perMinute * (1 + options.growthMargin);
    if (!worseScore && !worseGrowth) return { kind: 'accepted', reason: `in the baseline (score ${known.score}, ${known.perMinute}/min)` };
    return {
      kind: 'fail',
      reason: `worse than the baseline: ${worseScore ? `score ${s.score} vs ${known.score} (margin ${options.scoreMargin})` : `${perMinute.toFixed(1)}/min vs ${known.perMinute}/min`}`,
    };
  }
  return { kind: 'fail', reason: `new leak: ${reasons.join('; ')}` };
}
