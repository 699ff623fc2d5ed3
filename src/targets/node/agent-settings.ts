/**
 * The Node agent's settings: one definition (agent-settings.json, beside
 * agent.js) that the CLI's defaults, attach, run and leakCheck all start
 * from. The agent itself keeps no defaults: it is always handed the whole
 * set (agentOptions), through the expression leakscan evaluates in the
 * target or, preloaded, through LEAKSCAN_AGENT_OPTIONS.
 *
 *   maxTracked     live records kept before the oldest are folded into per-site counts
 *   foldAfterMs    records younger than this are never folded
 *   stackDepth     frames captured per creation stack
 *   track          "adaptive" watches in windows when watching all the time
 *                  would cost more than `budget`; "all" always watches
 *   budget         adaptive: the share of one core watching may cost on average (0.02 = 2%)
 *   windowMs       adaptive: how often the cost of watching is weighed
 *   cycleMs        adaptive, over budget: one short window per cycle
 *   native         { dir } where leakscan's stack-capture addon builds are, or null
 *   watchdogMs     the agent removes itself after this long without a heartbeat
 *   closeInspector the agent closes the inspector when it goes (leakscan opened it)
 *   preloaded      loaded with --require by `leakscan run`: a minute's grace before the watchdog
 */
import { readFileSync } from 'node:fs';
import { packagePath } from '../../util/package-root.js';
import { nativeBindingDir } from './native-addon.js';

export interface AgentOptions {
  maxTracked: number;
  foldAfterMs: number;
  stackDepth: number;
  track: 'adaptive' | 'all';
  budget: number;
  windowMs: number;
  cycleMs: number;
  native: { dir: string } | null;
  watchdogMs: number;
  closeInspector: boolean;
  preloaded: boolean;
  /** Preloaded by run: how long the agent waits for leakscan before removing itself and closing the inspector. */
  preloadWaitMs?: number;
  /** Preloaded by run: the program's own NODE_OPTIONS, put back once leakscan connects (null: there were none). */
  nodeOptions?: string | null;
}

/** Every setting agent.js reads, with the value leakscan gives it unless told otherwise. */
export const AGENT_DEFAULTS: Readonly<AgentOptions> = Object.freeze(
  JSON.parse(readFileSync(packagePath('src', 'targets', 'node', 'agent-settings.json'), 'utf8')) as AgentOptions,
);

/** The settings a user chooses (flags, leakCheck's options). */
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

export const defaultAgentSettings: AgentSettings = {
  maxTracked: AGENT_DEFAULTS.maxTracked,
  stackDepth: AGENT_DEFAULTS.stackDepth,
  track: AGENT_DEFAULTS.track,
  budget: AGENT_DEFAULTS.budget,
  native: true,
};

/** The agent's whole option set, as agent.js reads it: the defaults, then the user's settings, then `extra`. */
export function agentOptions(settings: AgentSettings, extra: Partial<AgentOptions> = {}): AgentOptions {
  const { native, ...rest } = settings;
  return { ...AGENT_DEFAULTS, ...rest, native: native ? { dir: nativeBindingDir } : null, ...extra };
}
