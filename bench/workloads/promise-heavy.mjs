// Workload for bench/node-overhead: async functions awaiting each other, the
// shape of most Node service code. Prints {"ops": N, "ms": M}.
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
}
console.log(JSON.stringify({ ops, ms: performance.now() - started }));
