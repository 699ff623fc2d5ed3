/**
 * Child process of bench/analyze: loads a series of dumps one at a time and
 * feeds them to the analysis, timing the two apart.
 */
import { loadSnapshotFile } from '../src/formats/load.js';
import { Analyzer } from '../src/analysis/analyze.js';

const files = process.argv.slice(2);
const analyzer = new Analyzer();
let parseMs = 0;
let analyzeMs = 0;
for (const [i, file] of files.entries()) {
  let started = performance.now();
  const snapshot = await loadSnapshotFile(file);
  // Dumps fetched back to back carry almost the same time; space them a minute apart.
  snapshot.takenAt = i * 60_000;
  parseMs += performance.now() - started;
  started = performance.now();
  analyzer.add(snapshot, file);
  analyzeMs += performance.now() - started;
}
const started = performance.now();
const analysis = analyzer.finish();
analyzeMs += performance.now() - started;
process.stdout.write(
  JSON.stringify({
    parseMs,
    analyzeMs,
    sites: analysis.suspects.length,
    peakRss: process.resourceUsage().maxRSS * 1024,
  }) + '\n',
);
