/**
 * bench/capture-cost: what one creation stack costs, by depth, in
 * JavaScript (structured call sites) and through the native addon. A fresh
 * process sets and clears 100,000 timers from 40 frames deep, with the agent
 * preloaded at `--track all` and each stack depth; the cost per capture is
 * the time per timer minus the time per timer without any agent, in the
 * same run. Best of 3. Chooses the default --stack-depth.
 *
 *   npm run bench:capture-cost
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_DEFAULTS } from '../src/targets/node/agent-settings.js';
import { agentFile } from '../src/targets/node/target.js';
import { nativeAddonStatus, nativeBindingDir } from '../src/targets/node/native-addon.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const agent = agentFile();
const script = join(root, 'bench', 'workloads', 'timer-churn.mjs');

function microsecondsPerTimer(options: Record<string, unknown> | undefined): number {
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const env: NodeJS.ProcessEnv = { ...process.env, BENCH_OPS: '100000' };
    delete env.NODE_OPTIONS;
    const args = options ? ['--require', agent, script] : [script];
    if (options) env.LEAKSCAN_AGENT_OPTIONS = JSON.stringify({ ...AGENT_DEFAULTS, preloaded: true, track: 'all', ...options });
    const out = execFileSync(process.execPath, args, { env, encoding: 'utf8' });
    const { ops, ms } = JSON.parse(out.trim().split('\n').pop()!) as { ops: number; ms: number };
    best = Math.min(best, (ms * 1000) / ops);
  }
  return best;
}

const addon = nativeAddonStatus();
console.log(`native addon: ${addon.available ? 'available' : 'NOT available'} (${addon.detail})`);
const none = microsecondsPerTimer(undefined);
console.log(`set+clear a timer, no agent: ${none.toFixed(2)} µs\n`);
console.log('depth   JS capture   native capture   native / JS');
for (const depth of [4, 8, 16, 32]) {
  const js = microsecondsPerTimer({ stackDepth: depth, native: null }) - none;
  const native = addon.available ? microsecondsPerTimer({ stackDepth: depth, native: { dir: nativeBindingDir } }) - none : NaN;
  console.log(
    `${String(depth).padStart(5)}   ${js.toFixed(2).padStart(7)} µs   ${native.toFixed(2).padStart(9)} µs   ${(native / js).toFixed(2).padStart(10)}`,
  );
}
