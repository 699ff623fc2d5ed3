import type { Analysis } from '../analysis/analyze.js';
import type { GroupBy } from '../model/site.js';
import { renderHtmlReport } from './html.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/** Writes the HTML report of an analysis (atomically) and says where. */
export async function writeHtmlReport(path: string, analysis: Analysis, groupBy: GroupBy, say: (line: string) => void, title?: string): Promise<void> {
  const html = renderHtmlReport({ analysis, first: analysis.first, last: analysis.last, groupBy, ...(title ? { title } : {}) });
  await writeFileAtomic(path, html);
  say(`report: ${path}`);
}
