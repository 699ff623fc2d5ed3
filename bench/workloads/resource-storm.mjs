// Workload for bench/agent-memory: creates async resources as fast as it can
// for BENCH_MS, keeping a bounded window of them alive (pending promises and
// timers that are settled or cleared 10,000 creations later), so the
// program's own memory stays flat and any growth is the tracker's.
// Prints {"created": N, "heapUsed": bytes, "rss": bytes, "agent": status|null}.
const duration = Number(process.env.BENCH_MS ?? 60000);
const WINDOW = 10_000;
const ring = new Array(WINDOW);
let created = 0;
const started = performance.now();
while (performance.now() - started < duration) {
  for (let i = 0; i < 1000; i++) {
    const slot = created % WINDOW;
    const old = ring[slot];
    if (old) {
      old.resolve();
      clearTimeout(old.timer);
    }
    let resolve;
    const promise = new Promise((r) => (resolve = r));
    ring[slot] = { promise, resolve, timer: setTimeout(() => {}, 3_600_000) };
    created += 2;
  }
  await new Promise((r) => setImmediate(r));
}
for (const entry of ring) {
  if (!entry) continue;
  entry.resolve();
  clearTimeout(entry.timer);
}
globalThis.gc?.();
const agent = globalThis[Symbol.for('leakscan.agent')];
const { heapUsed, rss } = process.memoryUsage();
console.log(JSON.stringify({ created, heapUsed, rss, agent: agent ? agent.status() : null }));
