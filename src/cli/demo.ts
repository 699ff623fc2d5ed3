import type { Command } from 'commander';
import { join } from 'node:path';
import { defaultAnalysisOptions } from '../analysis/analyze.js';
import { buildBundledGoProgram, launchBundledGoProgram } from '../sources/go/launch.js';
import { goSnapshotTaker } from '../sources/go/target.js';
import { defaultPprofOptions } from '../sources/go/pprof-client.js';
import { positiveInt, positiveSeconds } from './options.js';
import { runSamplingSession } from './sampling-session.js';
import { timestampName } from './names.js';

interface DemoFlags {
  count: number;
  interval: number;
  out?: string;
}

/** The bundled target: a session gateway whose heartbeat goroutines are never stopped. */
const DEMO_TARGET = 'heartbeat';

export function registerDemo(program: Command, run: (action: () => Promise<number | void>) => Promise<void>): void {
  program
    .command('demo')
    .description('run leakscan end to end on a bundled leaky Go service: start it, take snapshots, rank suspects')
    .option('--count <n>', 'snapshots to take', positiveInt, 6)
    .option('--interval <seconds>', 'time between snapshots', positiveSeconds, 2)
    .option('--out <dir>', 'where to save the snapshots (default: a new ./leakscan-demo-<time> directory)')
    .addHelpText('after', '\nThe demo target is fixtures/go/heartbeat, built with your `go`; it is stopped when the demo ends.')
    .action((flags: DemoFlags) => run(() => demoCommand(flags)));
}

async function demoCommand(flags: DemoFlags): Promise<number> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  say(`building the demo target (fixtures/go/${DEMO_TARGET}, a Go service that leaks goroutines)...`);
  const binary = await buildBundledGoProgram(DEMO_TARGET);
  const target = await launchBundledGoProgram(binary);
  const outDir = flags.out ?? join(process.cwd(), timestampName('leakscan-demo'));
  try {
    say(`started it as pid ${target.pid}, pprof at ${target.url}; taking ${flags.count} snapshots ${flags.interval}s apart into ${outDir}`);
    return await runSamplingSession({
      take: goSnapshotTaker(target.url, { ...defaultPprofOptions, pid: target.pid, maxConsecutiveFailures: 3, retryDelayMs: 500, onSkip: say }),
      count: flags.count,
      outDir,
      flags: { interval: flags.interval, top: 3, json: false, frames: 3 },
      analysis: defaultAnalysisOptions,
      say,
    });
  } finally {
    await target.stop();
  }
}
