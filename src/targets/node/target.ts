/**
 * Attaching to a running Node.js process by pid, safely:
 *
 * 1. The pid must be a Node process: its executable, not its name, says so
 *    (executable.ts); SIGUSR1 kills most other programs.
 * 2. open-inspector.ts finds its inspector where the flags say it is, or
 *    opens it with SIGUSR1 after every check (loopback, version, SigCgt, a
 *    free port, the same process right before the signal).
 * 3. `process.pid` and `process.version` are checked over the connection
 *    before anything else runs; every answer is checked for type.
 * 4. The agent (agent.js) is injected, unless another leakscan's agent is
 *    there (then this one backs off); a heartbeat keeps it alive, and detach
 *    removes it and closes the inspector again if leakscan opened it. If
 *    anything fails after the signal, the inspector is closed here.
 *
 * The inspector's WebSocket URL holds its UUID, the only thing that keeps
 * web pages out of it: it is used to connect and written nowhere (snapshots
 * and messages say "inspector 127.0.0.1:9229").
 */
import { readFileSync } from 'node:fs';
import { packagePath } from '../../util/package-root.js';
import { SnapshotBuilder } from '../../model/builder.js';
import { kindInWords } from '../../model/resource-kinds.js';
import type { Snapshot } from '../../model/format.js';
import { TargetError } from '../../util/errors.js';
import { inspectProcess, listeningSockets, processExists } from '../proc.js';
import type { ProcessInfo } from '../proc.js';
import { CdpSession } from './cdp.js';
import { AGENT_DEFAULTS, agentOptions, defaultAgentSettings } from './agent-settings.js';
import type { AgentOptions, AgentSettings } from './agent-settings.js';
import { unsupportedNodeVersion } from './executable.js';
import { describeInspector } from './inspector-endpoint.js';
import type { InspectorEndpoint } from './inspector-endpoint.js';
import { closeOpenedInspector, reachInspector } from './open-inspector.js';
import type { ReachOptions } from './open-inspector.js';
import { CensusReader } from './census-reader.js';
import { agentColumns, isAgentSnapshot, recordedPending } from './agent-records.js';
import type { AgentSnapshot } from './agent-records.js';
import type { CensusFindings, IdClock } from './census-reader.js';
import type { CensusGroup } from './census.js';
import { TimerCallbacks } from './timer-callbacks.js';
import type { TimerCallback } from './timer-callbacks.js';
import type { Target } from '../target.js';
import { PromiseLedger } from './promise-ledger.js';
import { beforeAttachFrame, UNPLACED_PROMISES_FRAME, UNPLACED_PROMISES_WORDS } from '../../model/census-sites.js';
import { setTimeout as sleep } from 'node:timers/promises';

export { agentOptions, defaultAgentSettings } from './agent-settings.js';
export type { AgentSettings } from './agent-settings.js';
export type { AgentSnapshot } from './agent-records.js';

export interface NodeAttachOptions extends ReachOptions {
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
  /** The inspector was opened for leakscan (by `leakscan run`): detach closes it and says so. */
  ownsInspector?: boolean;
  say: (line: string) => void;
}

export const defaultNodeAttachOptions: Omit<NodeAttachOptions, 'say'> = {
  timeoutMs: 30_000,
  allowRemoteInspector: false,
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

/** What the agent says about itself (agent.js status()). */
export interface AgentStatus {
  installed: boolean;
  tracked: number;
  capture: 'native' | 'js';
  captureReason?: string;
  watching: boolean;
  cost: { dutyCycle: number; windows: number; pauses: number };
}

export class NodeTarget implements Target {
  readonly runtime = 'node';
  private heartbeat: NodeJS.Timeout | undefined;
  /** Why the last attempt to remove the agent failed, for the detach line. */
  private detachFailure: string | undefined;
  private detached = false;
  /** What the census's pending promises are beyond the agent's records (promise-ledger.ts). */
  private readonly promises = new PromiseLedger();
  private readonly census: CensusReader;
  private readonly idClock = new IdDating();
  private readonly timerCallbacks = new TimerCallbacks();

  private constructor(
    readonly pid: number,
    readonly session: CdpSession,
    /** "inspector 127.0.0.1:9229": where the data comes from, without the inspector's UUID. */
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
    const { endpoint, opened } = await reachInspector(pid, info, options);
    const where = describeInspector(endpoint);
    try {
      return await NodeTarget.connect(pid, endpoint, opened, options);
    } catch (error) {
      // Whatever failed after the signal, the inspector leakscan opened is closed again,
      // unless another leakscan is attached through it (its agent now closes it).
      if (opened && !(error instanceof AlreadyAttachedError) && !(await closeOpenedInspector(pid, endpoint))) {
        options.say(`warning: could not confirm that the ${where} of pid ${pid} closed`);
      }
      throw error;
    }
  }

  private static async connect(pid: number, endpoint: InspectorEndpoint, opened: boolean, options: NodeAttachOptions): Promise<NodeTarget> {
    const where = describeInspector(endpoint);
    const session = await CdpSession.connect(endpoint.webSocketUrl, options.timeoutMs, where);
    try {
      // Everything the inspector answers is the target's: checked for type before use.
      const remotePid = await session.evaluate<unknown>('process.pid', options.timeoutMs);
      if (typeof remotePid !== 'number' || !Number.isSafeInteger(remotePid)) {
        throw new TargetError(`the ${where} answered process.pid with ${describeValue(remotePid)}, not a pid; nothing was run there`);
      }
      if (remotePid !== pid) throw new TargetError(`the ${where} belongs to pid ${remotePid}, not ${pid}; nothing was run there`);
      const version = await session.evaluate<unknown>('process.version', options.timeoutMs);
      if (typeof version !== 'string' || !/^v\d{1,4}\.\d{1,4}\.\d{1,4}/.test(version)) {
        throw new TargetError(`the ${where} answered process.version with ${describeValue(version)}; nothing was run there`);
      }
      // An agent preloaded by leakscan run needs no built-in from the target's
      // global scope (its CommonJS preload hands it require), so an older Node
      // works there; injected by attach, it needs process.getBuiltinModule.
      const unsupported = options.launchedByLeakscan === true ? undefined : unsupportedNodeVersion(version);
      if (unsupported !== undefined) throw new TargetError(`pid ${pid}: ${unsupported}`);
      const agent = agentOptions(options.agent, { watchdogMs: options.watchdogMs, closeInspector: opened });
      const status = await session.evaluate<unknown>(claimOrInstallAgent(agent), options.timeoutMs);
      if (isAlreadyAttached(status)) {
        throw new AlreadyAttachedError(
          `pid ${pid} is already attached by another leakscan (its agent is installed); nothing was changed, try again when that one has detached`,
        );
      }
      if (!isAgentStatus(status)) throw new TargetError(`the leakscan agent in pid ${pid} answered ${describeValue(status)} when installed`);
      options.say(describeCapture(status));
      const target = new NodeTarget(pid, session, where, endpoint.port, opened || options.ownsInspector === true, version.slice(0, 40), options);
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
      // A program whose JavaScript has finished (process.exit, or the end of
      // its work) fails the read with "Cannot find context with specified
      // id", and with a debugger session open Node keeps the process until
      // the session ends: it exits once leakscan detaches.
      if (error instanceof Error && error.message.includes(CONTEXT_GONE)) {
        throw new TargetError(`the target (pid ${this.pid}) is exiting: its JavaScript has finished`);
      }
      if (await exitsWithin(this.pid, EXIT_GRACE_MS)) throw new TargetError(`the target (pid ${this.pid}) exited`);
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
    return new TargetError(
      `the inspector connection to pid ${this.pid} closed while the process still runs (it closed its inspector, or the connection was cut)`,
    );
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
    if (!isAgentSnapshot(data)) {
      throw new TargetError(`the target (pid ${this.pid}) answered a snapshot leakscan cannot read (its agent was changed?)`);
    }

    this.timerCallbacks.learn(findings.groups);
    const promises =
      findings.promises === undefined
        ? { beforeAttach: 0, unplaced: 0, scale: 1 }
        : this.promises.next(findings.promises, findings.walked, recordedPending(data));
    const { builder } = builderFromAgent(
      data,
      { pid: this.pid, url: this.inspectorUrl, runtimeVersion: this.nodeVersion, profile: 'node-agent', startedAt: Math.round(findings.clock.startedAt) },
      CENSUS_COVERS,
      (asyncId) => this.timerCallbacks.get(asyncId),
      promises.scale,
    );
    // The builder holds the agent's records only so far: the timers it no longer tracks have ended.
    this.timerCallbacks.keepOnly(new Set(builder.tasks.flatMap((task) => (task.id !== undefined ? [Number(task.id)] : []))));
    this.idClock.add(findings.clock);
    addCensusTasks(builder, findings, (id) => this.idClock.ageMs(id, findings.clock.now));
    if (promises.beforeAttach > 0) {
      builder.addTask({
        kind: 'PROMISE',
        state: 'pending',
        stack: builder.stack([builder.frame(beforeAttachFrame('Promise'), '', 0)]),
        count: promises.beforeAttach,
        origin: 'census',
        labels: { resource: 'Promise (V8 does not say where a promise was made)' },
      });
    }
    if (promises.unplaced > 0 && data.dutyCycle < 1) {
      builder.addTask({
        kind: 'PROMISE',
        state: 'pending',
        stack: builder.stack([builder.frame(UNPLACED_PROMISES_FRAME, '', 0)]),
        count: promises.unplaced,
        origin: 'census',
        labels: { resource: UNPLACED_PROMISES_WORDS },
      });
    }
    for (const warning of findings.warnings) builder.warn(warning);
    const snapshot = builder.build(data.now);
    snapshot.newestId = String(findings.clock.newestId);
    return snapshot;
  }

  /** Detaches, and says what detaching confirmed: only what is true. */
  async close(): Promise<void> {
    const { agentRemoved, inspectorClosed } = await this.detach();
    if (!(await processExists(this.pid))) {
      this.options.say(`pid ${this.pid} has exited: nothing of leakscan's is left in it`);
      return;
    }
    this.options.say(
      `detached from pid ${this.pid}: ${agentRemoved ? 'agent removed' : `the agent did not answer (${this.detachFailure ?? 'no answer'}); its watchdog removes it within seconds`}` +
        (this.openedInspector ? (inspectorClosed ? ', inspector closed' : `; warning: the inspector is still open on port ${this.inspectorPort}`) : ''),
    );
  }

  /**
   * How many pending promises one sampled promise record stands for, per
   * unit of its weight. The weight (how long the agent did not watch for
   * each moment it watched) is a coarse estimate: in a busy service the
   * agent watches a few short windows a second, a steady leak falls into
   * one of them now and then, and each catch adds a hundred at once. The
   * census counts pending promises exactly at every heap walk; only where
   * they were made is unknown. So the sampled records say where, in
   * proportion (the sample's share of each site estimates its share of all
   * promises made since attach), and the census says how many: those made
   * since attach, less the ones the agent saw while watching all the time.
   * Between heap walks the last walk's scale holds.
   */
  /**
   * Asks the agent to remove itself, twice if the first answer was lost: a
   * target busy in a long synchronous task or a garbage collection under
   * load can take seconds to answer, and an agent left to its watchdog keeps
   * its hooks for that long. Says why when it fails, so the line the user
   * reads names the cause.
   */
  private async uninstallAgent(): Promise<boolean> {
    for (const timeoutMs of [15_000, 10_000]) {
      try {
        await this.session.evaluate(`${AGENT} ? ${AGENT}.uninstall('detach') : false`, timeoutMs);
        return true;
      } catch (error) {
        this.detachFailure = error instanceof Error ? error.message : String(error);
        if (this.session.closed) return false;
      }
    }
    return false;
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
    let agentRemoved = await this.uninstallAgent();
    await this.session.close();
    // The target is gone or on its way out (Node keeps a finished program
    // until its debugger session ends), and its agent with it; or it did not
    // answer, and the agent's watchdog removes it once the heartbeats stop.
    if (!agentRemoved) agentRemoved = await exitsWithin(this.pid, EXIT_GRACE_MS);
    if (!this.openedInspector || !(await processExists(this.pid))) return { agentRemoved, inspectorClosed: true };
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const ports = (await listeningSockets(this.pid).catch(() => [])).map((s) => s.port);
      if (!ports.includes(this.inspectorPort)) return { agentRemoved, inspectorClosed: true };
      await sleep(100);
    }
    return { agentRemoved, inspectorClosed: false };
  }
}

/**
 * The agent's install, as one expression that the target runs without
 * interruption: if an agent is there already, another leakscan is attached
 * and this one backs off; an agent preloaded by leakscan run that no one has
 * claimed yet is taken over.
 */
function claimOrInstallAgent(options: AgentOptions): string {
  return `(() => {
  const existing = ${AGENT};
  if (existing) {
    if (existing.status().settings.preloaded && !existing.leakscanClaimed) {
      existing.leakscanClaimed = true;
      existing.ping();
      return existing.status();
    }
    // This leakscan opened the inspector and another one's agent got in first: that agent closes it on detach.
    if (${options.closeInspector === true}) existing.status().settings.closeInspector = true;
    return { alreadyAttached: true };
  }
  const status = ${agentExpression(options)};
  if (${AGENT}) ${AGENT}.leakscanClaimed = true;
  return status;
})()`;
}

class AlreadyAttachedError extends TargetError {}

function isAlreadyAttached(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { alreadyAttached?: unknown }).alreadyAttached === true;
}

function isAgentStatus(value: unknown): value is AgentStatus {
  if (typeof value !== 'object' || value === null) return false;
  const status = value as Record<string, unknown>;
  return (status.capture === 'native' || status.capture === 'js') && (status.captureReason === undefined || typeof status.captureReason === 'string');
}

/** A value from the target, described in a few characters (it may be huge). */
function describeValue(value: unknown): string {
  const text =
    typeof value === 'string'
      ? JSON.stringify(value)
      : typeof value === 'object' && value !== null
        ? Array.isArray(value)
          ? 'a list'
          : 'an object'
        : String(value);
  return text.length > 40 ? `${text.slice(0, 37)}... (${text.length} characters)` : text;
}

/**
 * Resource kinds the census counts exactly, alive or not, seen by the agent
 * or not: a record of the agent made in a sampled window stands for itself
 * only, and the census adds the ones made while the agent was not watching.
 */
const CENSUS_COVERS: ReadonlySet<string> = new Set(['Timeout', 'TCPWRAP', 'TCPSERVERWRAP', 'PIPEWRAP', 'PIPESERVERWRAP']);

export { kindInWords } from '../../model/resource-kinds.js';

/**
 * The agent's snapshot as model tasks: resources created since the agent
 * started, with creation stacks. A timer whose callback the census located
 * (`callbackOf`) gets the callback's frame on top of its creation stack and
 * the census's words for it, so it lands on the census's site (timer-callbacks.ts).
 */
export function builderFromAgent(
  data: AgentSnapshot,
  source: Snapshot['source'],
  exact: ReadonlySet<string> = new Set(),
  callbackOf: (asyncId: number) => TimerCallback | undefined = () => undefined,
  /** Multiplies the weight of sampled promise records (promise-ledger.ts). */
  promiseScale = 1,
): { builder: SnapshotBuilder; trackedPending: number } {
  const at = agentColumns(data.columns);
  if (at === undefined) throw new TargetError(`the leakscan agent's snapshot lacks a column leakscan reads (its agent was changed?)`);
  const { frame: f, task: t, folded: d } = at;
  const builder = new SnapshotBuilder('node', source);
  const frameMap = data.frames.map((row) => builder.frame(row[f.fn] as string, row[f.file] as string, row[f.line] as number));
  const stackMap = data.stacks.map((ids) => builder.stack(ids.map((id) => frameMap[id]!)));
  const unknownStack = builder.stack([]);
  const withCallback = (callback: TimerCallback, stackId: number) =>
    builder.stack([
      builder.frame(callback.location.fn, callback.location.file, callback.location.line),
      ...(stackId >= 0 ? data.stacks[stackId]!.map((id) => frameMap[id]!) : []),
    ]);
  let trackedPending = 0;
  for (const row of data.tasks) {
    const asyncId = row[t.asyncId] as number;
    const stackId = row[t.stack] as number;
    const lineage = row[t.lineage] as number;
    const kind = data.types[row[t.type] as number]!;
    const isPromise = kind === 'PROMISE';
    const sampledWeight = row[t.weight] as number;
    // A record stands for itself at least: its id is what tells whether the site's resources survive.
    const weight = exact.has(kind) ? 1 : isPromise && sampledWeight > 1 ? Math.max(1, Math.round(sampledWeight * promiseScale)) : sampledWeight;
    if (isPromise) trackedPending += weight;
    const callback = kind === 'Timeout' ? callbackOf(asyncId) : undefined;
    const stack = callback ? withCallback(callback, stackId) : stackId >= 0 ? stackMap[stackId]! : unknownStack;
    builder.addTask({
      id: String(asyncId),
      kind,
      state: isPromise ? 'pending' : 'active',
      stack,
      creatorId: String(row[t.trigger]),
      ageMs: row[t.ageMs] as number,
      ...(lineage !== asyncId ? { lineage: String(lineage) } : {}),
      ...(weight > 1 ? { count: weight } : {}),
      labels: { resource: callback ? censusResourceWords(kind, callback.resource) : kindInWords(kind) },
    });
  }
  for (const row of data.folded) {
    const kind = data.types[row[d.type] as number]!;
    const stackId = row[d.stack] as number;
    builder.addTask({
      kind,
      state: kind === 'PROMISE' ? 'pending' : 'active',
      stack: stackId >= 0 ? stackMap[stackId]! : unknownStack,
      count: row[d.count] as number,
      labels: { resource: kindInWords(kind) },
    });
  }
  if (data.dutyCycle < 1) builder.watchedShare = data.dutyCycle;
  if (data.untracked) {
    // No count in the text, so a series of snapshots repeats it once.
    builder.warn(`the agent reached its cap of ${data.maxTracked} tracked resources; some short-lived resources were not tracked (raise --max-tracked)`);
  }
  return { builder, trackedPending };
}

/** A census group's resource as a report says it: "Timeout: setInterval 1000 ms". */
function censusResourceWords(kind: string, resource: string): string {
  return kind === 'listener' ? resource : `${kindInWords(kind)}: ${resource}`;
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
/**
 * The site of census resources whose function has no location: a listener
 * by its event and emitter, a timer by its kind without its delay (a
 * jittered sleep of timers/promises, whose callback is Node's own, would
 * make one site per delay; the labels keep each delay), else the resource.
 */
function unlocatedFrameName(group: CensusGroup): string {
  if (group.kind === 'listener') return `(listener) ${group.resource}`;
  if (group.kind === 'Timeout') return group.resource.replace(/ \d+ ms$/, ' (callback not located)');
  return group.resource;
}

export function addCensusTasks(builder: SnapshotBuilder, findings: CensusFindings, ageMs: (id: number) => number | undefined): void {
  for (const group of findings.groups) {
    const resource = censusResourceWords(group.kind, group.resource);
    // A socket the server accepted is made by the runtime with no frame of
    // the program, before attach as after: it shares the site of those the
    // agent saw accepted (no stack), so connections that come and go move
    // within one site instead of draining one and filling another.
    const accepted = group.kind === 'TCPWRAP' && group.resource.startsWith('TCP socket accepted on ');
    const stack = group.location
      ? builder.stack([builder.frame(group.location.fn, group.location.file, group.location.line)])
      : accepted
        ? builder.stack([])
        : builder.stack([builder.frame(unlocatedFrameName(group), '', 0)]);
    const labels = { resource };
    const pile = group.onOneEmitter !== undefined ? { onOneEmitter: group.onOneEmitter } : {};
    for (const id of group.ids) {
      const age = ageMs(id);
      builder.addTask({
        id: String(id),
        kind: group.kind,
        state: 'active',
        stack,
        origin: 'census',
        labels,
        ...pile,
        ...(age !== undefined ? { ageMs: age } : {}),
      });
    }
    const rest = group.count - group.ids.length;
    if (rest > 0) builder.addTask({ kind: group.kind, state: 'active', stack, origin: 'census', labels, ...pile, count: rest });
  }
  for (const [asyncId, type] of findings.handles) {
    builder.addTask({
      ...(asyncId !== null ? { id: String(asyncId) } : {}),
      kind: type,
      state: 'active',
      stack: builder.stack([builder.frame(beforeAttachFrame(type), '', 0)]),
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

/** The inspector's answer once the program's JavaScript context is gone. */
const CONTEXT_GONE = 'Cannot find context with specified id';

/** How long a failed read or detach waits to see whether the target is exiting. */
const EXIT_GRACE_MS = 1000;

/** Whether `pid` is gone now or within `ms` (a program on its way out answers errors first). */
async function exitsWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!(await processExists(pid))) return true;
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
}
