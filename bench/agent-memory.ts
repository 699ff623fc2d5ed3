/**
 * bench/agent-memory: the agent's memory stays under its cap while a target
 * creates async resources as fast as it can. The workload keeps a bounded
 * window of live resources (so its own memory is flat) for 60 s, once
 * without the agent and once with it preloaded at a cap of 5,000 tracked (below the 20,000 the workload keeps alive, so the cap is hit all the time)
 * records; printed: resources created, heap and RSS at the end, and what the
 * agent tracked and folded.
 *
 *   npm run bench:agent-memory       (BENCH_MS=20000 for a shorter run)
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_DEFAULTS } from '../src/targets/node/agent-settings.js';
import { agentFile } from '../src/targets/node/target.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const script = join(root, 'bench', 'workloads', 'resource-storm.mjs');
const agent = agentFile();
const duration = process.env.BENCH_MS ?? '60000';

function run(args: string[], options: string): Record<string, unknown> {
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_MS: duration, LEAKSCAN_AGENT_OPTIONS: options };
  delete env.NODE_OPTIONS;
  return JSON.parse(
    execFileSync(process.execPath, ['--expose-gc', ...args, script], { env, encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop()!,
  ) as Record<string, unknown>;
}

const mib = (n: unknown) => `${((n as number) / 2 ** 20).toFixed(1)} MiB`;
const without = run([], '{}');
// --track all: every resource recorded, the worst case for memory (the
// adaptive default would record a few percent of them).
const withAgent = run(['--require', agent], JSON.stringify({ ...AGENT_DEFAULTS, preloaded: true, maxTracked: 5_000, track: 'all' }));
console.log(`storm of ${Number(duration) / 1000}s, a window of 10,000 live promises + 10,000 live timers`);
console.log(
  `  without agent: ${(without.created as number).toLocaleString('en-US')} resources created, heap ${mib(without.heapUsed)}, RSS ${mib(without.rss)}`,
);
const status = withAgent.agent as { tracked: number; folded: number; untracked: number; settings: { maxTracked: number } };
console.log(
  `  with agent:    ${(withAgent.created as number).toLocaleString('en-US')} resources created, heap ${mib(withAgent.heapUsed)}, RSS ${mib(withAgent.rss)}`,
);
console.log(
  `  agent at the end: tracking ${status.tracked.toLocaleString('en-US')} (cap ${status.settings.maxTracked.toLocaleString('en-US')}); ${status.untracked.toLocaleString('en-US')} short-lived resources not tracked at the cap; ${status.folded.toLocaleString('en-US')} long-lived ones folded into per-site counts`,
);
console.log(`  heap with / without agent: ${((withAgent.heapUsed as number) / (without.heapUsed as number)).toFixed(2)}x`);
