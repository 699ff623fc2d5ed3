import { Option } from 'commander';
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { addAnalysisOptions, resolveAnalysisOptions } from '../analysis-options.js';
import type { AnalysisFlags } from '../analysis-options.js';
import { writeHtmlReport } from '../../report/html-file.js';
import { analyzeInputs } from '../analyze-files.js';

interface ReportFlags extends AnalysisFlags {
  output?: string;
  out?: string;
  title?: string;
}

export function registerReport(program: Command, run: (action: () => Promise<number | void>) => Promise<void>): void {
  const command = program
    .command('report')
    .description('write a self-contained HTML report: suspects, a flamegraph of live tasks, and a differential flamegraph first → last')
    .argument('<snapshots...>', 'snapshot or dump files in time order, or directories of them')
    .option('-o, --output <file>', 'the HTML file to write (default: report.html beside the snapshots)')
    // attach, run and check spell their output option --out: the same word works here.
    .addOption(new Option('--out <file>').hideHelp().conflicts('output'))
    .option('--title <text>', 'the report title (default: names the target)');
  addAnalysisOptions(command)
    .addHelpText(
      'after',
      `
The report is one HTML file with everything inlined (d3, d3-flame-graph): it
opens offline and can be attached to a ticket.

Examples:
  leakscan report leakscan-4242-20261122-101500/            (writes leakscan-4242-20261122-101500/report.html)
  leakscan report leakscan-4242-20261122-101500/ -o leak.html
  leakscan report before.json.gz after.json.gz -o report.html --title "checkout after load test"`,
    )
    .action((inputs: string[], flags: ReportFlags) => run(() => reportCommand(inputs, flags)));
}

async function reportCommand(inputs: string[], flags: ReportFlags): Promise<void> {
  const options = await resolveAnalysisOptions(flags);
  const analysis = await analyzeInputs(inputs, options);
  await writeHtmlReport(
    flags.output ?? flags.out ?? (await besideInputs(inputs)),
    analysis,
    options.groupBy,
    (line) => process.stderr.write(`${line}\n`),
    flags.title,
  );
}

/** report.html in the last input's directory (the input itself when it is one), as attach leaves it. */
async function besideInputs(inputs: readonly string[]): Promise<string> {
  const last = inputs[inputs.length - 1]!;
  const isDirectory = await stat(last).then(
    (info) => info.isDirectory(),
    () => false,
  );
  return join(isDirectory ? last : dirname(last), 'report.html');
}
