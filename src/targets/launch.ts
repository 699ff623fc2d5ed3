/**
 * Starting a user's program for `leakscan run` (and `check -- <command>`),
 * finding the Go or Node process in it that leakscan can read, and stopping
 * it again. Node programs get the agent preloaded and an inspector on a
 * random loopback port; Go programs ignore both.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { inspectProcess, listeningSockets, processTree } from './proc.js';
import type { ProcessInfo } from './proc.js';
import { discoverPprof } from './go/discover.js';
import { agentOptions, agentPreloadFile, defaultNodeAttachOptions } from './node/target.js';
import type { AgentSettings } from './node/agent-settings.js';
import { TargetError } from '../util/errors.js';

/** Beyond --wait, how long a preloaded agent waits for leakscan: finding the program's inspector and connecting to it. */
const PRELOAD_ATTACH_SLACK_MS = 10_000;

export interface StartedProgram {
  child: ChildProcess;
  /** Resolves with the exit code, the signal, or the spawn error's message. */
  exited: Promise<number | string>;
}

/**
 * Starts `argv` in its own process group, so Ctrl-C in leakscan's terminal
 * does not reach it and stopping it reaches `go run`'s child too, with its
 * output appended to `logFile`.
 */
export function startProgram(argv: readonly string[], logFile: string, agent: AgentSettings, waitSeconds: number): StartedProgram {
  const log = openSync(logFile, 'a');
  // Node programs (and any node they start) get the agent preloaded, from their
  // first line, and an inspector on a random loopback port for leakscan to
  // reach it. Go programs ignore NODE_OPTIONS. The agent runs on the main
  // thread only (worker threads inherit the preload). Once leakscan has
  // connected, the agent gives the program back its own NODE_OPTIONS, so what
  // it starts later gets neither; a Node process that leakscan does not
  // connect to (started before that) removes its agent and closes its
  // inspector once leakscan can no longer come (--wait, plus the time to
  // attach). leakscan opened every one of these inspectors, so each is
  // closed when its agent is removed.
  const nodeOptions = [process.env.NODE_OPTIONS ?? '', `--require ${JSON.stringify(agentPreloadFile())}`, '--inspect=127.0.0.1:0'].join(' ').trim();
  const preloadOptions = agentOptions(agent, {
    preloaded: true,
    preloadWaitMs: waitSeconds * 1000 + PRELOAD_ATTACH_SLACK_MS,
    nodeOptions: process.env.NODE_OPTIONS ?? null,
    closeInspector: true,
    watchdogMs: defaultNodeAttachOptions.watchdogMs,
  });
  const child = spawn(argv[0]!, argv.slice(1), {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, NODE_OPTIONS: nodeOptions, LEAKSCAN_AGENT_OPTIONS: JSON.stringify(preloadOptions) },
  });
  closeSync(log);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', (error) => resolve(error.message));
  });
  return { child, exited };
}

export type FoundTarget = { kind: 'go'; pid: number; url: string; runtimeVersion: string } | { kind: 'node'; pid: number; info: ProcessInfo };

/**
 * Polls the program's process tree until one of its Go processes serves
 * pprof (at `url` when given), or one of its Node processes has its
 * inspector open.
 */
export async function findReadableProcess(program: StartedProgram, waitSeconds: number, url: string | undefined, logFile: string): Promise<FoundTarget> {
  const deadline = Date.now() + waitSeconds * 1000;
  let exitStatus: number | string | undefined;
  void program.exited.then((status) => (exitStatus = status));
  for (;;) {
    if (exitStatus !== undefined) {
      throw new TargetError(`the program exited (${exitStatus}) before leakscan could reach it; its output is in ${logFile}`);
    }
    for (const pid of await processTree(program.child.pid!)) {
      const info = await inspectProcess(pid).catch(() => undefined);
      if (info?.runtime.kind === 'node') {
        const sockets = await listeningSockets(pid).catch(() => []);
        if (sockets.length > 0) return { kind: 'node', pid, info };
        continue;
      }
      if (info?.runtime.kind !== 'go') continue;
      const runtimeVersion = info.runtime.version;
      if (url !== undefined) return { kind: 'go', pid, url, runtimeVersion };
      const found = await discoverPprof(pid, 1000).catch(() => undefined);
      if (found !== undefined) return { kind: 'go', pid, url: found, runtimeVersion };
    }
    if (Date.now() > deadline) {
      throw new TargetError(
        `the program served no pprof endpoint (Go) or inspector (Node.js) within ${waitSeconds}s (a Go program needs import _ "net/http/pprof" and a listener; see --wait, --url)`,
      );
    }
    await sleep(250);
  }
}

/** SIGTERM to the program's process group (it was started in its own), SIGKILL after 5 s. */
export async function stopProgram(program: StartedProgram): Promise<void> {
  const { child } = program;
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
  await program.exited;
  clearTimeout(timer);
}

export interface StartOptions {
  argv: readonly string[];
  /** Where the program's stdout and stderr go (appended). */
  logFile: string;
  /** The settings of the agent preloaded into Node programs. */
  agent: AgentSettings;
  waitSeconds: number;
  /** Stop the program when `body` ends; it is stopped anyway when `body` fails. */
  stop: boolean;
  say: (line: string) => void;
}

/**
 * Starts a program, runs `body` with it, and stops it again (or, with
 * `stop: false` and a result, leaves it running and says so): a program the
 * user got no result from is never left behind.
 */
export async function withStartedProgram<T>(options: StartOptions, body: (program: StartedProgram) => Promise<T>): Promise<T> {
  const { argv, logFile, say } = options;
  const program = startProgram(argv, logFile, options.agent, options.waitSeconds);
  const { child } = program;
  let stopAtEnd = options.stop;
  try {
    say(`started ${argv.join(' ')} as pid ${child.pid}; its output goes to ${logFile}`);
    return await body(program);
  } catch (error) {
    stopAtEnd = true;
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
