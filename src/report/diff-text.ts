/** Terminal output of `leakscan diff`: ranked suspects, most likely leak first. */
import { isRuntimeFrame } from '../model/runtime-frames.js';
import chalk from 'chalk';
import type { Analysis } from '../analysis/analyze.js';
import type { Suspect } from '../analysis/score.js';
import { SHORT_WINDOW_SECONDS } from '../analysis/score.js';
import type { SeriesResult } from '../analysis/series.js';
import type { Frame } from '../model/format.js';
import { describeFrame } from './frame-text.js';
import { formatTime, padStart, plural, safeText, wrapText } from './format.js';
import { sparkline } from './sparkline.js';
import { FOLD_INTERNAL_BELOW, foldInternalSites } from '../analysis/internal-sites.js';
import { holdsLines, labelLines, sameLeakLines, seriesWarningLines } from './suspect-text.js';

export interface DiffTextOptions {
  top: number;
  minScore: number;
  /** How many user frames of the example stack to print under each suspect. */
  frames: number;
  /** Wrap explanations to this many columns (a terminal's width); undefined: one line each. */
  width?: number;
}

export function renderDiff(analysis: Analysis, options: DiffTextOptions): string {
  const { series } = analysis;
  const out: string[] = [];
  const n = series.times.length;
  const taskWord = series.runtime === 'go' ? 'goroutine' : 'async resource';
  const span = n > 1 ? ` over ${formatDuration(series.times[n - 1]! - series.times[0]!)}` : '';
  out.push(
    chalk.bold(`${series.runtime}: ${plural(n, 'snapshot')}${span}`) + chalk.dim(` (${formatTime(series.times[0]!)} to ${formatTime(series.times[n - 1]!)})`),
  );
  out.push(`${plural(series.totals[0]!, taskWord)} at first, ${series.totals[n - 1]!.toLocaleString('en-US')} at last ${sparkline(series.totals)}`);
  if (n < 2) out.push(chalk.yellow('one snapshot: growth is unknown, so scores are capped at 50; take more snapshots over time'));
  out.push(...seriesWarningLines(series));

  const { listed, folded } = foldInternalSites(analysis);
  const sites = listed.filter((s) => !isEmptyAndQuiet(s));
  const emptied = listed.length - sites.length;
  const notListed = [...(folded.length > 0 ? [chalk.dim(foldedText(folded.length))] : []), ...(emptied > 0 ? [chalk.dim(emptiedText(emptied))] : [])];
  const footer = notListed.length > 0 ? ['', ...notListed] : [];
  const shown = sites.filter((s) => s.score >= options.minScore).slice(0, options.top);
  if (shown.length === 0) {
    out.push('', chalk.green(`no suspect scores ${options.minScore} or more`), ...footer);
    return out.join('\n') + '\n';
  }
  // "shown of": how many of the sites worth a line are printed here (--top and
  // --min-score choose), so diff and attach's shorter list read the same.
  out.push('', chalk.bold(`Suspects (${shown.length} shown of ${plural(sites.length, 'site')})`));
  for (const [i, suspect] of shown.entries()) {
    out.push('', renderSuspect(i + 1, suspect, options.frames, options.width, analysis.series.runtime));
  }
  out.push(...footer);
  // The verdict a reader looks for first, when the list holds nothing worth it.
  if (shown.every((s) => s.score < SUSPECT_SCORE)) out.push('', quietVerdict(series));
  return out.join('\n') + '\n';
}

/** The score from which a site is called a suspect (docs/scoring.md). */
const SUSPECT_SCORE = 30;

/** Nothing scored: said plainly, and what a short window cannot tell (a pile that stopped growing weighs less the shorter it is watched). */
function quietVerdict(series: SeriesResult): string {
  const seconds = (series.times[series.times.length - 1]! - series.times[0]!) / 1000;
  if (seconds >= SHORT_WINDOW_SECONDS) return chalk.green(`no site scores ${SUSPECT_SCORE} or more: nothing here looks like a leak`);
  return chalk.yellow(
    `no site scores ${SUSPECT_SCORE} or more; over ${formatDuration(seconds * 1000)}, less than the defaults' 55s, a pile that stopped growing weighs less, so it may still be a leak`,
  );
}

/**
 * A site that scored 0 and held nothing at the last snapshot: what was made
 * there came and went. A line for it says nothing and pushes the list
 * down; the JSON output keeps it.
 */
function isEmptyAndQuiet(s: Suspect): boolean {
  return s.score === 0 && s.site.counts[s.site.counts.length - 1] === 0;
}

function foldedText(n: number): string {
  return `${plural(n, 'site')} of Node's own code (no frame of the program) scoring under ${FOLD_INTERNAL_BELOW} not listed; --json lists them under foldedInternals`;
}

function emptiedText(n: number): string {
  return `${plural(n, 'site')} that scored 0 and held nothing at the last snapshot not listed`;
}

function renderSuspect(rank: number, s: Suspect, frameCount: number, width: number | undefined, runtime: string): string {
  const lines: string[] = [];
  const scoreText = padStart(String(s.score), 3);
  const coloured = s.score >= 70 ? chalk.red.bold(scoreText) : s.score >= 30 ? chalk.yellow(scoreText) : chalk.dim(scoreText);
  const last = s.site.counts[s.site.counts.length - 1]!;
  const site = s.site.anchor ? describeFrame(s.site.anchor) : s.key;
  lines.push(
    `${padStart(`#${rank}`, 4)} ${coloured}  ${sparkline(s.site.counts)} ${padStart(last.toLocaleString('en-US'), 6)}  ${site}${s.confirmed ? chalk.red.bold('  LEAKED') : ''}`,
  );
  const indent = '      ';
  lines.push(wrapText(safeText(s.explanation), indent, width));
  lines.push(...holdsLines(s, runtime, indent));
  if (s.site.createdBy) lines.push(`${indent}${chalk.dim('created by')} ${describeFrame(s.site.createdBy)}`);
  const anchor = s.site.anchor;
  const isAnchor = (f: Frame) => anchor !== undefined && f.fn === anchor.fn && f.file === anchor.file && f.line === anchor.line;
  const userFrames = s.site.exampleStack.filter((f) => !isAnchor(f) && !isRuntimeFrame(f)).slice(0, frameCount);
  for (const frame of userFrames) lines.push(`${indent}${chalk.dim('  in')} ${describeFrame(frame)}`);
  lines.push(...labelLines(s, indent), ...sameLeakLines(s, indent));
  return lines.join('\n');
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  return `${(minutes / 60).toFixed(1)} h`;
}
