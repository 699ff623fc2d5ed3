/**
 * What the terminal listings (diff, attach, run, check) say about a suspect
 * beyond its score line, and about the run as a whole. One place writes
 * these lines, so the CI gate's output explains a leak in the same words as
 * the ranking a developer reads.
 */
import chalk from 'chalk';
import type { SeriesResult } from '../analysis/series.js';
import type { Suspect } from '../analysis/score.js';
import type { SameLeak } from '../analysis/chains.js';
import { describeFrame } from './frame-text.js';
import { safeText } from './format.js';
import { kindCountInWords } from '../model/resource-kinds.js';

/** What a site holds, in words: "608 Timeouts", "5 Promises, 1 TCP socket". */
export function holdsText(kinds: readonly { kind: string; count: number }[]): string {
  return kinds.map(({ kind, count }) => `${count.toLocaleString('en-US')} ${kindCountInWords(kind, count)}`).join(', ');
}

/** Another site of the same leak, in words: "200 Promises at onPayment listener-promise.mjs:99 (the same async call)". */
export function sameLeakText({ suspect, reason }: SameLeak): string {
  const where = suspect.site.anchor ? describeFrame(suspect.site.anchor) : suspect.key;
  return `${holdsText(suspect.site.kinds)} at ${where} (${reason})`;
}

/**
 * The `holds` line: Go sites hold goroutines only, so it is said for Node
 * sites, which may hold timers, promises, sockets or listeners.
 */
export function holdsLines(s: Suspect, runtime: string, indent: string): string[] {
  return runtime === 'node' && s.site.kinds.length > 0 ? [`${indent}${chalk.dim('holds')} ${safeText(holdsText(s.site.kinds))}`] : [];
}

/** The `labels` line: the site's most common label set (Go's pprof labels; what a Node resource is, "'change' listener on EventEmitter"). */
export function labelLines(s: Suspect, indent: string): string[] {
  const top = s.site.labels[0];
  if (top === undefined) return [];
  const text = Object.entries(top.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return [`${indent}${chalk.dim('labels')} ${safeText(text)}`];
}

/** One `with` line for each other site folded into this suspect's leak (chains.ts). */
export function sameLeakLines(s: Suspect, indent: string): string[] {
  return (s.sameLeak ?? []).map((other) => `${indent}${chalk.dim('with')} ${safeText(sameLeakText(other))}`);
}

/** The run's warnings (estimated counts, sampled windows, cut dumps): a verdict or ranking resting on them should say so. */
export function seriesWarningLines(series: SeriesResult): string[] {
  return series.warnings.map((warning) => chalk.yellow(`warning: ${safeText(warning)}`));
}
