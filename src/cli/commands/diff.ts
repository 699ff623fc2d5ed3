import type { Command } from 'commander';
import { renderDiff } from '../../report/diff-text.js';
import { terminalWidth } from '../../report/format.js';
import { diffJson } from '../../report/diff-json.js';
import { addAnalysisOptions, resolveAnalysisOptions } from '../analysis-options.js';
import type { AnalysisFlags } from '../analysis-options.js';
import { positiveInt, score } from '../options.js';
import { analyzeInputs } from '../analyze-files.js';
import { writeHtmlReport } from '../../report/html-file.js';

interface DiffFlags extends AnalysisFlags {
  html?: string;
  top: number;
  minScore?: number;
  json: boolean;
  frames: number;
}

export function registerDiff(program: Command, run: (action: () => Promise<number | void>) => Promise<void>): void {
  const command = program
    .command('diff')
    .description('rank leak suspects across snapshots taken over time: growth, lifetime and blocking per code site')
    .argument('<snapshots...>', 'snapshot or dump files in time order, or directories of them (as attach writes)')
    .option('-n, --top <n>', 'how many suspects to list', positiveInt, 10)
    .option('--min-score <score>', 'list only suspects scoring at least this (0-100; default 0, or minScore of the config)', score)
    .option('--frames <n>', 'user frames to print under each suspect', (v) => (v === '0' ? 0 : positiveInt(v)), 3)
    .option('--json', 'print the result as JSON (schema leakscan.diff, docs/json-schema.md)', false)
    .option('--html <file>', 'also write the HTML report (flamegraphs) to this file');
  addAnalysisOptions(command)
    .addHelpText(
      'after',
      `
Exit codes: 0 done (leaks or not: use leakscan check to gate), 2 usage,
input or output error (a file that is not a snapshot, an --html file that
cannot be written), 70 a bug in leakscan.

Examples:
  leakscan diff s1.json.gz s2.json.gz s3.json.gz
  leakscan diff leakscan-1234-20261122-101500/ --top 5 --min-score 30
  leakscan diff before.txt after.txt --ignore-function 'main.(*pool).worker'

Scores: 0-100, growth first, confirmed by lifetime and blocking (docs/scoring.md).`,
    )
    .action((inputs: string[], flags: DiffFlags) => run(() => diffCommand(inputs, flags)));
}

async function diffCommand(inputs: string[], flags: DiffFlags): Promise<void> {
  const options = await resolveAnalysisOptions(flags);
  const analysis = await analyzeInputs(inputs, options);
  if (flags.html !== undefined) await writeHtmlReport(flags.html, analysis, options.groupBy, (line) => process.stderr.write(`${line}\n`));
  const minScore = flags.minScore ?? options.minScore ?? 0;
  if (flags.json) {
    process.stdout.write(JSON.stringify(diffJson(analysis, { top: flags.top, minScore }), null, 2) + '\n');
  } else {
    process.stdout.write(renderDiff(analysis, { top: flags.top, minScore, frames: flags.frames, ...terminalWidth() }));
  }
}
