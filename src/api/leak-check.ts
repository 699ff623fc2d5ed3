/**
 * leakCheck: what goleak gives Go unit tests, for Node. Runs a function in
 * this process with leakscan's agent installed, lets the event loop settle,
 * and reports the async resources the function created that are still
 * alive: promises that never settled, timers never cleared, sockets never
 * closed, each with the place in the code that created it.
 *
 *   import { assertNoLeaks } from 'leakscan';
 *   test('closes what it opens', () => assertNoLeaks(async () => { ... }));
 */
import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import { isNodeInternalFrame } from '../model/runtime-frames.js';
import { runInThisContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import type { Frame } from '../model/format.js';
import { SiteResolver } from '../model/site.js';
import { agentExpression, agentOptions, builderFromAgent, defaultAgentSettings } from '../targets/node/target.js';
import type { AgentSnapshot } from '../targets/node/target.js';

export interface LeakCheckOptions {
  /** How long to let timers and I/O started by the function finish, in ms. Default 50. */
  settleMs?: number;
  /** Frames recorded per creation stack. Default 16. */
  stackDepth?: number;
  /** Leave out leaks this returns true for. */
  ignore?: (leak: Leak) => boolean;
}

export interface Leak {
  /** async_hooks resource type: "PROMISE", "Timeout", "TCPWRAP", ... */
  type: string;
  /** "pending" for promises, "active" for handles. */
  state: string;
  /** Where the resources were created: "function file:line" of the innermost frame of your code. */
  site: string;
  /** How many resources of this type leaked from this site. */
  count: number;
  /** The creation stack of one of them, innermost first. */
  stack: Frame[];
}

export interface LeakReport {
  ok: boolean;
  leaks: Leak[];
  /** The leaks as lines a person reads in a test failure. */
  toString(): string;
}

interface Agent {
  snapshot(): AgentSnapshot;
  uninstall(reason: string): boolean;
}

const AGENT_KEY = Symbol.for('leakscan.agent');
const THIS_FILE = fileURLToPath(import.meta.url);

export async function leakCheck(fn: () => unknown, options: LeakCheckOptions = {}): Promise<LeakReport> {
  const g = globalThis as unknown as Record<symbol, Agent | undefined>;
  if (g[AGENT_KEY] !== undefined) throw new Error('leakCheck: a leakscan agent is already active in this process (is leakscan attached?)');
  // Yield once first, so the caller's own `await leakCheck(...)` exists
  // before the agent starts and is not taken for the function's leak.
  await Promise.resolve();
  // Every resource: a test wants all of them, and the cost is the test's.
  runInThisContext(
    agentExpression(
      agentOptions(
        { ...defaultAgentSettings, stackDepth: options.stackDepth ?? defaultAgentSettings.stackDepth, track: 'all' },
        { watchdogMs: Number.MAX_SAFE_INTEGER },
      ),
    ),
  );
  const agent = g[AGENT_KEY]!;
  let data: AgentSnapshot;
  try {
    await fn();
    await settle(options.settleMs ?? 50);
    data = agent.snapshot();
  } finally {
    agent.uninstall('leakCheck done');
  }
  const snapshot = builderFromAgent(data, { pid: process.pid, profile: 'leakCheck' }).builder.build(data.now);
  const resolver = new SiteResolver(snapshot);
  const bySite = new Map<string, Leak>();
  for (const task of snapshot.tasks) {
    const stack = (snapshot.stacks[task.stack] ?? []).map((id) => snapshot.frames[id]!);
    const { key: site, anchor } = resolver.siteOf(task);
    // Resources leakCheck made itself (awaiting the function, settling) are not the function's;
    // nor are those Node made with no user code on the stack (the test runner's own streams).
    if (anchor?.file === THIS_FILE || stack.every(isNodeInternalFrame)) continue;
    const key = `${task.kind}\u0000${site}`;
    const known = bySite.get(key);
    if (known) known.count += task.count ?? 1;
    else bySite.set(key, { type: task.kind, state: task.state, site, count: task.count ?? 1, stack });
  }
  const leaks = [...bySite.values()].filter((leak) => !options.ignore?.(leak)).sort((a, b) => b.count - a.count);
  return {
    ok: leaks.length === 0,
    leaks,
    toString: () =>
      leaks.length === 0 ? 'no leaked async resources' : leaks.map((l) => `${l.count} × ${l.type} (${l.state}) created at ${l.site}`).join('\n'),
  };
}

/** leakCheck that throws an Error listing the leaks: the one line a test needs. */
export async function assertNoLeaks(fn: () => unknown, options: LeakCheckOptions = {}): Promise<void> {
  const report = await leakCheck(fn, options);
  if (!report.ok) throw new Error(`leaked async resources:\n${report.toString()}`);
}

/** Lets timers and I/O the function started run to completion. */
async function settle(ms: number): Promise<void> {
  await sleep(ms);
  await setImmediate();
}
