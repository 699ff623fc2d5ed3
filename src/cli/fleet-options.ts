/**
 * Options shared by `leakscan scan` and `leakscan check --prometheus`: where
 * the fleet is, which instances, how far back to look, how to sample.
 */
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { join } from 'node:path';
import type { AnalysisOptions } from '../analysis/analyze.js';
import { checkPprofTemplate } from '../fleet/instances.js';
import { parseWindow } from '../fleet/prescreen.js';
import type { ScanOptions } from '../fleet/scan.js';
import { InputError } from '../util/errors.js';
import { timestampName } from '../util/names.js';
import { positiveInt, positiveSeconds } from './options.js';

export interface FleetFlags {
  prometheus?: string;
  targets?: string;
  job?: string;
  selector?: string;
  window: number;
  pprof?: string;
  instances?: string;
  sampleTop?: number;
  sample: boolean;
  concurrency: number;
  count: number;
  interval: number;
  timeout: number;
  leakProfile: boolean;
  labels: boolean;
  out?: string;
}

export const FLEET_DEFAULTS = { window: '6h', concurrency: 8, count: 6, interval: 5, timeout: 10 };

function windowSeconds(value: string): number {
  const seconds = parseWindow(value);
  if (seconds === undefined) throw new InvalidArgumentError('expected a duration like 90s, 30m, 6h, 2d or 1w');
  return seconds;
}

/**
 * The fleet options; `live` is for check, which has its own --count,
 * --interval, --timeout and --out, and --no-leak-profile and --no-labels
 * from the live-target options it shares with attach.
 */
export function addFleetOptions(command: Command, live: boolean): Command {
  command
    .option('--prometheus <url>', 'the Prometheus server that scrapes the fleet (its targets and history)')
    .option('--targets <file>', 'instances from a Prometheus file_sd JSON file instead of --prometheus (no history)')
    .option('--job <name>', 'only the instances of this Prometheus job')
    .option('--selector <matchers>', `only instances whose series match these PromQL label matchers, e.g. '{job="api",env="prod"}'`)
    .option('--window <duration>', 'how much history to pre-screen', windowSeconds, windowSeconds(FLEET_DEFAULTS.window))
    .option(
      '--pprof <template>',
      "pprof URL when it is not on the scrape address: {host}, {port} and {instance} are filled in, e.g. 'http://{host}:6060/debug/pprof/'",
    )
    .option('--instances <list>', 'sample only these instances (comma-separated instance labels)')
    .option('--sample-top <n>', 'sample only the n instances growing fastest in the pre-screen', positiveInt)
    .option('--concurrency <n>', 'instances sampled at once', positiveInt, FLEET_DEFAULTS.concurrency);
  if (!live) {
    command
      .option('--no-leak-profile', 'do not ask for /debug/pprof/goroutineleak (one extra GC cycle per snapshot)')
      .option('--no-labels', 'do not give goroutines of a full dump the pprof labels of the count profile when the dump has none')
      .option('--no-sample', 'pre-screen from Prometheus only; send no request to any instance')
      .option('--count <n>', 'snapshots per instance', positiveInt, FLEET_DEFAULTS.count)
      .option('--interval <duration>', "time between an instance's snapshots", positiveSeconds, FLEET_DEFAULTS.interval)
      .option('--timeout <duration>', 'give up on a snapshot request after this long', positiveSeconds, FLEET_DEFAULTS.timeout)
      .option('-o, --out <dir>', 'where to save the snapshots, one directory per instance (default: a new leakscan-scan-<time> directory)');
  }
  return command;
}

export function scanOptionsFrom(flags: FleetFlags, analysis: AnalysisOptions, say: (line: string) => void): ScanOptions {
  if ((flags.prometheus === undefined) === (flags.targets === undefined)) throw new InputError('give one of --prometheus <url> or --targets <file_sd.json>');
  if (flags.pprof !== undefined) checkPprofTemplate(flags.pprof);
  if (flags.instances !== undefined && flags.sampleTop !== undefined) throw new InputError('give --instances or --sample-top, not both');
  if (flags.sampleTop !== undefined && flags.prometheus === undefined) throw new InputError('--sample-top ranks by Prometheus history: it needs --prometheus');
  const names = flags.instances
    ?.split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const select: ScanOptions['select'] = !flags.sample
    ? { kind: 'none' }
    : names !== undefined
      ? { kind: 'names', names }
      : flags.sampleTop !== undefined
        ? { kind: 'top', n: flags.sampleTop }
        : { kind: 'all' };
  return {
    ...(flags.prometheus !== undefined ? { prometheus: flags.prometheus } : {}),
    ...(flags.targets !== undefined ? { targetsFile: flags.targets } : {}),
    filter: { ...(flags.job !== undefined ? { job: flags.job } : {}), ...(flags.selector !== undefined ? { selector: flags.selector } : {}) },
    windowSeconds: flags.window,
    ...(flags.pprof !== undefined ? { pprofTemplate: flags.pprof } : {}),
    select,
    plan: {
      count: Math.max(2, flags.count),
      intervalSeconds: flags.interval,
      timeoutSeconds: flags.timeout,
      leakProfile: flags.leakProfile,
      labels: flags.labels,
      concurrency: flags.concurrency,
      outDir: flags.out ?? join(process.cwd(), timestampName('leakscan-scan')),
      keepSites: 50,
    },
    analysis,
    say,
  };
}
