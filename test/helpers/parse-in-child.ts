/**
 * Loads one input file in this process and prints what happened, with the
 * process's peak RSS and heap, so that tests can bound the memory and time
 * a parse takes from outside (node dist/test/helpers/parse-in-child.js FILE).
 */
import { loadSnapshotFile } from '../../src/formats/load.js';
import { LeakscanError } from '../../src/util/errors.js';

const file = process.argv[2]!;
const startRss = process.resourceUsage().maxRSS * 1024;
const started = performance.now();
let peakHeap = 0;
const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 5);
let outcome: string;
let message = '';
try {
  const snapshot = await loadSnapshotFile(file);
  outcome = `read ${snapshot.tasks.length} tasks`;
} catch (error) {
  outcome = error instanceof LeakscanError ? 'refused' : 'crashed';
  message = error instanceof Error ? error.message : String(error);
}
clearInterval(sampler);
peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
process.stdout.write(JSON.stringify({ outcome, message, startRss, peakRss: process.resourceUsage().maxRSS * 1024, peakHeap, ms: performance.now() - started }));
