import type { Command } from 'commander';
import { inspectProcess } from '../../targets/proc.js';
import { launchedPrograms, launcherName } from '../../targets/launchers.js';
import { safeText } from '../../report/format.js';
import type { ProcessInfo } from '../../targets/proc.js';
import { defaultNodeAttachOptions } from '../../targets/node/target.js';
import { sampleNodeTarget } from '../../session/node-sampling.js';
import { discoverPprof } from '../../targets/go/discover.js';
import { goTaker } from '../../session/go-sampling.js';
import { TargetError, InputError } from '../../util/errors.js';
import { addAnalysisOptions, resolveAnalysisOptions } from '../analysis-options.js';
import type { AnalysisFlags } from '../analysis-options.js';
import { assertReportWritable, runSamplingSession, snapshotCount } from '../../session/sampling-session.js';
import { addSamplingOptions } from '../sampling-options.js';
import type { SamplingFlags, SessionOutput } from '../../session/sampling-session.js';
import { agentSettingsFromFlags } from '../node-agent-options.js';
import { addLiveTargetOptions } from '../live-target-options.js';
import type { LiveTargetFlags } from '../live-target-options.js';
import { timestampName } from '../../util/names.js';
import { makeDefaultOutputDirectory } from '../../util/output-root.js';
import { samplingPlan } from '../../session/sampling-progress.js';

export interface AttachFlags extends SamplingFlags, AnalysisFlags, LiveTargetFlags {
  url?: string;
}

export const ATTACH_DEFAULTS = { interval: 5, count: 12 };

export function registerAttach(program: Command, run: (action: () => Promise<number | void>) => Promise<void>): void {
  const command = program
    .command('attach')
    .description('sample a running Go or Node.js process by pid over time and rank leak suspects')
    .argument('<pid>', 'process id of the target')
    .option('--url <url>', 'the pprof endpoint to use instead of finding it from the pid');
  addLiveTargetOptions(command);
  addSamplingOptions(command, ATTACH_DEFAULTS);
  addAnalysisOptions(command)
    .addHelpText(
      'after',
      `
Go: leakscan finds the pprof endpoint by asking each TCP port the process
listens on for /debug/pprof/; it never sends a signal to a Go process.
Node.js: leakscan opens the inspector with SIGUSR1 (after checking from its
executable that the pid is Node, that it catches SIGUSR1, that the inspector
would listen on loopback only and that its port is free), checks process.pid
over it, injects an
async_hooks agent, and on detach removes the agent and closes the inspector
again. The agent costs at most about --agent-budget of a core: in a busy
process it watches in windows and scales what it saw (the report says so).
Stacks come from the native addon when it is built for the target's Node
ABI, else from JavaScript (leakscan doctor tells which). Snapshots are saved as they are taken; Ctrl-C stops early and still
analyses them.

Examples:
  leakscan attach 4242
  leakscan attach 4242 --interval 10s --duration 5m --out before-fix/
  leakscan attach 4242 --url http://127.0.0.1:6060 --json > suspects.json`,
    )
    .action((pid: string, flags: AttachFlags) => run(() => attachCommand(pid, flags)));
}

async function attachCommand(pidText: string, flags: AttachFlags): Promise<number> {
  return attachAndSample(parsePid(pidText), flags);
}

/** The Node inspector options of attach and check. */
export function parsePid(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) <= 0) throw new InputError(`not a pid: ${text}`);
  return Number(text);
}

/** Attaches to a Go or Node process, samples it and prints the result (or hands it to `output`). */
export async function attachAndSample(givenPid: number, flags: AttachFlags, output?: SessionOutput): Promise<number> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const count = snapshotCount(flags, ATTACH_DEFAULTS.count);
  const analysis = await resolveAnalysisOptions(flags);
  await assertReportWritable(flags);
  const info = await throughLauncher(await inspectProcess(givenPid), say);
  const pid = info.pid;
  if (info.runtime.kind === 'node') return attachNode(pid, info, flags, count, analysis, say, output);
  if (info.runtime.kind === 'unknown') {
    throw new TargetError(`pid ${pid} (${info.runtime.description}) is neither a Go nor a Node.js program; nothing was sent to it`);
  }
  const url = flags.url ?? (await discoverPprof(pid));
  say(`attached to Go process ${pid} (${info.runtime.version}${info.exe ? `, ${info.exe}` : ''}); pprof at ${url}`);
  const outDir = flags.out ?? (await makeDefaultOutputDirectory(timestampName(`leakscan-${pid}`)));
  say(`taking ${samplingPlan(count, flags.interval)} into ${outDir}`);
  return runSamplingSession({
    take: goTaker(url, pid, info.runtime.version, flags, say),
    output,
    count,
    outDir,
    flags,
    analysis,
    say,
  });
}

async function attachNode(
  pid: number,
  info: ProcessInfo,
  flags: AttachFlags,
  count: number,
  analysis: Awaited<ReturnType<typeof resolveAnalysisOptions>>,
  say: (line: string) => void,
  output: SessionOutput | undefined,
): Promise<number> {
  const outDir = flags.out ?? (await makeDefaultOutputDirectory(timestampName(`leakscan-${pid}`)));
  const attach = {
    ...defaultNodeAttachOptions,
    timeoutMs: flags.timeout * 1000,
    promiseCensus: flags.promiseCensus,
    agent: agentSettingsFromFlags(flags),
    allowRemoteInspector: flags.allowRemoteInspector === true,
    ...(flags.inspectorPort !== undefined ? { inspectorPort: flags.inspectorPort } : {}),
    say,
  };
  return sampleNodeTarget(
    pid,
    info,
    attach,
    { output, count, outDir, flags, analysis, say },
    (target) =>
      `attached to Node.js process ${pid} (${target.nodeVersion}); inspector ${target.openedInspector ? 'opened by leakscan' : 'already open'} on port ${target.inspectorPort}; taking ${samplingPlan(count, flags.interval)} into ${outDir}`,
  );
}

/** Samples a Go pprof endpoint known only by URL (a remote or containerised service: no pid to check). */
export async function sampleGoUrl(url: string, flags: AttachFlags, output?: SessionOutput): Promise<number> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const count = snapshotCount(flags, ATTACH_DEFAULTS.count);
  const analysis = await resolveAnalysisOptions(flags);
  await assertReportWritable(flags);
  const outDir = flags.out ?? (await makeDefaultOutputDirectory(timestampName('leakscan-url')));
  say(`sampling ${url}: ${samplingPlan(count, flags.interval)} into ${outDir}`);
  return runSamplingSession({ take: goTaker(url, undefined, undefined, flags, say), output, count, outDir, flags, analysis, say });
}

/** The program to attach to: `info` itself, or the one Go or Node program a launcher (npm start, go run, a shell) runs. */
async function throughLauncher(info: ProcessInfo, say: (line: string) => void): Promise<ProcessInfo> {
  const launcher = launcherName(info);
  if (launcher === undefined) return info;
  const programs = await launchedPrograms(info);
  const describe = (p: ProcessInfo) => `${p.pid} (${safeText(p.argv.join(' ').slice(0, 80))})`;
  if (programs.length === 1) {
    say(`pid ${info.pid} is ${launcher}, a launcher: attaching to the program it runs, pid ${describe(programs[0]!)}`);
    return programs[0]!;
  }
  if (programs.length === 0) {
    throw new TargetError(`pid ${info.pid} is ${launcher}, a launcher, and runs no Go or Node.js program (yet); nothing was sent to it`);
  }
  const choice = await askWhichProgram(info.pid, launcher, programs.map(describe));
  if (choice === undefined) {
    throw new InputError(
      `pid ${info.pid} is ${launcher}, a launcher running ${programs.length} programs: ${programs.map(describe).join(', ')}; attach to one of them by its pid`,
    );
  }
  return programs[choice]!;
}

/** On a terminal, asks which of several programs to attach to; undefined without one (CI) or without an answer. */
async function askWhichProgram(pid: number, launcher: string, choices: string[]): Promise<number | undefined> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  const { createInterface } = await import('node:readline/promises');
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    process.stderr.write(`pid ${pid} is ${launcher}, a launcher running ${choices.length} programs:\n`);
    choices.forEach((c, i) => process.stderr.write(`  ${i + 1}) ${c}\n`));
    const answer = Number((await prompt.question(`attach to which (1-${choices.length})? `)).trim());
    return Number.isInteger(answer) && answer >= 1 && answer <= choices.length ? answer - 1 : undefined;
  } finally {
    prompt.close();
  }
}
