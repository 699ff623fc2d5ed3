/**
 * Attaching to a running Node.js process by pid, safely:
 *
 * 1. The pid must be a Node process (/proc: executable and command line);
 *    SIGUSR1 kills most other programs.
 * 2. Its command line and NODE_OPTIONS say whether the inspector is open,
 *    on which port SIGUSR1 would open it, and whether anything forbids it
 *    (--disable-sigusr1, the permission model).
 * 3. If the inspector is not open, the port it would take must be free:
 *    port 9229 may belong to another process, which must not be confused with
 *    the target. Only then SIGUSR1 is sent.
 * 4. The inspector is found among the target's own listening sockets, and
 *    `process.pid` is checked over the connection before anything else runs.
 * 5. The agent (agent.js) is injected; a heartbeat keeps it alive, and
 *    detach removes it and closes the inspector again if leakscan opened it.
 */
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { packagePath } from '../../util/package-root.js';
import { SnapshotBuilder } from '../../model/builder.js';
import type { Snapshot } from '../../model/format.js';
import { TargetError } from '../../util/errors.js';
import { inspectProcess, listeningSockets, processExists } from '../proc.js';
import type { ProcessInfo } from '../proc.js';
import { CdpSession } from './cdp.js';
import { COUNT_PENDING, HANDLE_CENSUS } from './census.js';
import { nodeExecArgv, parseInspectorFlags } from './inspect-flags.js';
import type { InspectorFlags } from './inspect-flags.js';
import { AGENT_DEFAULTS, agentOptions, defaultAgentSettings } from './agent-settings.js';
import type { AgentOptions, AgentSettings } from './agent-settings.js';

export { agentOptions, defaultAgentSettings } from './agent-settings.js';
export type { AgentSettings } from './agent-settings.js';

export interface NodeAttachOptions {
  timeoutMs: number;
  agent: AgentSettings;
  /** Count pending promises that existed before attach (Runtime.queryObjects; runs a GC in the target). */
  promiseCensus: boolean;
  /** Heartbeat period; the agent removes itself after `watchdogMs` without one. */
  heartbeatMs: number;
  watchdogMs: number;
  /** The inspector was opened for leakscan (by `leakscan run`): detach closes it and says so. */
  ownsInspector?: boolean;
  say: (line: string) => void;
}

export const defaultNodeAttachOptions: Omit<NodeAttachOptions, 'say'> = {
  timeoutMs: 30_000,
  agent: defaultAgentSettings,
  promiseCensus: true,
  heartbeatMs: 1000,
  watchdogMs: AGENT_DEFAULTS.watchdogMs,
};

const AGENT = `globalThis[Symbol.for('leakscan.agent')]`;
let agentSource: string | undefined;

/** The agent as an expression that installs it with these options. */
export function agentExpression(options: AgentOptions): string {
  agentSource ??= readFileSync(agentFile(), 'utf8');
  const call = agentSource.trim().replace(/;$/, '');
  return `(() => { const LEAKSCAN_AGENT_OPTIONS = ${JSON.stringify(options)}; return (\n${call}\n); })()`;
}

export function agentFile(): string {
  return packagePath('src', 'targets', 'node', 'agent.js');
}

/** What `leakscan run` preloads: the agent, through a CommonJS file every Node version can --require. */
export function agentPreloadFile(): string {
  return packagePath('src', 'targets', 'node', 'agent-preload.cjs');
}

export interface AgentSnapshot {
  pid: number;
  now: number;
  types: string[];
  frames: [string, string, number][];
  stacks: number[][];
  /** [asyncId, typeId, stackId, triggerAsyncId, ageMs, lineage, weight]: weight = resources this one stands for */
  tasks: [number, number, number, number, number, number, number][];
  folded: [number, number, number][];
  /** Resources not tracked because the table was at its cap with young records. */
  untracked?: number;
  maxTracked?: number;
  /** How stacks were captured: "native" (the addon) or "js". */
  capture: 'native' | 'js';
  /** The share of time the agent watched (1 = always; below 1, counts are estimates). */
  dutyCycle: number;
}

/** What the agent says about itself (agent.js status()). */
export interface AgentStatus {
  installed: boolean;
  tracked: number;
  capture: 'native' | 'js';
  captureReason?: string;
  watching: boolean;
  cost: { dutyCycle: number; windows: number; pauses: number };
}

export class NodeTarget {
  private heartbeat: NodeJS.Timeout | undefined;
  private detached = false;
  /** Pending promises the agent did not record, as of the last snapshot. */
  private promisesBeforeAttach: number | undefined;

  private constructor(
    readonly pid: number,
    readonly session: CdpSession,
    readonly inspectorUrl: string,
    readonly inspectorPort: number,
    /** leakscan opened the inspector (SIGUSR1) and must close it again. */
    readonly openedInspector: boolean,
    readonly nodeVersion: string,
    private readonly options: NodeAttachOptions,
  ) {}

  static async attach(pid: number, options: NodeAttachOptions, known?: ProcessInfo): Promise<NodeTarget> {
    const info = known ?? (await inspectProcess(pid));
    if (info.runtime.kind !== 'node') throw new TargetError(`pid ${pid} is not a Node.js process`);
    const nodeOptions = await readNodeOptions(pid);
    const flags = parseInspectorFlags(nodeExecArgv(info.argv), nodeOptions);
    if (flags.permissionModel) {
      throw new TargetError(`pid ${pid} runs under Node's permission model (--permission), which disables the inspector; leakscan cannot attach (use leakscan run without --permission)`);
    }
    let inspector = await findOwnInspector(pid, options.timeoutMs);
    let opened = false;
    if (inspector === undefined) {
      if (flags.sigusr1Disabled) {
        throw new TargetError(`pid ${pid} was started with --disable-sigusr1, so its inspector cannot be opened from outside; start it with --inspect=127.0.0.1:0, or under leakscan run`);
      }
      await ensurePortFree(pid, flags);
      options.say(`opening the inspector of Node process ${pid} (SIGUSR1)`);
      process.kill(pid, 'SIGUSR1'); // identified as Node above: SIGUSR1 opens its inspector
      opened = true;
      inspector = await waitForInspector(pid, flags, 5000);
    }
    let session: CdpSession;
    try {
      session = await CdpSession.connect(inspector.webSocketUrl, options.timeoutMs);
    } catch (error) {
      if (opened) await closeInspectorWithoutAgent(inspector.webSocketUrl);
      throw error;
    }
    try {
      const remotePid = await session.evaluate<number>('process.pid', options.timeoutMs);
      if (remotePid !== pid) {
        throw new TargetError(`the inspector on port ${inspector.port} belongs to pid ${remotePid}, not ${pid}; nothing was run there`);
      }
      const version = await session.evaluate<string>('process.version', options.timeoutMs);
      const status = await session.evaluate<AgentStatus>(agentExpression(agentOptions(options.agent, { watchdogMs: options.watchdogMs, closeInspector: opened })), options.timeoutMs);
      options.say(describeCapture(status));
      const target = new NodeTarget(pid, session, inspector.webSocketUrl, inspector.port, opened || options.ownsInspector === true, version, options);
      target.startHeartbeat();
      return target;
    } catch (error) {
      await session.close();
      throw error;
    }
  }

  private startHeartbeat(): void {
    this.heartbeat = setInterval(() => {
      this.session.evaluate(`${AGENT} && ${AGENT}.ping()`, 5000).catch(() => undefined);
    }, this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** One snapshot: the agent's records plus the census of what it cannot see. */
  async snapshot(): Promise<Snapshot> {
    try {
      return await this.readSnapshot();
    } catch (error) {
      if (this.session.closed) throw await this.whyConnectionEnded();
      throw error;
    }
  }

  /**
   * The inspector connection ended under us: the target exited, or it still
   * runs and its inspector was closed (the program called inspector.close())
   * or the connection was cut. Either way nothing more can be read.
   */
  private async whyConnectionEnded(): Promise<TargetError> {
    if (!(await processExists(this.pid))) return new TargetError(`the target (pid ${this.pid}) exited`);
    return new TargetError(`the inspector connection to pid ${this.pid} closed while the process still runs (it closed its inspector, or the connection was cut)`);
  }

  private async readSnapshot(): Promise<Snapshot> {
    if (!(await processExists(this.pid))) throw new TargetError(`the target (pid ${this.pid}) exited`);
    const { timeoutMs } = this.options;
    const census = this.options.promiseCensus ? await this.promiseCensus() : undefined;
    let promises: { pending: number; total: number } | undefined;
    let data: AgentSnapshot | undefined;
    let handles: [number | null, string, string][];
    try {
      // One instant. The promise census comes first: Runtime.queryObjects
      // collects garbage, so resources whose only end is the GC (a dequeued
      // AsyncResource) are gone from the agent's weak references before it
      // checks what is still live. And the three are sent together, which the
      // inspector answers back to back without running the program between
      // them: asked one at a time, the program ran in between and caught up
      // on the work the collection's pause had delayed, so every snapshot
      // showed a burst of in-flight work that is not there otherwise.
      let promiseList: string | undefined;
      [promiseList, data, handles] = await Promise.all([
        census?.list(),
        this.session.evaluate<AgentSnapshot | undefined>(`${AGENT} && ${AGENT}.snapshot()`, timeoutMs),
        this.session.evaluate<[number | null, string, string][]>(HANDLE_CENSUS, timeoutMs),
      ]);
      if (census && promiseList !== undefined) promises = await census.countPending(promiseList);
    } finally {
      await census?.release();
    }
    if (data === undefined) throw new TargetError(`the leakscan agent in pid ${this.pid} is gone (removed by its watchdog?)`);

    const { builder, trackedPending } = builderFromAgent(data, {
      pid: this.pid,
      url: this.inspectorUrl,
      runtimeVersion: this.nodeVersion,
      profile: 'node-agent',
    });
    const before = (what: string) => builder.stack([builder.frame(`(created before attach) ${what}`, '', 0)]);
    for (const [asyncId, type, detail] of handles) {
      builder.addTask({
        ...(asyncId !== null ? { id: String(asyncId) } : {}),
        kind: type,
        state: 'active',
        stack: before(type),
        ...(detail ? { labels: { detail } } : {}),
      });
    }
    if (promises !== undefined) {
      // Promises made before attach can only settle, never multiply: what
      // the census counts beyond the agent's records (an estimate when the
      // agent samples) is held to never grow, so sampling noise is not growth.
      let untracked = Math.max(0, promises.pending - trackedPending);
      if (this.promisesBeforeAttach !== undefined) untracked = Math.min(untracked, this.promisesBeforeAttach);
      this.promisesBeforeAttach = untracked;
      if (untracked > 0) builder.addTask({ kind: 'PROMISE', state: 'pending', stack: before('Promise'), count: untracked });
    }
    return builder.build(data.now);
  }

  /**
   * Pending promises on the heap, in steps: `list()` sends Runtime.queryObjects
   * on Promise.prototype (and is answered with a handle on the array of live
   * promises), `countPending` reads their states, `release` frees the array.
   */
  private async promiseCensus(): Promise<{
    list(): Promise<string>;
    countPending(list: string): Promise<{ pending: number; total: number }>;
    release(): Promise<void>;
  }> {
    const group = 'leakscan-census';
    const { timeoutMs } = this.options;
    const send = <T>(method: string, params: Record<string, unknown>) => this.session.send<T>(method, { ...params, objectGroup: group }, timeoutMs);
    const proto = await send<{ result: { objectId: string } }>('Runtime.evaluate', { expression: 'Promise.prototype' });
    return {
      list: async () => (await send<{ objects: { objectId: string } }>('Runtime.queryObjects', { prototypeObjectId: proto.result.objectId })).objects.objectId,
      countPending: async (list) =>
        (await send<{ result: { value: { pending: number; total: number } } }>('Runtime.callFunctionOn', { objectId: list, functionDeclaration: COUNT_PENDING, returnByValue: true })).result.value,
      release: () => this.session.send('Runtime.releaseObjectGroup', { objectGroup: group }, timeoutMs).then(() => undefined, () => undefined),
    };
  }

  /**
   * Removes the agent and closes the connection; the agent closes the
   * inspector itself a moment later if leakscan opened it. Returns what was
   * confirmed, so the CLI says only what is true.
   */
  async detach(): Promise<{ agentRemoved: boolean; inspectorClosed: boolean }> {
    if (this.detached) return { agentRemoved: true, inspectorClosed: true };
    this.detached = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    let agentRemoved: boolean;
    try {
      await this.session.evaluate(`${AGENT} ? ${AGENT}.uninstall('detach') : false`, 15_000);
      agentRemoved = true;
    } catch {
      // The target is gone (its agent went with it) or did not answer: the
      // agent's watchdog removes it once the heartbeats stop.
      agentRemoved = !(await processExists(this.pid));
    }
    await this.session.close();
    if (!this.openedInspector || !(await processExists(this.pid))) return { agentRemoved, inspectorClosed: true };
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const ports = (await listeningSockets(this.pid).catch(() => [])).map((s) => s.port);
      if (!ports.includes(this.inspectorPort)) return { agentRemoved, inspectorClosed: true };
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { agentRemoved, inspectorClosed: false };
  }
}

async function readNodeOptions(pid: number): Promise<string> {
  try {
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8');
    const entry = environ.split('\0').find((e) => e.startsWith('NODE_OPTIONS='));
    return entry ? entry.slice('NODE_OPTIONS='.length) : '';
  } catch {
    return ''; // not readable: the command line still tells most of it
  }
}

interface InspectorEndpoint {
  port: number;
  webSocketUrl: string;
}

/** The inspector among the target's own listening sockets, if it is open. */
async function findOwnInspector(pid: number, timeoutMs: number): Promise<InspectorEndpoint | undefined> {
  for (const socket of await listeningSockets(pid)) {
    const endpoint = await inspectorAt(socket.host, socket.port, Math.min(timeoutMs, 2000));
    if (endpoint) return endpoint;
  }
  return undefined;
}

async function inspectorAt(host: string, port: number, timeoutMs: number): Promise<InspectorEndpoint | undefined> {
  try {
    const response = await fetch(`http://${host}:${port}/json/list`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return undefined;
    const targets = (await response.json()) as { webSocketDebuggerUrl?: string; type?: string }[];
    const target = Array.isArray(targets) ? targets.find((t) => t.webSocketDebuggerUrl) : undefined;
    return target ? { port, webSocketUrl: target.webSocketDebuggerUrl! } : undefined;
  } catch {
    return undefined;
  }
}

/** Refuses to signal when the inspector's port is held by another process. */
async function ensurePortFree(pid: number, flags: InspectorFlags): Promise<void> {
  if (flags.port === 0) return;
  const busy = await new Promise<boolean>((resolve) => {
    const socket = connect({ host: flags.host, port: flags.port });
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
    throw new TargetError(
      `port ${flags.port}, where pid ${pid} would open its inspector, is taken by another process; nothing was sent to pid ${pid} (start it with --inspect-port=<free port>, or use leakscan run)`,
    );
  }
}

async function waitForInspector(pid: number, flags: InspectorFlags, timeoutMs: number): Promise<InspectorEndpoint> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await processExists(pid))) throw new TargetError(`pid ${pid} exited when its inspector was opened`);
    const endpoint = await findOwnInspector(pid, 1000);
    if (endpoint) return endpoint;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new TargetError(`pid ${pid} did not open its inspector on ${flags.host}:${flags.port || '(any port)'} within ${timeoutMs / 1000}s after SIGUSR1`);
}

/** If attaching failed after leakscan opened the inspector, close it again. */
async function closeInspectorWithoutAgent(url: string): Promise<void> {
  try {
    const session = await CdpSession.connect(url, 2000);
    await session.evaluate(`setTimeout(() => process.getBuiltinModule('node:inspector').close(), 100), true`, 2000).catch(() => undefined);
    await session.close();
  } catch {
    /* nothing more to do */
  }
}

/** The agent's snapshot as model tasks: resources created since the agent started, with creation stacks. */
export function builderFromAgent(data: AgentSnapshot, source: Snapshot['source']): { builder: SnapshotBuilder; trackedPending: number } {
  const builder = new SnapshotBuilder('node', source);
  const frameMap = data.frames.map(([fn, file, line]) => builder.frame(fn, file, line));
  const stackMap = data.stacks.map((ids) => builder.stack(ids.map((id) => frameMap[id]!)));
  const unknownStack = builder.stack([]);
  let trackedPending = 0;
  for (const [asyncId, typeId, stackId, trigger, age, lineage, weight] of data.tasks) {
    const kind = data.types[typeId]!;
    const isPromise = kind === 'PROMISE';
    if (isPromise) trackedPending += weight;
    builder.addTask({
      id: String(asyncId),
      kind,
      state: isPromise ? 'pending' : 'active',
      stack: stackId >= 0 ? stackMap[stackId]! : unknownStack,
      creatorId: String(trigger),
      ageMs: age,
      ...(lineage !== asyncId ? { lineage: String(lineage) } : {}),
      ...(weight > 1 ? { count: weight } : {}),
    });
  }
  for (const [typeId, stackId, count] of data.folded) {
    const kind = data.types[typeId]!;
    builder.addTask({ kind, state: kind === 'PROMISE' ? 'pending' : 'active', stack: stackId >= 0 ? stackMap[stackId]! : unknownStack, count });
  }
  if (data.dutyCycle < 1) builder.watchedShare = data.dutyCycle;
  if (data.untracked) {
    // No count in the text, so a series of snapshots repeats it once.
    builder.warn(`the agent reached its cap of ${data.maxTracked} tracked resources; some short-lived resources were not tracked (raise --max-tracked)`);
  }
  return { builder, trackedPending };
}

/** One line for the user: how the agent captures stacks, and why. */
export function describeCapture(status: AgentStatus): string {
  if (status.capture === 'native') return 'creation stacks: native addon';
  return `creation stacks: JavaScript (${status.captureReason ?? 'no addon'})`;
}
