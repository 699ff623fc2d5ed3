import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { inspectProcess, processTree } from '../sources/proc.js';
import { discoverPprof } from '../sources/go/discover.js';
import { goSnapshotTaker } from '../sources/go/target.js';
import { InputError, TargetError } from '../util/errors.js';
import { addAnalysisOptions, resolveAnalysisOptions } from './analysis-options.js';
import type { AnalysisFlags } from './analysis-options.js';
import { addSamplingOptions, runSamplingSession, snapshotCount } from './sampling-session.js';
import type { SamplingFlags } from './sampling-session.js';
import { positiveSeconds } from './options.js';
import { timestampName } from './names.js';
import { ATTACH_DEFAULTS } from './attach.js';

interface RunFlags extends SamplingFlags, AnalysisFlags {
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
    .description('start a program, wait for its pprof endpoint, sample it over time and rank leak suspects')
    .argument('<command...>', 'the program and its arguments (put them after --)')
    .option('--wait <seconds>', 'how long to wait for the program to serve pprof', positiveSeconds, 30)
    .option('--no-stop', 'leave the program running when sampling ends (default: stop it)')
    .option('--url <url>', 'the pprof endpoint, when it cannot be found from the program\'s sockets')
    .option('--timeout <seconds>', 'give up on a snapshot request after this long', positiveSeconds, 30)
    .option('--no-leak-profile', 'do not ask for /debug/pprof/goroutineleak')
    .option('--no-labels', 'do not fetch ?debug=0 to learn pprof labels');
  addSamplingOptions(command, ATTACH_DEFAULTS);
  addAnalysisOptions(command)
    .addHelpText(
      'after',
      `
The program's output goes to program.log in the snapshot directory. A program
started through \`go run\` or a shell is found among the started process's
descendants.

Examples:
  leakscan run -- ./bin/api-server --config dev.yaml
  leakscan run --duration 120 --interval 10 -- go run ./cmd/gateway`,
    )
    .action((argv: string[], flags: RunFlags) => run(() => runCommand(argv, flags)));
}

async function runCommand(argv: string[], flags: RunFlags): Promise<number> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  if (argv.length === 0) throw new InputError('no program to run: leakscan run -- <command...>');
  const count = snapshotCount(flags, ATTACH_DEFAULTS.count);
  const analysis = await resolveAnalysisOptions(flags);
  const outDir = flags.out ?? join(process.cwd(), timestampName('leakscan-run'));
  mkdirSync(outDir, { recursive: true });
  const logFile = join(outDir, 'program.log');
  const log = openSync(logFile, 'a');
  // Its own process group, so Ctrl-C in leakscan's terminal does not reach it
  // and stopping it reaches `go run`'s child too.
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', (error) => resolve(error.message));
  });
  let stopProgram = flags.stop;
  try {
    say(`started ${argv.join(' ')} as pid ${child.pid}; its output goes to ${logFile}`);
    const { pid, url, runtimeVersion } = await waitForPprof(child, exited, flags, logFile);
    say(`pprof at ${url} (pid ${pid}); taking ${count} snapshots ${flags.interval}s apart into ${outDir}`);
    return await runSamplingSession({
      take: goSnapshotTaker(url, {
        pid,
        runtimeVersion,
        timeoutMs: flags.timeout * 1000,
        leakProfile: flags.leakProfile,
        labels: flags.labels,
        maxConsecutiveFailures: 3,
        retryDelayMs: 1000,
        onSkip: say,
      }),
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

/** Polls the program's process tree until one of its Go processes serves pprof. */
async function waitForPprof(
  child: ChildProcess,
  exited: Promise<number | string>,
  flags: RunFlags,
  logFile: string,
): Promise<{ pid: number; url: string; runtimeVersion: string }> {
  const deadline = Date.now() + flags.wait * 1000;
  let exitStatus: number | string | undefined;
  void exited.then((status) => (exitStatus = status));
  for (;;) {
    if (exitStatus !== undefined) {
      throw new TargetError(`the program exited (${exitStatus}) before it served pprof; its output is in ${logFile}`);
    }
    for (const pid of await processTree(child.pid!)) {
      const info = await inspectProcess(pid).catch(() => undefined);
      if (info?.runtime.kind !== 'go') continue;
      const runtimeVersion = info.runtime.version;
      if (flags.url !== undefined) return { pid, url: flags.url, runtimeVersion };
      const url = await discoverPprof(pid, 1000).catch(() => undefined);
      if (url !== undefined) return { pid, url, runtimeVersion };
    }
    if (Date.now() > deadline) {
      throw new TargetError(`the program served no pprof endpoint within ${flags.wait}s (it needs import _ "net/http/pprof" and a listener; see --wait, --url)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
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
