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
import { CensusReader } from './census-reader.js';
import type { CensusFindings, IdClock } from './census-reader.js';
import { nodeExecArgv, parseInspectorFlags } from './inspect-flags.js';
import type { InspectorFlags } from './inspect-flags.js';
import { nativeBindingDir } from './native-addon.js';
import { samplingWarning } from '../../model/sampling-warning.js';

export interface AgentSettings {
  /** Live records kept before the oldest are folded into per-site counts. */
  maxTracked: number;
  /** Frames captured per creation stack. */
  stackDepth: number;
  /** "adaptive": watch in windows when watching all the time would cost more than `budget`; "all": always watch. */
  track: 'adaptive' | 'all';
  /** Adaptive: the share of one core the agent may cost on average (0.02 = 2%). */
  budget: number;
  /** Offer the native stack-capture addon (used if built for the target's Node ABI). */
  native: boolean;
}

export const defaultAgentSettings: AgentSettings = { maxTracked: 200_000, stackDepth: 16, track: 'adaptive', budget: 0.02, native: true };

/** The agent's own options, as agent.js reads them. */
export function agentOptions(settings: AgentSettings, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { native, ...rest } = settings;
  return { ...rest, native: native ? { dir: nativeBindingDir } : null, ...extra };
}

export interface NodeAttachOptions {
  timeoutMs: number;
  agent: AgentSettings;
  /**
   * Walk the heap at each snapshot for pending promises and for EventEmitter
   * listeners, sockets and servers (Runtime.queryObjects; each walk runs a
   * GC in the target). Off: timers still come from Node's timer lists, and
   * sockets and servers from the active handles.
   */
  promiseCensus: boolean;
  /** Heartbeat period; the agent removes itself after `watchdogMs` without one. */
  heartbeatMs: number;
  watchdogMs: number;
  say: (line: string) => void;
}

export const defaultNodeAttachOptions: Omit<NodeAttachOptions, 'say'> = {
  timeoutMs: 30_000,
  agent: defaultAgentSettings,
  promiseCensus: true,
  heartbeatMs: 1000,
  watchdogMs: 5000,
};

const AGENT = `globalThis[Symbol.for('leakscan.agent')]`;
let agentSource: string | undefined;

/** The agent as an expression that installs it with these options. */
export function agentExpression(options: Record<string, unknown>): string {
  agentSource ??= readFileSync(agentFile(), 'utf8');
  const call = agentSource.trim().replace(/;$/, '');
  return `(() => { const LEAKSCAN_AGENT_OPTIONS = ${JSON.stringify(options)}; return (\n${call}\n); })()`;
}

export function agentFile(): string {
  return packagePath('src', 'targets', 'node', 'agent.js');
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
  private readonly census: CensusReader;
  private readonly idClock = new IdDating();

  private constructor(
    readonly pid: number,
    readonly session: CdpSession,
    readonly inspectorUrl: string,
    readonly inspectorPort: number,
    /** leakscan opened the inspector (SIGUSR1) and must close it again. */
    readonly openedInspector: boolean,
    readonly nodeVersion: string,
    private readonly options: NodeAttachOptions,
  ) {
    this.census = new CensusReader(session, { heap: options.promiseCensus, budget: options.agent.budget, timeoutMs: options.timeoutMs });
  }

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
      const target = new NodeTarget(pid, session, inspector.webSocketUrl, inspector.port, opened, version, options);
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
    await this.census.prepare();
    let data: AgentSnapshot | undefined;
    let findings: CensusFindings;
    try {
      // One instant. The heap queries come first: Runtime.queryObjects
      // collects garbage, so resources whose only end is the GC (a dequeued
      // AsyncResource) are gone from the agent's weak references before it
      // checks what is still live. And they are sent together with the
      // agent's snapshot, which the inspector answers back to back without
      // running the program between them: asked one at a time, the program
      // ran in between and caught up on the work the collection's pause had
      // delayed, so every snapshot showed a burst of in-flight work that is
      // not there otherwise.
      let found: Awaited<ReturnType<CensusReader['query']>>;
      [found, data] = await Promise.all([this.census.query(), this.session.evaluate<AgentSnapshot | undefined>(`${AGENT} && ${AGENT}.snapshot()`, timeoutMs)]);
      findings = await this.census.read(found);
    } finally {
      await this.census.release();
    }
    if (data === undefined) throw new TargetError(`the leakscan agent in pid ${this.pid} is gone (removed by its watchdog?)`);

    const { builder, trackedPending } = builderFromAgent(
      data,
      { pid: this.pid, url: this.inspectorUrl, runtimeVersion: this.nodeVersion, profile: 'node-agent', startedAt: Math.round(findings.clock.startedAt) },
      CENSUS_COVERS,
    );
    this.idClock.add(findings.clock);
    addCensusTasks(builder, findings, (id) => this.idClock.ageMs(id, findings.clock.now));
    if (findings.promises !== undefined) {
      // Promises made before attach can only settle, never multiply: what
      // the census counts beyond the agent's records (an estimate when the
      // agent samples) is held to never grow, so sampling noise is not growth.
      // A snapshot without a heap walk repeats the last walk's count.
      let untracked = !findings.walked && this.promisesBeforeAttach !== undefined ? this.promisesBeforeAttach : Math.max(0, findings.promises.pending - trackedPending);
      if (this.promisesBeforeAttach !== undefined) untracked = Math.min(untracked, this.promisesBeforeAttach);
      this.promisesBeforeAttach = untracked;
      if (untracked > 0) {
        builder.addTask({
          kind: 'PROMISE',
          state: 'pending',
          stack: builder.stack([builder.frame('(created before attach) Promise', '', 0)]),
          count: untracked,
          origin: 'census',
          labels: { resource: 'Promise (V8 does not say where a promise was made)' },
        });
      }
    }
    for (const warning of findings.warnings) builder.warn(warning);
    const snapshot = builder.build(data.now);
    snapshot.newestId = String(findings.clock.newestId);
    return snapshot;
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
    await this.census.close();
    let agentRemoved = false;
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

/**
 * Resource kinds the census counts exactly, alive or not, seen by the agent
 * or not: a record of the agent made in a sampled window stands for itself
 * only, and the census adds the ones made while the agent was not watching.
 */
const CENSUS_COVERS: ReadonlySet<string> = new Set(['Timeout', 'TCPWRAP', 'TCPSERVERWRAP', 'PIPEWRAP', 'PIPESERVERWRAP']);

/** How a resource kind of async_hooks reads in a report. */
const KIND_WORDS: Record<string, string> = {
  PROMISE: 'Promise',
  Timeout: 'Timeout',
  Immediate: 'Immediate',
  TCPWRAP: 'TCP socket',
  TCPSERVERWRAP: 'TCP server',
  TCPCONNECTWRAP: 'TCP connect request',
  PIPEWRAP: 'pipe',
  PIPESERVERWRAP: 'pipe server',
  GETADDRINFOREQWRAP: 'DNS lookup',
  HTTPCLIENTREQUEST: 'HTTP client request',
  HTTPINCOMINGMESSAGE: 'HTTP request being served',
  FSREQCALLBACK: 'file system request',
};

export function kindInWords(kind: string): string {
  return KIND_WORDS[kind] ?? kind;
}

/** The agent's snapshot as model tasks: resources created since the agent started, with creation stacks. */
export function builderFromAgent(
  data: AgentSnapshot,
  source: Snapshot['source'],
  exact: ReadonlySet<string> = new Set(),
): { builder: SnapshotBuilder; trackedPending: number } {
  const builder = new SnapshotBuilder('node', source);
  const frameMap = data.frames.map(([fn, file, line]) => builder.frame(fn, file, line));
  const stackMap = data.stacks.map((ids) => builder.stack(ids.map((id) => frameMap[id]!)));
  const unknownStack = builder.stack([]);
  let trackedPending = 0;
  for (const [asyncId, typeId, stackId, trigger, age, lineage, sampledWeight] of data.tasks) {
    const kind = data.types[typeId]!;
    const isPromise = kind === 'PROMISE';
    const weight = exact.has(kind) ? 1 : sampledWeight;
    if (isPromise) trackedPending += weight;
    const stack = stackId >= 0 ? stackMap[stackId]! : unknownStack;
    builder.addTask({
      id: String(asyncId),
      kind,
      state: isPromise ? 'pending' : 'active',
      stack,
      creatorId: String(trigger),
      ageMs: age,
      ...(lineage !== asyncId ? { lineage: String(lineage) } : {}),
      ...(weight > 1 ? { count: weight } : {}),
      labels: { resource: kindInWords(kind) },
    });
  }
  for (const [typeId, stackId, count] of data.folded) {
    const kind = data.types[typeId]!;
    builder.addTask({ kind, state: kind === 'PROMISE' ? 'pending' : 'active', stack: stackId >= 0 ? stackMap[stackId]! : unknownStack, count, labels: { resource: kindInWords(kind) } });
  }
  if (data.dutyCycle < 1) builder.warn(samplingWarning(data.dutyCycle));
  if (data.untracked) {
    // No count in the text, so a series of snapshots repeats it once.
    builder.warn(`the agent reached its cap of ${data.maxTracked} tracked resources; some short-lived resources were not tracked (raise --max-tracked)`);
  }
  return { builder, trackedPending };
}

/**
 * The census's groups as tasks: what the agent did not see made (before
 * attach, or while it was not watching). A group's site is its function's
 * location (a timer's callback, a listener) when the inspector told it,
 * else the resource itself (a socket by its address). Always the same for
 * one group, whether or not the agent sees others like it: a site that
 * switched from one to the other mid-window would read as growth. What the
 * agent saw made stays at its creation stack.
 */
export function addCensusTasks(builder: SnapshotBuilder, findings: CensusFindings, ageMs: (id: number) => number | undefined): void {
  for (const group of findings.groups) {
    const words = kindInWords(group.kind);
    const resource = group.kind === 'listener' ? group.resource : `${words}: ${group.resource}`;
    const stack = group.location
      ? builder.stack([builder.frame(group.location.fn, group.location.file, group.location.line)])
      : builder.stack([builder.frame(group.kind === 'listener' ? `(listener) ${group.resource}` : group.resource, '', 0)]);
    const labels = { resource };
    for (const id of group.ids) {
      const age = ageMs(id);
      builder.addTask({ id: String(id), kind: group.kind, state: 'active', stack, origin: 'census', labels, ...(age !== undefined ? { ageMs: age } : {}) });
    }
    const rest = group.count - group.ids.length;
    if (rest > 0) builder.addTask({ kind: group.kind, state: 'active', stack, origin: 'census', labels, count: rest });
  }
  for (const [asyncId, type] of findings.handles) {
    builder.addTask({
      ...(asyncId !== null ? { id: String(asyncId) } : {}),
      kind: type,
      state: 'active',
      stack: builder.stack([builder.frame(`(created before attach) ${type}`, '', 0)]),
      origin: 'census',
      labels: { resource: kindInWords(type) },
    });
  }
}

/**
 * Dates async ids. Node hands them out in order, one counter for the life
 * of the process; the census reads the counter at each snapshot. An id
 * between two readings was handed out between their times (linearly, the
 * best that two points tell); an id from before the first reading, between
 * the process's start (id 1) and that reading.
 */
export class IdDating {
  private readonly points: { id: number; at: number }[] = [];

  add(clock: IdClock): void {
    if (this.points.length === 0) this.points.push({ id: 1, at: clock.startedAt });
    const last = this.points[this.points.length - 1]!;
    if (clock.newestId > last.id && clock.now >= last.at) this.points.push({ id: clock.newestId, at: clock.now });
  }

  /** Milliseconds between when `id` was handed out (estimated) and `now`. */
  ageMs(id: number, now: number): number | undefined {
    const points = this.points;
    if (points.length < 2 || !Number.isFinite(id) || id < 1) return undefined;
    for (let i = 1; i < points.length; i++) {
      const a = points[i - 1]!;
      const b = points[i]!;
      if (id <= b.id) {
        const at = a.at + ((id - a.id) / (b.id - a.id)) * (b.at - a.at);
        return Math.max(0, Math.round(now - at));
      }
    }
    return 0;
  }
}

/** One line for the user: how the agent captures stacks, and why. */
export function describeCapture(status: AgentStatus): string {
  if (status.capture === 'native') return 'creation stacks: native addon';
  return `creation stacks: JavaScript (${status.captureReason ?? 'no addon'})`;
}
