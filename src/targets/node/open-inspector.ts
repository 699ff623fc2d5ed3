/**
 * Reaching the inspector of a Node process by pid, and opening it with
 * SIGUSR1 only when every check says it is safe:
 *
 * - the command line and NODE_OPTIONS are read without guessing (else the
 *   user names the port: --inspector-port);
 * - the inspector would bind to loopback (else --allow-remote-inspector);
 * - the Node version can take leakscan's agent;
 * - the process catches SIGUSR1 (SigCgt), so the signal cannot kill it;
 * - the port it would open on is free;
 * - and right before the signal, the pid still names the process that was
 *   checked (its start time), so a reused pid is never signalled.
 *
 * The inspector is looked for only where the flags say it is (or, after
 * SIGUSR1 with a random port, on the socket that appeared): no request goes
 * to the application's own ports. After a signal, whatever happens, the
 * inspector ends up closed: by the agent on detach, by leakscan when
 * attaching fails, or, when the process is too busy to open it in time, by
 * a small watcher process that waits for it to open and closes it.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { TargetError } from '../../util/errors.js';
import { catchesSignal, isLoopbackAddress, listeningSockets, portHolders, processStartTime } from '../proc.js';
import type { ListeningSocket, ProcessInfo } from '../proc.js';
import { isNodeExecutable, nodeVersionOf, unsupportedNodeVersion } from './executable.js';
import { permissionAdvice } from '../permission-advice.js';
import { connectHost, parseInspectorFlags, readNodeCommandLine } from './inspect-flags.js';
import type { InspectorFlags } from './inspect-flags.js';
import { askInspector, closeInspector } from './inspector-endpoint.js';
import type { InspectorEndpoint } from './inspector-endpoint.js';
import { setTimeout as sleep } from 'node:timers/promises';

const SIGUSR1 = 10;

export interface ReachOptions {
  timeoutMs: number;
  /** Use (or open) an inspector that listens beyond loopback. */
  allowRemoteInspector: boolean;
  /** The port the user says the inspector listens on, or will open on. */
  inspectorPort?: number;
  /** leakscan started this process itself with --inspect=127.0.0.1:0 in NODE_OPTIONS (leakscan run). */
  launchedByLeakscan?: boolean;
  say: (line: string) => void;
}

export interface ReachedInspector {
  endpoint: InspectorEndpoint;
  /** leakscan sent SIGUSR1: the inspector must be closed again, whatever happens next. */
  opened: boolean;
}

/** Finds the target's open inspector, or opens it with SIGUSR1 when that is safe. */
export async function reachInspector(pid: number, info: ProcessInfo, options: ReachOptions): Promise<ReachedInspector> {
  const startTime = await processStartTime(pid);
  if (startTime === undefined) throw new TargetError(`the target (pid ${pid}) exited`);
  const flags = await readFlags(pid, info, options);
  if (flags.permissionModel) {
    throw new TargetError(
      `pid ${pid} runs under Node's permission model (--permission), which disables the inspector; leakscan cannot attach (use leakscan run without --permission)`,
    );
  }
  const sockets = await listeningSockets(pid);
  const open = await findOpenInspector(pid, flags, sockets, options);
  if (open !== undefined) return { endpoint: open, opened: false };

  if (flags.sigusr1Disabled) {
    throw new TargetError(
      `pid ${pid} was started with --disable-sigusr1, so its inspector cannot be opened from outside; start it with --inspect=127.0.0.1:0, or under leakscan run`,
    );
  }
  if (!isLoopbackAddress(flags.host) && !options.allowRemoteInspector) {
    throw new TargetError(
      `pid ${pid} would open its inspector on ${flags.host}:${flags.port}, reachable from other machines (anyone who reaches it can run code in the process); nothing was sent (pass --allow-remote-inspector to accept that)`,
    );
  }
  const version = await nodeVersionOf(pid);
  const unsupported = version === undefined ? undefined : unsupportedNodeVersion(version);
  if (unsupported !== undefined) throw new TargetError(`pid ${pid}: ${unsupported}; nothing was sent to it`);
  if ((await catchesSignal(pid, SIGUSR1)) !== true) {
    throw new TargetError(`pid ${pid} does not handle SIGUSR1 (SigCgt in /proc/${pid}/status), so the signal would kill it; nothing was sent`);
  }
  if (flags.sigusr1OpensOn !== undefined) {
    throw new TargetError(
      `pid ${pid} has no inspector on port ${flags.port}, and SIGUSR1 would open one on port ${flags.sigusr1OpensOn} (its command line and NODE_OPTIONS say so), not ${flags.port}; nothing was sent (leave out --inspector-port)`,
    );
  }
  await ensurePortFree(pid, flags);

  const before = new Set(sockets.map((s) => s.port));
  await signalSameProcess(pid, startTime);
  options.say(`opening the inspector of Node process ${pid} (SIGUSR1)`);
  return { endpoint: await waitForOpening(pid, startTime, flags, before, options), opened: true };
}

/** The target's inspector flags as leakscan will use them. */
interface ReadFlags extends InspectorFlags {
  /** --inspector-port named another port than the one SIGUSR1 would open (read from the command line). */
  sigusr1OpensOn?: number;
}

async function readFlags(pid: number, info: ProcessInfo, options: ReachOptions): Promise<ReadFlags> {
  const nodeOptions = await readNodeOptions(pid);
  const commandLine = readNodeCommandLine(info.argv, info.exe);
  const flags = parseInspectorFlags(commandLine.execArgv, nodeOptions ?? '');
  const unreadable =
    nodeOptions === undefined ? `its environment (NODE_OPTIONS) cannot be read` : options.launchedByLeakscan ? undefined : commandLine.unreadable;
  if (options.inspectorPort !== undefined) {
    // The user says where the inspector is: the only guess left to check is
    // the address. Where the command line can be read, it also says where
    // SIGUSR1 would open one, which may not be the user's port.
    const opensOn = unreadable === undefined && flags.port !== 0 && flags.port !== options.inspectorPort ? flags.port : undefined;
    return { ...flags, port: options.inspectorPort, ...(opensOn !== undefined ? { sigusr1OpensOn: opensOn } : {}) };
  }
  if (unreadable !== undefined) {
    throw new TargetError(
      `pid ${pid}: ${unreadable}; leakscan does not guess where its inspector is and sent nothing (name the port with --inspector-port, 9229 unless the program sets --inspect-port)`,
    );
  }
  return flags;
}

/** NODE_OPTIONS of the process, '' when unset, undefined when its environment cannot be read. */
async function readNodeOptions(pid: number): Promise<string | undefined> {
  try {
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8');
    const entry = environ.split('\0').find((e) => e.startsWith('NODE_OPTIONS='));
    return entry ? entry.slice('NODE_OPTIONS='.length) : '';
  } catch {
    return undefined;
  }
}

/**
 * The inspector, if it is open: on the port the flags (or the user) name,
 * among the target's own listening sockets. Only a random port (port 0)
 * leaves nothing to go by but asking each of the target's sockets.
 */
async function findOpenInspector(
  pid: number,
  flags: InspectorFlags,
  sockets: ListeningSocket[],
  options: ReachOptions,
): Promise<InspectorEndpoint | undefined> {
  const candidates = flags.port === 0 ? (flags.openedAtStart ? sockets : []) : sockets.filter((s) => s.port === flags.port);
  if (candidates.length === 0) return undefined;
  if (flags.port !== 0) for (const socket of candidates) refuseRemote(pid, socket, options);
  const answers = await Promise.all(candidates.map(async (socket) => ({ socket, answer: await askInspector(socket, Math.min(options.timeoutMs, 2000)) })));
  const found = answers.find((a) => a.answer.kind === 'inspector');
  if (found === undefined) {
    if (flags.port === 0) return undefined;
    const why = answers[0]!.answer.kind === 'not-inspector' ? answers[0]!.answer.why : '';
    throw new TargetError(
      `pid ${pid} listens on port ${flags.port}, where its inspector ${flags.openedAtStart ? 'is' : 'would open'}, but that socket is not an inspector leakscan can use (${why}); nothing was sent`,
    );
  }
  refuseRemote(pid, found.socket, options);
  return found.answer.kind === 'inspector' ? found.answer.endpoint : undefined;
}

function refuseRemote(pid: number, socket: ListeningSocket, options: ReachOptions): void {
  if (socket.loopbackOnly || options.allowRemoteInspector) return;
  throw new TargetError(
    `the inspector of pid ${pid} listens on ${socket.bound}:${socket.port}, reachable from other machines (anyone who reaches it can run code in the process); leakscan does not use it (pass --allow-remote-inspector to accept that)`,
  );
}

/** Refuses to signal when the inspector's port is held by another process. */
async function ensurePortFree(pid: number, flags: InspectorFlags): Promise<void> {
  if (flags.port === 0) return;
  const busy = await new Promise<boolean>((resolve) => {
    const socket = connect({ host: connectHost(flags.host).replace(/^\[|\]$/g, ''), port: flags.port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
  });
  if (busy) {
    // Say who holds it: on a shared host it is usually another Node process's
    // inspector, and freeing it is the one thing that lets this attach work
    // without restarting the target.
    const holders = await portHolders(flags.port, pid).catch(() => []);
    const who = holders.length > 0 ? holders.map((h) => `pid ${h.pid} (${h.command})`).join(', ') : 'another process';
    throw new TargetError(
      `port ${flags.port}, where pid ${pid} would open its inspector, is taken by ${who}; nothing was sent to pid ${pid}. ` +
        `Free the port (stop that inspector or process) and attach again, or start the target with --inspect-port=<free port> (or 0), or under leakscan run`,
    );
  }
}

/**
 * SIGUSR1, only if `pid` is still the process that was checked: its start
 * time is read again right before the signal (no probing in between), so a
 * pid that was reused after the target exited is never signalled.
 */
export async function signalSameProcess(pid: number, startTime: string): Promise<void> {
  const now = await processStartTime(pid);
  if (now !== startTime || (await isNodeExecutable(pid)) !== true) {
    throw new TargetError(`the target (pid ${pid}) exited before leakscan could open its inspector; nothing was sent`);
  }
  try {
    process.kill(pid, 'SIGUSR1'); // identified as Node, catching SIGUSR1, the same process: the signal opens its inspector
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') throw new TargetError(`the target (pid ${pid}) exited before leakscan could open its inspector`);
    if ((error as NodeJS.ErrnoException).code === 'EPERM') throw new TargetError(`not allowed to signal pid ${pid}: ${permissionAdvice('signal')}`);
    throw error;
  }
}

/**
 * After SIGUSR1: the inspector opens when the process's event loop next
 * runs. A process blocked in native code (a long execSync) opens it late;
 * leakscan waits up to its timeout, and past that leaves a watcher that
 * closes the inspector when it opens, so it is never left open.
 */
async function waitForOpening(pid: number, startTime: string, flags: InspectorFlags, before: Set<number>, options: ReachOptions): Promise<InspectorEndpoint> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  let said = false;
  while (Date.now() < deadline) {
    if ((await processStartTime(pid)) !== startTime) throw new TargetError(`pid ${pid} exited when its inspector was opened`);
    const sockets = await listeningSockets(pid).catch(() => []);
    const candidates = flags.port === 0 ? sockets.filter((s) => !before.has(s.port)) : sockets.filter((s) => s.port === flags.port);
    for (const socket of candidates) {
      const answer = await askInspector(socket, 1000);
      if (answer.kind !== 'inspector') continue;
      if (!socket.loopbackOnly && !options.allowRemoteInspector) {
        // Checked before the signal; a program may still bind elsewhere (inspector.open in its own code).
        await closeInspector(answer.endpoint);
        refuseRemote(pid, socket, options);
      }
      return answer.endpoint;
    }
    if (!said && Date.now() - started > 5000) {
      said = true;
      options.say(
        `pid ${pid} has not opened its inspector 5s after SIGUSR1 (busy, or blocked in native code?); waiting up to ${Math.round(options.timeoutMs / 1000)}s`,
      );
    }
    await sleep(100);
  }
  const watcher = startLateCloser(pid, startTime, flags, before);
  throw new TargetError(
    `pid ${pid} did not open its inspector on ${flags.host}:${flags.port || '(a random port)'} within ${options.timeoutMs / 1000}s after SIGUSR1; ` +
      (watcher === undefined ? 'it may open it later: check that port' : `a watcher (pid ${watcher}) closes it when it opens, and ends when pid ${pid} does`),
  );
}

/** Starts the watcher (late-inspector-closer.js) detached from leakscan, which exits now. */
function startLateCloser(pid: number, startTime: string, flags: InspectorFlags, before: Set<number>): number | undefined {
  try {
    const script = fileURLToPath(new URL('./late-inspector-closer.js', import.meta.url));
    const child = spawn(process.execPath, [script, String(pid), startTime, String(flags.port), [...before].join(',')], { detached: true, stdio: 'ignore' });
    child.unref();
    return child.pid;
  } catch {
    return undefined;
  }
}

/** Closes an inspector leakscan opened, when attaching failed after the signal; true once /proc shows its port closed. */
export async function closeOpenedInspector(pid: number, endpoint: InspectorEndpoint): Promise<boolean> {
  await closeInspector(endpoint);
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const sockets = await listeningSockets(pid).catch(() => []);
    if (!sockets.some((s) => s.port === endpoint.port)) return true;
    await sleep(100);
  }
  return false;
}
