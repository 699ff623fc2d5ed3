/**
 * bench/report: time to build the HTML report and its size, for snapshots of
 * 1k, 100k and 1M goroutines made by fixtures/go/crowd (runtime.Stack dumps,
 * never cut). The report aggregates before embedding, so its size should
 * not follow the goroutine count.
 *
 *   npm run bench:report        (or: node dist/bench/report.js 1000 100000 1000000)
 *
 * Parse time is printed beside the report time as the baseline of the same
 * run. The 1M dump takes a few GB of memory in crowd and ~600 MB on disk.
 */
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { benchCache, crowdDump, mib } from './crowd.js';
import { loadSnapshotFile } from '../src/formats/load.js';
import { Analyzer } from '../src/analysis/analyze.js';
import { renderHtmlReport } from '../src/report/html.js';

const sizes = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [1_000, 100_000, 1_000_000];
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
console.log('goroutines  dump        parse      report     report size  opened and drawn in Chromium');
for (const n of sizes) {
  const file = await crowdDump(n);
  let started = performance.now();
  const snapshot = await loadSnapshotFile(file);
  const parseMs = performance.now() - started;
  // Two snapshots, as the report always has a first and a last.
  const analyzer = new Analyzer();
  analyzer.add({ ...snapshot, takenAt: 0 }, 'first');
  analyzer.add({ ...snapshot, takenAt: 60_000 }, 'last');
  started = performance.now();
  const analysis = analyzer.finish();
  const html = renderHtmlReport({ analysis, first: analysis.first, last: analysis.last, groupBy: 'function' });
  const reportMs = performance.now() - started;
  const htmlFile = join(benchCache, `report-${n}.html`);
  writeFileSync(htmlFile, html);
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  started = performance.now();
  await page.goto(`file://${htmlFile}`);
  await page.locator('#chart .d3-flame-graph-label', { hasText: /\S/ }).first().waitFor();
  const drawMs = performance.now() - started;
  await page.close();
  console.log(
    `${n.toLocaleString('en-US').padStart(10)}  ${mib(statSync(file).size).padStart(10)}  ${`${parseMs.toFixed(0)} ms`.padStart(9)}  ${`${reportMs.toFixed(0)} ms`.padStart(9)}  ${mib(Buffer.byteLength(html)).padStart(10)}   ${drawMs.toFixed(0)} ms`,
  );
}
await browser.close();
