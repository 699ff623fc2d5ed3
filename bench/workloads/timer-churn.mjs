// Workload for bench/capture-cost: sets and clears timers from 40 frames
// deep, so a stack of any depth up to 40 can be captured at each init.
// Prints {"ops": N, "ms": M, "agent": {...}}.
import { agentReport } from './agent-report.mjs';

const count = Number(process.env.BENCH_OPS ?? 100000);
const noop = () => {};

function churn(n) {
  for (let i = 0; i < n; i++) clearTimeout(setTimeout(noop, 1000));
}

function deep(level, n) {
  return level === 0 ? churn(n) : deep(level - 1, n) + 0;
}

deep(40, 2000); // warm up
const started = performance.now();
deep(40, count);
console.log(JSON.stringify({ ops: count, ms: performance.now() - started, agent: agentReport() }));
