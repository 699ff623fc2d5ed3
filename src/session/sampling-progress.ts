import type { Analyzer } from '../analysis/analyze.js';
import type { Snapshot } from '../model/format.js';
import { taskTotal } from '../model/builder.js';
import { plural } from '../report/format.js';

/** One line per snapshot on stderr: what was taken and the leading suspect so far. */
export function snapshotProgressLine(index: number, count: number, snapshot: Snapshot, analyzer: Analyzer): string {
  const taskWord = snapshot.runtime === 'go' ? 'goroutine' : 'async resource';
  let line = `snapshot ${index + 1}/${count}: ${plural(taskTotal(snapshot), taskWord)}`;
  if (index > 0) {
    const [top] = analyzer.finish().suspects;
    if (top && top.score > 0) line += `; top suspect so far: ${top.site.anchor?.fn || top.key} (score ${top.score})`;
  }
  return line;
}
