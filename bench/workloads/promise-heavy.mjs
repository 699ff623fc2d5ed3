// Workload for bench/node-overhead: async functions awaiting each other, the
// shape of most Node service code. Between rounds it yields to the event loop
// (setImmediate), as a service does between batches of I/O; a loop that never
// yields would also starve its own timers and sockets.
// Prints {"ops": N, "ms": M, "agent": {...}}.
import { agentReport } from './agent-report.mjs';

const duration = Number(process.env.BENCH_MS ?? 3000);

async function step(value) {
  await null;
  return value + 1;
}

async function chain(length) {
  let value = 0;
  for (let i = 0; i < length; i++) value = await step(value);
  return value;
}

let ops = 0;
const started = performance.now();
while (performance.now() - started < duration) {
  await Promise.all(Array.from({ length: 100 }, () => chain(10)));
  ops += 1000;
  await new Promise((resolve) => setImmediate(resolve));
}
console.log(JSON.stringify({ ops, ms: performance.now() - started, agent: agentReport() }));
