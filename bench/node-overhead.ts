/**
 * bench/node-overhead: what tracking async resources costs a Node service.
 * Two workloads (promise-heavy async code; an HTTP server under keep-alive
 * load), each run in fresh processes:
 *
 *   none                    no hooks
 *   leakscan agent          the agent leakscan injects, default settings (a stack at every init)
 *   leakscan, promises 1/100  the agent recording one promise in 100
 *   new Error().stack       a formatted stack at every init (Jest's detectOpenHandles does this)
 *   why-is-node-running     the npm package, preloaded as its README says
 *
 * The agent is preloaded (`--require`), which is what `leakscan run` does and
 * costs the same per init as injecting it with attach. Throughput is the best
 * of 3 runs of 3 s; printed as a ratio to "none" from the same run.
 *
 *   npm run bench:node-overhead
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const workloads = ['promise-heavy', 'http-server'];
const agent = join(root, 'src', 'sources', 'node', 'agent.js');
const modes: { name: string; args: string[]; env?: Record<string, string> }[] = [
  { name: 'none', args: [] },
  { name: 'an empty async hook (the floor)', args: ['--require', join(root, 'bench', 'workloads', 'empty-hook.cjs')] },
  { name: 'leakscan agent (default)', args: ['--require', agent], env: { LEAKSCAN_AGENT_OPTIONS: '{"preloaded":true}' } },
  { name: 'leakscan agent, promises 1/100', args: ['--require', agent], env: { LEAKSCAN_AGENT_OPTIONS: '{"preloaded":true,"promiseSampleEvery":100}' } },
  { name: 'new Error().stack at every init', args: ['--require', join(root, 'bench', 'workloads', 'stack-every-init.cjs')] },
  { name: 'why-is-node-running 3', args: ['--import', join(root, 'node_modules', 'why-is-node-running', 'index.js')] },
];

function run(workload: string, mode: (typeof modes)[number]): number {
  const script = join(root, 'bench', 'workloads', `${workload}.mjs`);
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_MS: '3000', ...mode.env };
  delete env.NODE_OPTIONS;
  const out = execFileSync(process.execPath, [...mode.args, script], { env, encoding: 'utf8' });
  const { ops, ms } = JSON.parse(out.trim().split('\n').pop()!) as { ops: number; ms: number };
  return (ops / ms) * 1000;
}

for (const workload of workloads) {
  const best = new Map<string, number>();
  // Interleave the modes so machine noise hits them alike.
  for (let round = 0; round < 3; round++) {
    for (const mode of modes) best.set(mode.name, Math.max(best.get(mode.name) ?? 0, run(workload, mode)));
  }
  const baseline = best.get('none')!;
  console.log(`\n${workload} (ops/s, best of 3 x 3 s)`);
  for (const mode of modes) {
    const value = best.get(mode.name)!;
    console.log(`  ${mode.name.padEnd(34)} ${Math.round(value).toLocaleString('en-US').padStart(12)}   ${(value / baseline * 100).toFixed(1).padStart(5)}% of none`);
  }
}
