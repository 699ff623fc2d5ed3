import type { Command } from 'commander';
import { join } from 'node:path';
import { defaultAnalysisOptions } from '../../analysis/analyze.js';
import { buildBundledGoProgram, goIsInstalled, launchBundledGoProgram } from '../../targets/go/launch.js';
import { launchBundledNodeProgram } from '../../targets/node/launch.js';
import { DEFAULT_READ_SETTINGS } from '../../targets/open.js';
import { InputError, LeakscanError } from '../../util/errors.js';
import { positiveInt, positiveSeconds } from '../options.js';
import type { SamplingFlags } from '../../session/sampling-session.js';
import { sampleLiveTarget } from '../../session/live-session.js';
import { timestampName } from '../../util/names.js';
import { makeDefaultOutputDirectory } from '../../util/output-root.js';

interface DemoFlags {
  count: number;
  interval: number;
  out?: string;
  runtime: 'node' | 'go' | 'both';
}

/** The bundled targets: a Go session gateway whose heartbeats are never stopped; a Node RPC client whose replies never come. */
const GO_TARGET = 'heartbeat';
const NODE_TARGET = 'pending-promises';

export function registerDemo(program: Command, run: (action: () => Promise<number | void>) => Promise<void>): void {
  program
    .command('demo')
    .description('run leakscan end to end on bundled leaky services (Node.js, and Go where `go` is installed): start, attach, rank, report')
    .option('--count <n>', 'snapshots to take of each', positiveInt, 6)
    .option('--interval <duration>', 'time between snapshots', positiveSeconds, 2)
    .option('--runtime <which>', 'node, go, or both (default: both when `go` is installed, else node)', (v) => {
      if (v !== 'node' && v !== 'go' && v !== 'both') throw new InputError('expected node, go or both');
      return v;
    })
    .option(
      '-o, --out <dir>',
      'where to save snapshots and reports (default: a new leakscan-demo-<time> directory under $XDG_STATE_HOME/leakscan or ~/.local/state/leakscan)',
    )
    .addHelpText(
      'after',
      '\nThe targets are fixtures/node/pending-promises.mjs and fixtures/go/heartbeat (built with your `go`); they are stopped when the demo ends.',
    )
    .action((flags: DemoFlags) => run(() => demoCommand(flags)));
}

async function demoCommand(flags: DemoFlags): Promise<number> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const outDir = flags.out ?? (await makeDefaultOutputDirectory(timestampName('leakscan-demo')));
  const runtime = flags.runtime ?? ((await goIsInstalled()) ? 'both' : 'node');
  const sampling: SamplingFlags = { interval: flags.interval, top: 3, json: false, frames: 3 };
  const demos: (() => Promise<number>)[] = [];
  if (runtime !== 'go') {
    demos.push(() => {
      say(`\n== Node.js: fixtures/node/${NODE_TARGET}.mjs, an RPC client whose pending calls never get a reply`);
      return demoNode(join(outDir, 'node'), flags.count, sampling, say);
    });
  }
  if (runtime !== 'node') {
    demos.push(() => {
      say(`\n== Go: fixtures/go/${GO_TARGET}, a session gateway that never stops its heartbeat goroutines`);
      return demoGo(join(outDir, 'go'), flags.count, sampling, say);
    });
  }
  // One runtime's demo failing (no Go toolchain that builds, a Node
  // inspector that cannot open) says why in one line and the other still runs.
  let exitCode = 0;
  let failure: LeakscanError | undefined;
  for (const demo of demos) {
    try {
      exitCode = Math.max(exitCode, await demo());
    } catch (error) {
      if (!(error instanceof LeakscanError) || demos.length === 1) throw error;
      say(`leakscan: ${error.message}`);
      failure ??= error;
    }
  }
  return failure !== undefined && exitCode <= 1 ? failure.exitCode : exitCode;
}

/** The bundled programs have no launcher in front of them: there is never a choice to make. */
const noChoice = () => Promise.resolve(undefined);

async function demoNode(outDir: string, count: number, flags: SamplingFlags, say: (line: string) => void): Promise<number> {
  const program = await launchBundledNodeProgram(NODE_TARGET);
  try {
    say(`started it as pid ${program.pid}; attaching to it as \`leakscan attach ${program.pid}\` does`);
    return await sampleLiveTarget({
      address: { kind: 'pid', pid: program.pid, choose: noChoice },
      settings: DEFAULT_READ_SETTINGS,
      out: outDir,
      intro: (target, plan) => (target.runtime === 'node' ? `attached (${target.nodeVersion}); taking ${plan} into ${outDir}` : undefined),
      count,
      flags,
      analysis: defaultAnalysisOptions,
      say,
    });
  } finally {
    await program.stop();
  }
}

async function demoGo(outDir: string, count: number, flags: SamplingFlags, say: (line: string) => void): Promise<number> {
  const binary = await buildBundledGoProgram(GO_TARGET);
  const program = await launchBundledGoProgram(binary);
  try {
    say(`started it as pid ${program.pid}, pprof at ${program.url}`);
    return await sampleLiveTarget({
      address: { kind: 'pid', pid: program.pid, url: program.url, choose: noChoice },
      settings: DEFAULT_READ_SETTINGS,
      out: outDir,
      intro: () => undefined,
      count,
      flags,
      analysis: defaultAnalysisOptions,
      say,
    });
  } finally {
    await program.stop();
  }
}
