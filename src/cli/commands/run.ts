import type { Command } from 'commander';
import { join } from 'node:path';
import type { ProcessInfo } from '../../targets/proc.js';
import { defaultNodeAttachOptions } from '../../targets/node/target.js';
import { findReadableProcess, startProgram, stopProgram } from '../../targets/launch.js';
import { addNodeAgentOptions, agentSettingsFromFlags, NODE_AGENT_FLAG_DEFAULTS } from '../node-agent-options.js';
import type { NodeAgentFlags } from '../node-agent-options.js';
import { sampleNodeTarget } from '../../session/node-sampling.js';
import { goTaker } from '../../session/go-sampling.js';
import { InputError } from '../../util/errors.js';
import { makeDirectory } from '../../util/make-directory.js';
import { addAnalysisOptions, resolveAnalysisOptions } from '../analysis-options.js';
import type { AnalysisFlags } from '../analysis-options.js';
import { assertReportWritable, runSamplingSession, snapshotCount } from '../../session/sampling-session.js';
import { addSamplingOptions } from '../sampling-options.js';
import type { SamplingFlags, SessionOutput } from '../../session/sampling-session.js';
import { pauseBudget, positiveSeconds } from '../options.js';
import { DEFAULT_PAUSE_BUDGET_MS } from '../../targets/go/pause-budget.js';
import { timestampName } from '../../util/names.js';
import { makeDefaultOutputDirectory } from '../../util/output-root.js';
import { samplingPlan } from '../../session/sampling-progress.js';
import { ATTACH_DEFAULTS } from './attach.js';
import { addEvidencePauseOption } from '../live-target-options.js';

export interface RunFlags extends SamplingFlags, AnalysisFlags, Partial<NodeAgentFlags> {
  wait: number;
  stop: boolean;
  url?: string;
  timeout: number;
  leakProfile: boolean;
  labels: boolean;
  /** Go: the worst pause per snapshot, in milliseconds (Infinity: none). */
  pauseBudget?: number;
  /** Go: the worst pause of the full dumps at the first and last snapshot, in milliseconds (0: none). */
  evidencePause?: number;
}

export function registerRun(program: Command, run: (action: () => Promise<number | void>) => Promise<void>): void {
  const command = program
    .command('run')
    .description('start a Go or Node.js program, sample it over time and rank leak suspects')
    .argument('<command...>', 'the program and its arguments (put them after --)')
    .option('--wait <duration>', 'how long to wait for the program to serve pprof', positiveSeconds, 30)
    .option('--no-stop', 'leave the program running when sampling ends (default: stop it)')
    .option('--url <url>', "the pprof endpoint, when it cannot be found from the program's sockets")
    .option('--timeout <duration>', 'give up on a snapshot request after this long', positiveSeconds, 30)
    .option('--no-leak-profile', 'do not ask for /debug/pprof/goroutineleak')
    .option('--no-labels', 'do not give goroutines of a full dump the pprof labels of the count profile')
    .option(
      '--pause-budget <duration>',
      `Go: the worst pause a snapshot may cause the target (default ${DEFAULT_PAUSE_BUDGET_MS}ms; 1s, 500us, none): full dumps (ids, wait reasons) only when they fit, counts per stack always`,
      pauseBudget,
    );
  addEvidencePauseOption(command);
  addNodeAgentOptions(command);
  addSamplingOptions(command, ATTACH_DEFAULTS);
  addAnalysisOptions(command)
    .addHelpText(
      'after',
      `
The program's output goes to program.log in the snapshot directory. A program
started through \`go run\`, npm or a shell is found among the started process's
descendants. Node.js programs get leakscan's agent preloaded (NODE_OPTIONS
--require) so it sees every async resource from the first line, and an
inspector on a random loopback port for leakscan to read it. The agent runs
on the main thread only (resources made inside worker threads are not
tracked); child Node processes close the inspector they inherited once
leakscan can no longer reach them (--wait plus 10 s), and --no-stop closes
the program's own when leakscan detaches.

Examples:
  leakscan run -- ./bin/api-server --config dev.yaml
  leakscan run --duration 2m --interval 10s -- go run ./cmd/gateway
  leakscan run --count 6 -- node server.js`,
    )
    .action((argv: string[], flags: RunFlags) => run(() => runCommand(argv, flags)));
}

/** Starts a program, samples it and prints the result (or hands it to `output`). */
export async function runCommand(argv: string[], flags: RunFlags, output?: SessionOutput): Promise<number> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  if (argv.length === 0) throw new InputError('no program to run: leakscan run -- <command...>');
  const count = snapshotCount(flags, ATTACH_DEFAULTS.count);
  const analysis = await resolveAnalysisOptions(flags);
  await assertReportWritable(flags);
  const outDir = flags.out ?? (await makeDefaultOutputDirectory(timestampName('leakscan-run')));
  await makeDirectory(outDir);
  const logFile = join(outDir, 'program.log');
  const program = startProgram(argv, logFile, agentSettingsFromFlags({ ...NODE_AGENT_FLAG_DEFAULTS, ...flags }), flags.wait);
  const { child } = program;
  let stopAtEnd = flags.stop;
  try {
    say(`started ${argv.join(' ')} as pid ${child.pid}; its output goes to ${logFile}`);
    const found = await findReadableProcess(program, flags.wait, flags.url, logFile);
    if (found.kind === 'node') return await sampleNode(found.pid, found.info, count, outDir, flags, analysis, say, output);
    const { pid, url, runtimeVersion } = found;
    say(`pprof at ${url} (pid ${pid}); taking ${samplingPlan(count, flags.interval)} into ${outDir}`);
    return await runSamplingSession({
      take: goTaker(url, pid, runtimeVersion, flags, say),
      output,
      count,
      outDir,
      flags,
      analysis,
      say,
    });
  } catch (error) {
    stopAtEnd = true; // never leave behind a program the user did not get results from
    throw error;
  } finally {
    if (stopAtEnd) {
      await stopProgram(program);
    } else if (child.exitCode === null) {
      child.unref();
      say(`left the program running as pid ${child.pid}`);
    }
  }
}

function sampleNode(
  pid: number,
  info: ProcessInfo,
  count: number,
  outDir: string,
  flags: RunFlags,
  analysis: Awaited<ReturnType<typeof resolveAnalysisOptions>>,
  say: (line: string) => void,
  output: SessionOutput | undefined,
): Promise<number> {
  // The inspector was opened by the --inspect=127.0.0.1:0 leakscan added: detach closes it, and a
  // command line rewritten by process.title changes nothing.
  const attach = { ...defaultNodeAttachOptions, timeoutMs: flags.timeout * 1000, say, ownsInspector: true, launchedByLeakscan: true };
  return sampleNodeTarget(
    pid,
    info,
    attach,
    { output, count, outDir, flags, analysis, say },
    (target) => `Node.js ${target.nodeVersion} (pid ${pid}), agent loaded at start; taking ${samplingPlan(count, flags.interval)} into ${outDir}`,
  );
}
