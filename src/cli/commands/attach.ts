import type { Command } from 'commander';
import { join } from 'node:path';
import { inspectProcess } from '../../targets/proc.js';
import type { ProcessInfo } from '../../targets/proc.js';
import { defaultNodeAttachOptions } from '../../targets/node/target.js';
import { sampleNodeTarget } from '../../session/node-sampling.js';
import { discoverPprof } from '../../targets/go/discover.js';
import { goTaker } from '../../session/go-sampling.js';
import { TargetError, InputError } from '../../util/errors.js';
import { addAnalysisOptions, resolveAnalysisOptions } from '../analysis-options.js';
import type { AnalysisFlags } from '../analysis-options.js';
import { addSamplingOptions, runSamplingSession, snapshotCount } from '../../session/sampling-session.js';
import type { SamplingFlags, SessionOutput } from '../../session/sampling-session.js';
import { positiveSeconds } from '../options.js';
import { addNodeAgentOptions, agentSettingsFromFlags } from '../node-agent-options.js';
import type { NodeAgentFlags } from '../node-agent-options.js';
import { timestampName } from '../names.js';

export interface AttachFlags extends SamplingFlags, AnalysisFlags, NodeAgentFlags {
  url?: string;
  timeout: number;
  leakProfile: boolean;
  labels: boolean;
  promiseCensus: boolean;
}

export const ATTACH_DEFAULTS = { interval: 5, count: 12 };

export function registerAttach(program: Command, run: (action: () => Promise<number | void>) => Promise<void>): void {
  const command = program
    .command('attach')
    .description('sample a running Go or Node.js process by pid over time and rank leak suspects')
    .argument('<pid>', 'process id of the target')
    .option('--url <url>', 'the pprof endpoint to use instead of finding it from the pid')
    .option('--timeout <seconds>', 'give up on a snapshot request after this long', positiveSeconds, 30)
    .option('--no-leak-profile', 'do not ask for /debug/pprof/goroutineleak (one extra GC cycle per snapshot)')
    .option('--no-labels', 'do not fetch ?debug=0 to learn pprof labels when dumps have none')
    .option('--no-promise-census', 'Node: do not walk the heap for promises and listeners made before attach (each walk runs a GC in the target per snapshot; timers, sockets and servers are still found)');
  addNodeAgentOptions(command);
  addSamplingOptions(command, ATTACH_DEFAULTS);
  addAnalysisOptions(command)
    .addHelpText(
      'after',
      `
Go: leakscan finds the pprof endpoint by asking each TCP port the process
listens on for /debug/pprof/; it never sends a signal to a Go process.
Node.js: leakscan opens the inspector with SIGUSR1 (after checking the pid is
Node and its inspector port is free), checks process.pid over it, injects an
async_hooks agent, and on detach removes the agent and closes the inspector
again. The agent costs at most about --agent-budget of a core: in a busy
process it watches in windows and scales what it saw (the report says so).
Stacks come from the native addon when it is built for the target's Node
ABI, else from JavaScript (leakscan doctor tells which). Snapshots are saved as they are taken; Ctrl-C stops early and still
analyses them.

Examples:
  leakscan attach 4242
  leakscan attach 4242 --interval 10 --duration 300 --out before-fix/
  leakscan attach 4242 --url http://127.0.0.1:6060 --json > suspects.json`,
    )
    .action((pid: string, flags: AttachFlags) => run(() => attachCommand(pid, flags)));
}

async function attachCommand(pidText: string, flags: AttachFlags): Promise<number> {
  return attachAndSample(parsePid(pidText), flags);
}

export function parsePid(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) <= 0) throw new InputError(`not a pid: ${text}`);
  return Number(text);
}

/** Attaches to a Go or Node process, samples it and prints the result (or hands it to `output`). */
export async function attachAndSample(pid: number, flags: AttachFlags, output?: SessionOutput): Promise<number> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const count = snapshotCount(flags, ATTACH_DEFAULTS.count);
  const analysis = await resolveAnalysisOptions(flags);
  const info = await inspectProcess(pid);
  if (info.runtime.kind === 'node') return attachNode(pid, info, flags, count, analysis, say, output);
  if (info.runtime.kind === 'unknown') {
    throw new TargetError(`pid ${pid} (${info.runtime.description}) is neither a Go nor a Node.js program; nothing was sent to it`);
  }
  const url = flags.url ?? (await discoverPprof(pid));
  say(`attached to Go process ${pid} (${info.runtime.version}${info.exe ? `, ${info.exe}` : ''}); pprof at ${url}`);
  const outDir = flags.out ?? join(process.cwd(), timestampName(`leakscan-${pid}`));
  say(`taking ${count} snapshots ${flags.interval}s apart into ${outDir}`);
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
  const outDir = flags.out ?? join(process.cwd(), timestampName(`leakscan-${pid}`));
  const attach = {
    ...defaultNodeAttachOptions,
    timeoutMs: flags.timeout * 1000,
    promiseCensus: flags.promiseCensus,
    agent: agentSettingsFromFlags(flags),
    say,
  };
  return sampleNodeTarget(pid, info, attach, { output, count, outDir, flags, analysis, say }, (target) =>
    `attached to Node.js process ${pid} (${target.nodeVersion}); inspector ${target.openedInspector ? 'opened by leakscan' : 'already open'} on port ${target.inspectorPort}; taking ${count} snapshots ${flags.interval}s apart into ${outDir}`,
  );
}

/** Samples a Go pprof endpoint known only by URL (a remote or containerised service: no pid to check). */
export async function sampleGoUrl(url: string, flags: AttachFlags, output?: SessionOutput): Promise<number> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const count = snapshotCount(flags, ATTACH_DEFAULTS.count);
  const analysis = await resolveAnalysisOptions(flags);
  const outDir = flags.out ?? join(process.cwd(), timestampName('leakscan-url'));
  say(`sampling ${url}: ${count} snapshots ${flags.interval}s apart into ${outDir}`);
  return runSamplingSession({ take: goTaker(url, undefined, undefined, flags, say), output, count, outDir, flags, analysis, say });
}
