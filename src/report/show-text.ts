/** Terminal output of `leakscan show`: what one snapshot holds. */
import { snapshotWarnings } from '../model/sampling-warning.js';
import chalk from 'chalk';
import type { Snapshot } from '../model/format.js';
import { describeFrame } from './frame-text.js';
import type { SnapshotSummary } from '../analysis/summary.js';
import { formatCount, formatTime, padEnd, padStart, plural, safeText } from './format.js';

export function renderShow(snapshot: Snapshot, summary: SnapshotSummary, top: number): string {
  const out: string[] = [];
  const taskWord = snapshot.runtime === 'go' ? 'goroutine' : 'async resource';
  const src = snapshot.source;
  const from = src.url ?? src.file ?? (src.pid !== undefined ? `pid ${src.pid}` : 'unknown source');
  const details = [src.profile, src.runtimeVersion].filter(Boolean).join(', ');
  out.push(chalk.bold(`${snapshot.runtime} snapshot of ${safeText(from)}`) + (details ? ` (${safeText(details)})` : ''));
  out.push(`taken ${formatTime(snapshot.takenAt)}`);
  const states = summary.byState.map(([state, n]) => `${formatCount(n)} ${safeText(state)}`).join(', ');
  out.push(`${plural(summary.total, taskWord)}${states ? `: ${states}` : ''}`);
  if (summary.leaked > 0) {
    out.push(chalk.red.bold(`${plural(summary.leaked, taskWord)} confirmed leaked by the Go runtime`));
  }
  for (const warning of snapshotWarnings(snapshot)) out.push(chalk.yellow(`warning: ${safeText(warning)}`));

  const groups = summary.groups.slice(0, top);
  if (groups.length > 0) {
    out.push('', chalk.bold(`Biggest groups (${groups.length} of ${plural(summary.groups.length, 'site')})`));
    const countWidth = Math.max(5, ...groups.map((g) => formatCount(g.count).length));
    out.push(chalk.dim(`${padStart('COUNT', countWidth)}  ${padEnd('STATE', 22)}  SITE`));
    for (const group of groups) {
      // The most common state, and how many others the group also has.
      let state = (group.states[0]?.[0] ?? '') + (group.states.length > 1 ? ` +${group.states.length - 1}` : '');
      if (group.maxWaitMinutes !== undefined) state += `, ${group.maxWaitMinutes}m`;
      const site = group.site.anchor ? describeFrame(group.site.anchor) : group.site.key;
      const marks = [
        group.leaked > 0 ? chalk.red(`[${formatCount(group.leaked)} leaked]`) : '',
        group.userCode ? '' : chalk.dim('[library]'),
        group.maxElidedFrames !== undefined ? chalk.dim(`[${plural(group.maxElidedFrames, 'frame')} elided]`) : '',
        group.stackUnavailable > 0 ? chalk.dim(`[stack unavailable: running on another thread]`) : '',
      ].filter(Boolean);
      out.push(`${padStart(formatCount(group.count), countWidth)}  ${padEnd(safeText(state), 22)}  ${site}${marks.length ? ` ${marks.join(' ')}` : ''}`);
      const indent = ' '.repeat(countWidth + 2 + 22 + 2);
      if (group.site.createdBy) out.push(`${indent}${chalk.dim('created by')} ${describeFrame(group.site.createdBy)}`);
      for (const [labels, n] of group.labels.slice(0, 2)) {
        const text = Object.entries(labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ');
        out.push(`${indent}${chalk.dim('labels')} ${safeText(text)}${n !== group.count ? chalk.dim(` (${formatCount(n)})`) : ''}`);
      }
    }
  }
  return out.join('\n') + '\n';
}
