import type { Command } from 'commander';
import { makeBaseline, baselineJson } from '../../analysis/baseline.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { addAnalysisOptions, resolveAnalysisOptions } from '../analysis-options.js';
import type { AnalysisFlags } from '../analysis-options.js';
import { analyzeInputs } from '../analyze-files.js';
import { score } from '../options.js';
import { plural } from '../../report/format.js';

interface BaselineFlags extends AnalysisFlags {
  output: string;
  minScore: number;
}

export function registerBaseline(program: Command, run: (action: () => Promise<number | void>) => Promise<void>): void {
  const command = program
    .command('baseline')
    .description("accept today's suspects: write a baseline file for leakscan check (reviewable: sorted, one site per entry)")
    .argument('<snapshots...>', 'snapshot or dump files, or directories of them (as attach writes)')
    .option('-o, --output <file>', 'the baseline file to write', 'leakscan-baseline.json')
    .option('--min-score <score>', 'record suspects scoring at least this', score, 30);
  addAnalysisOptions(command)
    .addHelpText('after', '\nExample:\n  leakscan baseline leakscan-4242-20261122-101500/ -o leakscan-baseline.json')
    .action((inputs: string[], flags: BaselineFlags) => run(() => baselineCommand(inputs, flags)));
}

async function baselineCommand(inputs: string[], flags: BaselineFlags): Promise<void> {
  const options = await resolveAnalysisOptions(flags);
  const analysis = await analyzeInputs(inputs, options);
  const baseline = makeBaseline(analysis.series.runtime, analysis.suspects, flags.minScore);
  await writeFileAtomic(flags.output, baselineJson(baseline));
  process.stderr.write(`wrote ${flags.output}: ${plural(baseline.sites.length, 'accepted site')} (score ≥ ${flags.minScore})\n`);
}
