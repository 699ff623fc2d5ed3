import { Analyzer } from '../analysis/analyze.js';
import type { Analysis, AnalysisOptions } from '../analysis/analyze.js';
import { expandInputs, forEachSnapshot } from '../formats/inputs.js';
import { Progress } from './progress.js';

/** Analyses snapshot files and directories given on the command line, one file at a time, with progress. */
export async function analyzeInputs(inputs: readonly string[], options: AnalysisOptions): Promise<Analysis> {
  const files = await expandInputs(inputs);
  const analyzer = new Analyzer(options);
  const progress = new Progress();
  await forEachSnapshot(
    files,
    (snapshot, file) => analyzer.add(snapshot, file),
    (done, total, file) => progress.update(`reading ${done + 1}/${total}: ${file}`),
  );
  progress.done();
  return analyzer.finish();
}
