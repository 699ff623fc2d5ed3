/**
 * Child process of bench/parse: parses one file the way `leakscan show`
 * does (streamed from disk) and reports time and peak RSS as JSON, so each
 * measurement starts from a clean heap.
 */
import { loadSnapshotFile } from '../src/sources/load.js';

const file = process.argv[2]!;
const baselineRss = process.memoryUsage().rss;
const started = performance.now();
const snapshot = await loadSnapshotFile(file);
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({
  ms,
  tasks: snapshot.tasks.length,
  stacks: snapshot.stacks.length,
  frames: snapshot.frames.length,
  baselineRss,
  peakRss: process.resourceUsage().maxRSS * 1024,
}) + '\n');
