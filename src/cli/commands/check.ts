import type { Command } from 'commander';
import { Option } from 'commander';
import { resolve as resolvePath } from 'node:path';
import type { Analysis } from '../../analysis/analyze.js';
import { runGate, defaultGateOptions } from '../../analysis/gate.js';
import { SHORT_WINDOW_SECONDS } from '../../analysis/score.js';
import type { GateOptions } from '../../analysis/gate.js';
import { readBaseline } from '../../analysis/baseline.js';
import { renderGate, GATE_FORMATS } from '../../report/gate-output.js';
import type { GateFormat } from '../../report/gate-output.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { ExitCode, InputError, TargetError } from '../../util/errors.js';
import type { LeakscanError } from '../../util/errors.js';
import { addAnalysisOptions, resolveAnalysisOptions } from '../analysis-options.js';
import type { AnalysisFlags } from '../analysis-options.js';
import { analyzeInputs } from '../analyze-files.js';
import { ATTACH_DEFAULTS, askWhichProgram, parsePid } from './attach.js';
import type { LiveTargetFlags } from '../live-target-options.js';
import { addLiveSamplingOptions, readSettings } from '../sampling-options.js';
import { snapshotCount } from '../../session/sampling-session.js';
import type { SamplingFlags } from '../../session/sampling-session.js';
import { sampleLiveTarget } from '../../session/live-session.js';
import type { LiveAddress } from '../../session/live-session.js';
import { writeHtmlReport } from '../../report/html-file.js';
import { INTERRUPTED_EXIT } from '../../session/sampling-session.js';
import type { InterruptSignal } from '../../session/sampling-session.js';
import { positiveNumber, positiveSeconds, score } from '../options.js';
import { addFleetOptions, FLEET_DEFAULTS, scanOptionsFrom } from '../fleet-options.js';
import type { FleetFlags } from '../fleet-options.js';
import { plural } from '../../report/format.js';

/** Fewer snapshots than this see too little of a site's growth for a verdict to rest on: check says so. */
const FEW_SNAPSHOTS = 4;

interface CheckFlags extends AnalysisFlags, LiveTargetFlags, Omit<FleetFlags, 'count' | 'interval' | 'timeout' | 'sample'> {
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
  html?: string;
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
    .option('--max-growth <per-minute>', 'also fail on a site growing faster than this many tasks per minute', positiveNumber)
    .option('--score-margin <points>', 'a baselined site fails when its score rises by more than this (default 15)', score)
    .option('--growth-margin <ratio>', 'a baselined site fails when it grows more than (1 + ratio) times as fast (default 1: twice as fast)', positiveNumber)
    .addOption(
      new Option('--format <format[=file]>', `output format, to stdout or a file; repeatable: ${GATE_FORMATS.join(', ')}`)
        .argParser(collect)
        .default([], 'text'),
    )
    .addOption(
      new Option('--source-root <dir>', 'paths in SARIF and GitHub annotations are relative to this (the repository root)').default(
        process.cwd(),
        'the current directory',
      ),
    )
    .option('--html <file>', 'also write the HTML report here')
    .option('--wait <duration>', 'with -- <command>: how long to wait for the program to be readable', positiveSeconds, 30);
  // Live targets are sampled as attach samples them, with the same options.
  addLiveSamplingOptions(command, ATTACH_DEFAULTS, 'live targets: ');
  addFleetOptions(command, true);
  addAnalysisOptions(command)
    .addHelpText(
      'after',
      `
Exit codes: 0 no new leak, 1 a leak failed the check, 2 usage, input or
output error, 3 the target could not be read (or exited before the last
snapshot with nothing failing yet: no verdict), 70 a bug in leakscan,
130/143 sampling interrupted by Ctrl-C (SIGINT) or SIGTERM: no verdict.

Examples:
  leakscan check leakscan-4242-20261122-101500/ --baseline leakscan-baseline.json
  leakscan check --pid 4242 --duration 1m --format sarif=leaks.sarif --format junit=leaks.xml --format github
  leakscan check --count 8 --interval 5 -- node server.js
  leakscan check --prometheus http://prometheus:9090 --job api --format junit=fleet.xml`,
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
  if (targets.filter((t) => t.file === undefined).length > 1)
    throw new InputError('only one --format can go to stdout; give the others a file (--format sarif=leaks.sarif)');
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

  const output = async (result: Analysis, interruptedBy?: InterruptSignal, failedBy?: LeakscanError): Promise<number> => {
    if (interruptedBy !== undefined) {
      // A gate that did not see the whole series has no verdict: never "passed", never 0.
      process.stderr.write(
        `leakscan: check interrupted by ${interruptedBy} after ${plural(result.series.times.length, 'snapshot')}: no verdict (exit ${INTERRUPTED_EXIT[interruptedBy]})\n`,
      );
      return INTERRUPTED_EXIT[interruptedBy];
    }
    if (gate.baseline && gate.baseline.runtime !== result.series.runtime) {
      throw new InputError(`the baseline is for ${gate.baseline.runtime}, the snapshots are ${result.series.runtime}`);
    }
    const verdict = runGate(result, gate);
    if (failedBy !== undefined && verdict.failed === 0) {
      // The snapshots stopped early (the target exited): what failed did fail, but a pass would speak for a window not watched.
      process.stderr.write(
        `leakscan: check stopped after ${plural(result.series.times.length, 'snapshot')}, with nothing failing so far: no verdict (exit ${failedBy.exitCode})\n`,
      );
      return failedBy.exitCode;
    }
    for (const { format, file } of formats) {
      const text = renderGate(format, verdict, { version, sourceRoot: resolvePath(flags.sourceRoot) });
      if (file === undefined) process.stdout.write(text);
      else await writeFileAtomic(file, text);
    }
    if (typeof flags.html === 'string') await writeHtmlReport(flags.html, result, analysis.groupBy, (line) => process.stderr.write(`${line}\n`));
    // Every format went to a file: the person watching the job still gets the verdict, in one line.
    if (formats.every(({ file }) => file !== undefined)) {
      const files = formats.map(({ file }) => file).join(', ');
      process.stderr.write(
        verdict.failed > 0
          ? `leakscan check: ${plural(verdict.failed, 'leak')} failed the check (details in ${files})\n`
          : `leakscan check: passed (fail score ${gate.failScore}; details in ${files})\n`,
      );
    }
    if (result.series.times.length < FEW_SNAPSHOTS) {
      process.stderr.write(
        `leakscan check: warning: a verdict from ${plural(result.series.times.length, 'snapshot')} sees little growth; take ${FEW_SNAPSHOTS} or more (the default is 12)\n`,
      );
    }
    const windowSeconds = (result.series.times.at(-1)! - result.series.times[0]!) / 1000;
    const fleetCheck = flags.prometheus !== undefined || flags.targets !== undefined;
    if (verdict.failed === 0 && !fleetCheck && result.series.times.length >= FEW_SNAPSHOTS && windowSeconds < SHORT_WINDOW_SECONDS) {
      // A pass, not a failure, is what a short window puts in doubt: no progress
      // is judged by how long tasks stayed stuck (docs/scoring.md), and seconds
      // of it is what a slow but healthy caller shows too.
      process.stderr.write(
        `leakscan check: warning: the snapshots span ${Math.round(windowSeconds)}s, less than the defaults' 55s: a pile that stopped growing weighs less the shorter it is watched, so this pass says less\n`,
      );
    }
    return verdict.failed > 0 ? ExitCode.leaksFound : ExitCode.ok;
  };

  const fleet = flags.prometheus !== undefined || flags.targets !== undefined;
  const sources = [flags.pid !== undefined, flags.url !== undefined, hasCommand, !hasCommand && inputs.length > 0, fleet].filter(Boolean).length;
  if (sources !== 1) throw new InputError('give exactly one of: snapshot files, --pid, --url, --prometheus (or --targets), or -- <command>');
  if (fleet) {
    const say = (line: string) => process.stderr.write(`${line}\n`);
    const fleetFlags: FleetFlags = { ...flags, sample: true, count: flags.count ?? FLEET_DEFAULTS.count, interval: flags.interval, timeout: flags.timeout };
    const { scanFleet } = await import('../../fleet/scan.js');
    const result = await scanFleet(scanOptionsFrom(fleetFlags, analysis, say));
    const failed = result.samples.filter((s) => s.status === 'failed');
    for (const f of failed) say(`${f.instance.instance} (${f.instance.job}) skipped: ${f.error ?? 'failed'}`);
    if (result.gateAnalysis === undefined) throw new TargetError('no instance of the fleet could be sampled, so nothing was checked');
    return output(result.gateAnalysis);
  }
  const { url } = flags;
  if (flags.pid === undefined && url === undefined && !hasCommand) return output(await analyzeInputs(inputs, analysis));
  // A live target is sampled as attach and run sample it, with the same
  // options; what they would print is replaced by the gate's output.
  if (hasCommand && inputs.length === 0) throw new InputError('no program to run: leakscan check -- <command...>');
  const address: LiveAddress =
    flags.pid !== undefined
      ? { kind: 'pid', pid: parsePid(flags.pid), choose: askWhichProgram }
      : url !== undefined
        ? { kind: 'url', url }
        : { kind: 'command', argv: inputs, waitSeconds: flags.wait, stop: true };
  const shown: SamplingFlags = { interval: flags.interval, top: 10, json: false, frames: 3, html: false };
  const count = snapshotCount(flags, ATTACH_DEFAULTS.count);
  const say = (line: string) => process.stderr.write(`${line}\n`);
  return sampleLiveTarget({ address, settings: readSettings(flags), out: flags.out, output, count, flags: shown, analysis, say });
}
