/**
 * Child process of bench/parse and bench/parse-compare: parses one file the
 * way `leakscan show` does (streamed from disk, interned) and, with --group,
 * groups its goroutines by site as show and diff do. Reports time and peak
 * RSS as JSON, so each measurement starts from a clean heap.
 */
import { loadSnapshotFile } from '../src/formats/load.js';
import { summarizeSnapshot } from '../src/analysis/summary.js';

const group = process.argv.includes('--group');
const file = process.argv.filter((a) => !a.startsWith('--'))[2]!;
const baselineRss = process.memoryUsage().rss;
const started = performance.now();
const snapshot = await loadSnapshotFile(file);
const groups = group ? summarizeSnapshot(snapshot).groups.length : 0;
const ms = performance.now() - started;
process.stdout.write(
  JSON.stringify({
    ms,
    tasks: snapshot.tasks.length,
    stacks: snapshot.stacks.length,
    frames: snapshot.frames.length,
    groups,
    baselineRss,
    peakRss: process.resourceUsage().maxRSS * 1024,
  }) + '\n',
);
