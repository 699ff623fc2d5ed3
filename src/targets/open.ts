/**
 * Finding and opening a live target: a running process by pid (a launcher
 * looked through to the program it runs), a Go pprof endpoint by URL, or
 * the readable process of a program leakscan started. Finding sends nothing
 * to a Node process (its inspector is reached only when it is opened);
 * a Go process's endpoint is found among its own listening sockets.
 */
import { safeText } from '../report/format.js';
import { ExitCode, InputError, LeakscanError, TargetError } from '../util/errors.js';
import { discoverPprof } from './go/discover.js';
import { GoTarget } from './go/target.js';
import { defaultPprofOptions, explicitProfileUrl, pprofBase } from './go/pprof-client.js';
import { findReadableProcess } from './launch.js';
import type { StartedProgram } from './launch.js';
import { launchedPrograms, launcherName } from './launchers.js';
import { defaultNodeAttachOptions, NodeTarget } from './node/target.js';
import type { AgentSettings } from './node/agent-settings.js';
import { inspectProcess } from './proc.js';
import type { ProcessInfo } from './proc.js';

/** How a live target is read: what the sampling options of attach, run and check say. */
export interface ReadSettings {
  /** Give up on one snapshot request after this long. */
  timeoutMs: number;
  go: {
    leakProfile: boolean;
    labels: boolean;
    /** The worst pause a snapshot may cause, in milliseconds; Infinity for none; default pause-budget.ts's. */
    pauseBudgetMs?: number;
    /** The worst pause of the full dumps at the first and last snapshot, in milliseconds; 0 for none; default pause-budget.ts's. */
    evidencePauseMs?: number;
  };
  node: {
    promiseCensus: boolean;
    agent: AgentSettings;
    allowRemoteInspector: boolean;
    inspectorPort?: number;
  };
}

/** What reading a target does when no option says otherwise. */
export const DEFAULT_READ_SETTINGS: ReadSettings = {
  timeoutMs: defaultPprofOptions.timeoutMs,
  go: { leakProfile: defaultPprofOptions.leakProfile, labels: defaultPprofOptions.labels },
  node: {
    promiseCensus: defaultNodeAttachOptions.promiseCensus,
    agent: defaultNodeAttachOptions.agent,
    allowRemoteInspector: defaultNodeAttachOptions.allowRemoteInspector,
  },
};

/**
 * Which of several programs under a launcher to use, given their
 * descriptions; undefined when nobody can answer (no terminal). Asking is
 * the CLI's question, so it is passed in.
 */
export type ChooseProgram = (launcherPid: number, launcher: string, choices: string[]) => Promise<number | undefined>;

/** Where the target is. */
export type TargetAddress =
  | { kind: 'pid'; pid: number; url?: string; choose: ChooseProgram }
  | { kind: 'url'; url: string }
  | { kind: 'program'; program: StartedProgram; waitSeconds: number; url?: string; logFile: string };

/** A target found and checked, with nothing sent to it yet that could change it. */
export type FoundTarget =
  | { runtime: 'go'; pid: number | undefined; url: string; info?: ProcessInfo; runtimeVersion?: string; started: boolean }
  | { runtime: 'node'; pid: number; info: ProcessInfo; started: boolean };

export type LiveTarget = GoTarget | NodeTarget;

export async function findTarget(address: TargetAddress, say: (line: string) => void): Promise<FoundTarget> {
  // A URL that cannot be one is the user's mistake, said before anything is sent or made.
  if (address.url !== undefined) checkPprofAddress(address.url);
  if (address.kind === 'url') return { runtime: 'go', pid: undefined, url: address.url, started: false };
  if (address.kind === 'program') {
    const found = await findReadableProcess(address.program, address.waitSeconds, address.url, address.logFile);
    if (found.kind === 'node') return { runtime: 'node', pid: found.pid, info: found.info, started: true };
    return { runtime: 'go', pid: found.pid, url: found.url, runtimeVersion: found.runtimeVersion, started: true };
  }
  const info = await throughLauncher(await inspectProcess(address.pid), address.choose, say);
  const { pid } = info;
  if (info.runtime.kind === 'node') {
    if (address.url !== undefined) {
      throw new LeakscanError(`--url names a Go pprof endpoint, and pid ${pid} is a Node.js process; leave out --url`, ExitCode.usage);
    }
    return { runtime: 'node', pid, info, started: false };
  }
  if (info.runtime.kind === 'unknown') {
    throw new TargetError(`pid ${pid} (${info.runtime.description}) is neither a Go nor a Node.js program; nothing was sent to it`);
  }
  const url = address.url ?? (await discoverPprof(pid));
  return { runtime: 'go', pid, url, info, runtimeVersion: info.runtime.version, started: false };
}

/**
 * Opens a found target for reading. A Node process gets the agent (or, when
 * leakscan started it, its preloaded agent is claimed); its inspector is
 * opened only after the checks in targets/node/open-inspector.ts.
 */
export async function openTarget(found: FoundTarget, settings: ReadSettings, say: (line: string) => void): Promise<LiveTarget> {
  if (found.runtime === 'go') {
    return new GoTarget(found.url, {
      ...(found.pid !== undefined ? { pid: found.pid } : {}),
      ...(found.runtimeVersion !== undefined ? { runtimeVersion: found.runtimeVersion } : {}),
      timeoutMs: settings.timeoutMs,
      leakProfile: settings.go.leakProfile,
      labels: settings.go.labels,
      ...(settings.go.pauseBudgetMs !== undefined ? { pauseBudgetMs: settings.go.pauseBudgetMs } : {}),
      ...(settings.go.evidencePauseMs !== undefined ? { evidencePauseMs: settings.go.evidencePauseMs } : {}),
      say,
      maxConsecutiveFailures: 3,
      retryDelayMs: 1000,
      firstAnswerDecides: true,
      onSkip: say,
    });
  }
  const { node } = settings;
  return NodeTarget.attach(
    found.pid,
    {
      ...defaultNodeAttachOptions,
      timeoutMs: settings.timeoutMs,
      promiseCensus: node.promiseCensus,
      agent: node.agent,
      allowRemoteInspector: node.allowRemoteInspector,
      ...(node.inspectorPort !== undefined ? { inspectorPort: node.inspectorPort } : {}),
      // A program leakscan started has the inspector leakscan's --inspect=127.0.0.1:0
      // opened: detach closes it, and a command line rewritten by process.title changes nothing.
      ...(found.started ? { ownsInspector: true, launchedByLeakscan: true } : {}),
      say,
    },
    found.info,
  );
}

/** Throws InputError (exit 2) for a --url that cannot name a pprof endpoint. */
export function checkPprofAddress(url: string): void {
  pprofBase(url);
  explicitProfileUrl(url);
}

/** The program to read: `info` itself, or the one Go or Node program a launcher (npm start, go run, a shell) runs. */
async function throughLauncher(info: ProcessInfo, choose: ChooseProgram, say: (line: string) => void): Promise<ProcessInfo> {
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
  const choice = await choose(info.pid, launcher, programs.map(describe));
  if (choice === undefined) {
    throw new InputError(
      `pid ${info.pid} is ${launcher}, a launcher running ${programs.length} programs: ${programs.map(describe).join(', ')}; attach to one of them by its pid`,
    );
  }
  return programs[choice]!;
}
