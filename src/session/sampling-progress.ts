import type { Analyzer } from '../analysis/analyze.js';
import type { Snapshot } from '../model/format.js';
import { taskTotal } from '../model/builder.js';
import { plural, safeText } from '../report/format.js';
import { functionName } from '../model/site.js';
import { frameWhere } from '../report/frame-text.js';
import type { Suspect } from '../analysis/score.js';
import { formatDuration } from '../util/duration.js';

/** One line per snapshot on stderr: what was taken and the leading suspect so far. */
export function snapshotProgressLine(index: number, count: number, snapshot: Snapshot, analyzer: Analyzer): string {
  const taskWord = snapshot.runtime === 'go' ? 'goroutine' : 'async resource';
  let line = `snapshot ${index + 1}/${count}: ${plural(taskTotal(snapshot), taskWord)}`;
  // Go under a pause budget: say when a snapshot has counts only (no full dump).
  const views = snapshot.source.views;
  if (views !== undefined && views.details === undefined) line += ' (counts only)';
  if (index > 0) {
    const [top] = analyzer.finish().suspects;
    if (top && top.score > 0) line += `; top suspect so far: ${safeText(siteWords(top))} (score ${top.score})`;
  }
  return line;
}

/** "openSession leaked-before-attach.mjs:53", as the ranking names the site; a site with no line by its key. */
function siteWords(s: Suspect): string {
  const anchor = s.site.anchor;
  if (anchor === undefined) return s.key;
  const where = frameWhere(anchor);
  return where ? `${functionName(anchor)} ${where}` : functionName(anchor);
}

/** "12 snapshots, 5s apart: about 55s": what sampling will do, and how long it takes. */
export function samplingPlan(count: number, intervalSeconds: number): string {
  const about = formatDuration((count - 1) * intervalSeconds);
  return `${plural(count, 'snapshot')}, ${formatDuration(intervalSeconds)} apart${count > 1 ? `: about ${about}` : ''}`;
}
