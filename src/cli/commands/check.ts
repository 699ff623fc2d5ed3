import type { Command } from 'commander';
import { Option } from 'commander';
import { resolve as resolvePath } from 'node:path';
import type { Analysis } from '../../analysis/analyze.js';
import { runGate, defaultGateOptions } from '../../analysis/gate.js';
import type { GateOptions } from '../../analysis/gate.js';
import { readBaseline } from '../../analysis/baseline.js';
import { renderGate, GATE_FORMATS } from '../../report/gate-output.js';
import type { GateFormat } from '../../report/gate-output.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { ExitCode, InputError } from '../../util/errors.js';
import { addAnalysisOptions, resolveAnalysisOptions } from '../analysis-options.js';
import type { AnalysisFlags } from '../analysis-options.js';
import { analyzeInputs } from '../analyze-files.js';
import { addInspectorOptions, ATTACH_DEFAULTS, attachAndSample, parsePid, sampleGoUrl } from './attach.js';
import { NODE_AGENT_FLAG_DEFAULTS } from '../node-agent-options.js';
import type { AttachFlags } from './attach.js';
import { runCommand } from './run.js';
import type { RunFlags } from './run.js';
import { writeHtmlReport } from '../html-output.js';
import { positiveInt, positiveSeconds, score } from '../options.js';

interface CheckFlags extends AnalysisFlags {
  pid?: string;
  allowRemoteInspector?: boolean;
  inspectorPort?: number;
  url?: string;
  baseline?: string;
  failScore?: number;
  maxGrowth?: number;
  scoreMargin?: number;
  growthMargin?: number;
  format: string[];
  sourceRoot: string;
  interval: number;
  count?: number;
  duration?: number;
  out?: string;
  html?: string | false;
  timeout: number;
  wait: number;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerCheck(program: Command, run: (action: () => Promise<number | void>) => Promise<void>, version: string, argv: readonly string[]): void {
  const command = program
    .command('check')
    .description('CI gate: fail (exit 1) when a leak suspect crosses the thresholds and is not accepted by the baseline')
    .argument('[inputs...]', 'snapshot or dump files, or directories of them; or, after --, a command to run and sample')
    .option('--pid <pid>', 'sample this running Go or Node.js process (as attach does)')
    .option('--url <url>', 'sample this Go pprof endpoint')
    .option('--baseline <file>', 'accepted suspects (made by leakscan baseline): they pass unless worse by the margins')
    .option('--fail-score <score>', 'fail on a suspect scoring at least this (default 70, or check.failScore of the config)', score)
    .option('--max-growth <per-minute>', 'also fail on a site growing faster than this many tasks per minute', positiveSeconds)
    .option('--score-margin <points>', 'a baselined site fails when its score rises by more than this (default 15)', score)
    .option('--growth-margin <ratio>', 'a baselined site fails when it grows more than (1 + ratio) times as fast (default 1: twice as fast)', positiveSeconds)
    .addOption(new Option('--format <format[=file]>', `output format, to stdout or a file; repeatable: ${GATE_FORMATS.join(', ')}`).argParser(collect).default([], 'text'))
    .addOption(new Option('--source-root <dir>', 'paths in SARIF and GitHub annotations are relative to this (the repository root)').default(process.cwd(), 'the current directory'))
    .option('--interval <seconds>', 'live targets: time between snapshots', positiveSeconds, ATTACH_DEFAULTS.interval)
    .option('--count <n>', `live targets: snapshots to take (default ${ATTACH_DEFAULTS.count})`, positiveInt)
    .option('--duration <seconds>', 'live targets: sample for this long instead', positiveSeconds)
    .option('--out <dir>', 'live targets: where to save the snapshots')
    .option('--html <file>', 'also write the HTML report here')
    .option('--timeout <seconds>', 'live targets: give up on a snapshot request after this long', positiveSeconds, 30)
    .option('--wait <seconds>', 'with -- <command>: how long to wait for the program to be readable', positiveSeconds, 30);
  addInspectorOptions(command);
  addAnalysisOptions(command)
    .addHelpText(
      'after',
      `
Exit codes: 0 no new leak, 1 a leak failed the check, 2 usage, input or
output error, 3 the target could not be read.

Examples:
  leakscan check leakscan-4242-20261122-101500/ --baseline leakscan-baseline.json
  leakscan check --pid 4242 --duration 60 --format sarif=leaks.sarif --format junit=leaks.xml --format github
  leakscan check --count 8 --interval 5 -- node server.js`,
    )
    .action((inputs: string[], flags: CheckFlags) => run(() => checkCommand(inputs, flags, version, argv.includes('--'))));
}

interface FormatTarget {
  format: GateFormat;
  file?: string;
}

function parseFormats(specs: string[]): FormatTarget[] {
  const targets = (specs.length ? specs : ['text']).map((spec) => {
    const eq = spec.indexOf('=');
    const format = (eq < 0 ? spec : spec.slice(0, eq)) as GateFormat;
    if (!GATE_FORMATS.includes(format)) throw new InputError(`unknown format "${format}" (expected ${GATE_FORMATS.join(', ')})`);
    return eq < 0 ? { format } : { format, file: spec.slice(eq + 1) };
  });
  if (targets.filter((t) => t.file === undefined).length > 1) throw new InputError('only one --format can go to stdout; give the others a file (--format sarif=leaks.sarif)');
  return targets;
}

async function checkCommand(inputs: string[], flags: CheckFlags, version: string, hasCommand: boolean): Promise<number> {
  const formats = parseFormats(flags.format);
  const analysis = await resolveAnalysisOptions(flags);
  const config = analysis.check ?? {};
  const gate: GateOptions = {
    ...defaultGateOptions,
    failScore: flags.failScore ?? config.failScore ?? defaultGateOptions.failScore,
    scoreMargin: flags.scoreMargin ?? config.scoreMargin ?? defaultGateOptions.scoreMargin,
    growthMargin: flags.growthMargin ?? config.growthMargin ?? defaultGateOptions.growthMargin,
    allow: config.allow ?? [],
  };
  const maxGrowth = flags.maxGrowth ?? config.maxGrowth;
  if (maxGrowth !== undefined) gate.maxGrowth = maxGrowth;
  if (flags.baseline !== undefined) gate.baseline = await readBaseline(flags.baseline);

  const output = async (result: Analysis): Promise<number> => {
    if (gate.baseline && gate.baseline.runtime !== result.series.runtime) {
      throw new InputError(`the baseline is for ${gate.baseline.runtime}, the snapshots are ${result.series.runtime}`);
    }
    const verdict = runGate(result, gate);
    for (const { format, file } of formats) {
      const text = renderGate(format, verdict, { version, sourceRoot: resolvePath(flags.sourceRoot) });
      if (file === undefined) process.stdout.write(text);
      else await writeFileAtomic(file, text);
    }
    if (typeof flags.html === 'string') await writeHtmlReport(flags.html, result, analysis.groupBy, (line) => process.stderr.write(`${line}\n`));
    return verdict.failed > 0 ? ExitCode.leaksFound : ExitCode.ok;
  };

  const sources = [flags.pid !== undefined, flags.url !== undefined, hasCommand, !hasCommand && inputs.length > 0].filter(Boolean).length;
  if (sources !== 1) throw new InputError('give exactly one of: snapshot files, --pid, --url, or -- <command>');
  const live = {
    interval: flags.interval,
    top: 10,
    json: false,
    frames: 3,
    html: false as const,
    timeout: flags.timeout,
    leakProfile: true,
    labels: true,
    ...(flags.count !== undefined ? { count: flags.count } : {}),
    ...(flags.duration !== undefined ? { duration: flags.duration } : {}),
    ...(flags.out !== undefined ? { out: flags.out } : {}),
    ...analysisFlags(flags),
  };
  if (flags.pid !== undefined) {
    const attachFlags: AttachFlags = {
      ...live,
      ...NODE_AGENT_FLAG_DEFAULTS,
      promiseCensus: true,
      allowRemoteInspector: flags.allowRemoteInspector === true,
      ...(flags.inspectorPort !== undefined ? { inspectorPort: flags.inspectorPort } : {}),
    };
    return attachAndSample(parsePid(flags.pid), attachFlags, output);
  }
  if (flags.url !== undefined) {
    return sampleGoUrl(flags.url, { ...live, ...NODE_AGENT_FLAG_DEFAULTS, promiseCensus: true }, output);
  }
  if (hasCommand) {
    const runFlags: RunFlags = { ...live, wait: flags.wait, stop: true };
    return runCommand(inputs, runFlags, output);
  }
  return output(await analyzeInputs(inputs, analysis));
}

function analysisFlags(flags: CheckFlags): AnalysisFlags {
  return {
    defaultIgnores: flags.defaultIgnores,
    ignoreFunction: flags.ignoreFunction,
    ignoreCreatedBy: flags.ignoreCreatedBy,
    ignorePackage: flags.ignorePackage,
    ignoreLabel: flags.ignoreLabel,
    ...(flags.groupBy !== undefined ? { groupBy: flags.groupBy } : {}),
    ...(flags.config !== undefined ? { config: flags.config } : {}),
  };
}
