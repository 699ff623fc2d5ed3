import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { inspectProcess, listeningSockets, processTree } from '../../targets/proc.js';
import type { ProcessInfo } from '../../targets/proc.js';
import { agentFile, agentOptions, defaultNodeAttachOptions } from '../../targets/node/target.js';
import { addNodeAgentOptions, agentSettingsFromFlags, NODE_AGENT_FLAG_DEFAULTS } from '../node-agent-options.js';
import type { NodeAgentFlags } from '../node-agent-options.js';
import { sampleNodeTarget } from '../../session/node-sampling.js';
import { discoverPprof } from '../../targets/go/discover.js';
import { goTaker } from '../../session/go-sampling.js';
import { InputError, TargetError } from '../../util/errors.js';
import { makeDirectory } from '../../util/make-directory.js';
import { addAnalysisOptions, resolveAnalysisOptions } from '../analysis-options.js';
import type { AnalysisFlags } from '../analysis-options.js';
import { addSamplingOptions, runSamplingSession, snapshotCount } from '../../session/sampling-session.js';
import type { SamplingFlags, SessionOutput } from '../../session/sampling-session.js';
import { positiveSeconds } from '../options.js';
import { timestampName } from '../names.js';
import { ATTACH_DEFAULTS } from './attach.js';

export interface RunFlags extends SamplingFlags, AnalysisFlags, Partial<NodeAgentFlags> {
  wait: number;
  stop: boolean;
  url?: string;
  timeout: number;
  leakProfile: boolean;
  labels: boolean;
}

export function registerRun(program: Command, run: (action: () => Promise<number | void>) => Promise<void>): void {
  const command = program
    .command('run')
    .description('start a Go or Node.js program, sample it over time and rank leak suspects')
    .argument('<command...>', 'the program and its arguments (put them after --)')
    .option('--wait <seconds>', 'how long to wait for the program to serve pprof', positiveSeconds, 30)
    .option('--no-stop', 'leave the program running when sampling ends (default: stop it)')
    .option('--url <url>', 'the pprof endpoint, when it cannot be found from the program\'s sockets')
    .option('--timeout <seconds>', 'give up on a snapshot request after this long', positiveSeconds, 30)
    .option('--no-leak-profile', 'do not ask for /debug/pprof/goroutineleak')
    .option('--no-labels', 'do not fetch ?debug=0 to learn pprof labels');
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
inspector on a random loopback port for leakscan to read it.

Examples:
  leakscan run -- ./bin/api-server --config dev.yaml
  leakscan run --duration 120 --interval 10 -- go run ./cmd/gateway
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
  const outDir = flags.out ?? join(process.cwd(), timestampName('leakscan-run'));
  await makeDirectory(outDir);
  const logFile = join(outDir, 'program.log');
  const log = openSync(logFile, 'a');
  // Its own process group, so Ctrl-C in leakscan's terminal does not reach it
  // and stopping it reaches `go run`'s child too.
  // Node programs (and any node they start) get the agent preloaded, from their
  // first line, and an inspector on a random loopback port for leakscan to
  // reach it. Go programs ignore NODE_OPTIONS.
  const nodeOptions = [process.env.NODE_OPTIONS ?? '', `--require ${JSON.stringify(agentFile())}`, '--inspect=127.0.0.1:0'].join(' ').trim();
  const child = spawn(argv[0]!, argv.slice(1), {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, NODE_OPTIONS: nodeOptions, LEAKSCAN_AGENT_OPTIONS: JSON.stringify(agentOptions(agentSettingsFromFlags({ ...NODE_AGENT_FLAG_DEFAULTS, ...flags }), { preloaded: true, watchdogMs: defaultNodeAttachOptions.watchdogMs })) },
  });
  closeSync(log);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', (error) => resolve(error.message));
  });
  let stopProgram = flags.stop;
  try {
    say(`started ${argv.join(' ')} as pid ${child.pid}; its output goes to ${logFile}`);
    const found = await waitForTarget(child, exited, flags, logFile);
    if (found.kind === 'node') return await sampleNode(found.pid, found.info, count, outDir, flags, analysis, say, output);
    const { pid, url, runtimeVersion } = found;
    say(`pprof at ${url} (pid ${pid}); taking ${count} snapshots ${flags.interval}s apart into ${outDir}`);
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
    stopProgram = true; // never leave behind a program the user did not get results from
    throw error;
  } finally {
    if (stopProgram) {
      await stopGroup(child, exited);
    } else if (child.exitCode === null) {
      child.unref();
      say(`left the program running as pid ${child.pid}`);
    }
  }
}

type FoundTarget = { kind: 'go'; pid: number; url: string; runtimeVersion: string } | { kind: 'node'; pid: number; info: ProcessInfo };

/**
 * Polls the program's process tree until one of its Go processes serves
 * pprof, or one of its Node processes has its inspector open.
 */
async function waitForTarget(child: ChildProcess, exited: Promise<number | string>, flags: RunFlags, logFile: string): Promise<FoundTarget> {
  const deadline = Date.now() + flags.wait * 1000;
  let exitStatus: number | string | undefined;
  void exited.then((status) => (exitStatus = status));
  for (;;) {
    if (exitStatus !== undefined) {
      throw new TargetError(`the program exited (${exitStatus}) before leakscan could reach it; its output is in ${logFile}`);
    }
    for (const pid of await processTree(child.pid!)) {
      const info = await inspectProcess(pid).catch(() => undefined);
      if (info?.runtime.kind === 'node') {
        const sockets = await listeningSockets(pid).catch(() => []);
        if (sockets.length > 0) return { kind: 'node', pid, info };
        continue;
      }
      if (info?.runtime.kind !== 'go') continue;
      const runtimeVersion = info.runtime.version;
      if (flags.url !== undefined) return { kind: 'go', pid, url: flags.url, runtimeVersion };
      const url = await discoverPprof(pid, 1000).catch(() => undefined);
      if (url !== undefined) return { kind: 'go', pid, url, runtimeVersion };
    }
    if (Date.now() > deadline) {
      throw new TargetError(`the program served no pprof endpoint (Go) or inspector (Node.js) within ${flags.wait}s (a Go program needs import _ "net/http/pprof" and a listener; see --wait, --url)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
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
  // leakscan set --inspect=127.0.0.1:0 itself: a command line rewritten by process.title changes nothing.
  const attach = { ...defaultNodeAttachOptions, timeoutMs: flags.timeout * 1000, launchedByLeakscan: true, say };
  return sampleNodeTarget(pid, info, attach, { output, count, outDir, flags, analysis, say }, (target) =>
    `Node.js ${target.nodeVersion} (pid ${pid}), agent loaded at start; taking ${count} snapshots ${flags.interval}s apart into ${outDir}`,
  );
}

/** SIGTERM to the program's process group (it was started in its own), SIGKILL after 5 s. */
async function stopGroup(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      /* already gone */
    }
  };
  signalGroup('SIGTERM');
  const timer = setTimeout(() => signalGroup('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
