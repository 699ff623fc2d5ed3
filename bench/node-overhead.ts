/**
 * bench/node-overhead: what tracking async resources costs a Node service.
 * Two workloads (promise-heavy async code; an HTTP server under keep-alive
 * load), each run in fresh processes, in these modes:
 *
 *   none                      no hooks
 *   empty async hook          async_hooks with callbacks that do nothing: the floor of any hook-based tracker
 *   new Error().stack         a formatted stack at every init (Jest's detectOpenHandles does this)
 *   why-is-node-running       the npm package, preloaded as its README says
 *   leakscan JS / native      the agent at its defaults (adaptive, 2% budget), stacks from JavaScript or the addon
 *   ... every resource        the agent with --track all: a stack at every init
 *
 * The agent is preloaded (`--require`), which is what `leakscan run` does and
 * costs the same per init as injecting it with attach. Throughput is the best
 * of 5 runs of 3 s, modes interleaved; printed as a share of "none" from the
 * same run, with how many resources the agent recorded and the share of time
 * it watched (a cheap agent that saw nothing would be no use).
 *
 *   npm run bench:node-overhead [-- <workload>...]
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_DEFAULTS } from '../src/targets/node/agent-settings.js';
import { agentFile } from '../src/targets/node/target.js';
import { nativeAddonStatus, nativeBindingDir } from '../src/targets/node/native-addon.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const workloads = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['promise-heavy', 'http-server'];
const agent = agentFile();

interface Mode {
  name: string;
  args: string[];
  env?: Record<string, string>;
}

function leakscan(name: string, options: Record<string, unknown>): Mode {
  return { name, args: ['--require', agent], env: { LEAKSCAN_AGENT_OPTIONS: JSON.stringify({ ...AGENT_DEFAULTS, preloaded: true, ...options }) } };
}

const native = { dir: nativeBindingDir };
const ROUNDS = 5;
const modes: Mode[] = [
  { name: 'none', args: [] },
  { name: 'empty async hook (the floor)', args: ['--require', join(root, 'bench', 'workloads', 'empty-hook.cjs')] },
  { name: 'new Error().stack at every init', args: ['--require', join(root, 'bench', 'workloads', 'stack-every-init.cjs')] },
  { name: 'why-is-node-running 3', args: ['--import', join(root, 'node_modules', 'why-is-node-running', 'index.js')] },
  leakscan('leakscan JS, default', { native: null }),
  leakscan('leakscan native, default', { native }),
  leakscan('leakscan JS, every resource', { native: null, track: 'all' }),
  leakscan('leakscan native, every resource', { native, track: 'all' }),
];

interface Result {
  opsPerSecond: number;
  agent?: { capture: string; recorded: number; dutyCycle: number };
}

function run(workload: string, mode: Mode): Result {
  const script = join(root, 'bench', 'workloads', `${workload}.mjs`);
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_MS: '3000', ...mode.env };
  delete env.NODE_OPTIONS;
  const out = execFileSync(process.execPath, [...mode.args, script], { env, encoding: 'utf8' });
  const { ops, ms, agent: seen } = JSON.parse(out.trim().split('\n').pop()!) as { ops: number; ms: number; agent?: Result['agent'] };
  return { opsPerSecond: (ops / ms) * 1000, ...(seen ? { agent: seen } : {}) };
}

const addon = nativeAddonStatus();
console.log(`native addon: ${addon.available ? 'available' : 'NOT available'} (${addon.detail})`);
for (const workload of workloads) {
  const best = new Map<string, Result>();
  // Interleave the modes so machine noise hits them alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of modes) {
      const result = run(workload, mode);
      if (result.opsPerSecond > (best.get(mode.name)?.opsPerSecond ?? 0)) best.set(mode.name, result);
    }
  }
  const baseline = best.get('none')!.opsPerSecond;
  console.log(`\n${workload} (ops/s, best of ${ROUNDS} x 3 s)`);
  for (const mode of modes) {
    const { opsPerSecond, agent: seen } = best.get(mode.name)!;
    const share = `${((opsPerSecond / baseline) * 100).toFixed(1).padStart(5)}% of none`;
    const saw = seen
      ? `   ${seen.capture} stacks, ${seen.recorded.toLocaleString('en-US')} resources recorded, watched ${(seen.dutyCycle * 100).toFixed(1)}% of the time`
      : '';
    console.log(`  ${mode.name.padEnd(34)} ${Math.round(opsPerSecond).toLocaleString('en-US').padStart(12)}   ${share}${saw}`);
  }
}
