// Workload for bench/node-census-cost: a Node service holding many live
// async resources (BENCH_RESOURCES pending promises, one in a hundred of
// them with a live timer beside it, and as many listeners; BENCH_EMITTERS
// more emitters, default 0, each with one listener, as requests a service
// keeps are: over the census's read limit they are sampled), serving a tick
// every millisecond so that any stall shows as event-loop delay.
// Reads commands on stdin, one per line, and answers each with one JSON line:
//   "reset"  -> starts a new measurement
//   "report" -> {"held", "maxDelayMs", "p99DelayMs", "rssMb", "heapUsedMb"} since the last reset
// (`held` is read there so that the promises and listeners stay reachable:
// a module's top-level variables that no function uses are collected).
import { EventEmitter } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

const count = Number(process.env.BENCH_RESOURCES ?? 1000);
const held = [];
const bus = new EventEmitter();
bus.setMaxListeners(0);
for (let i = 0; i < count; i++) {
  held.push(new Promise(() => {}));
  if (i % 100 === 0) {
    setInterval(() => {}, 60_000);
    bus.on('tick', () => {});
  }
}
const emitters = [];
for (let i = 0; i < Number(process.env.BENCH_EMITTERS ?? 0); i++) {
  const e = new EventEmitter();
  e.on('close', () => {});
  emitters.push(e);
}
setInterval(() => {}, 1); // work every millisecond: a stall delays it

const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
const mb = (bytes) => Math.round(bytes / 1048576);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'reset') {
    delay.reset();
    process.stdout.write('{}\n');
  } else if (line === 'report') {
    const memory = process.memoryUsage();
    process.stdout.write(
      JSON.stringify({
        held: held.length + bus.listenerCount('tick') + emitters.length,
        maxDelayMs: delay.max / 1e6,
        p99DelayMs: delay.percentile(99) / 1e6,
        rssMb: mb(memory.rss),
        heapUsedMb: mb(memory.heapUsed),
      }) + '\n',
    );
  }
});
process.stdout.write(JSON.stringify({ ready: held.length }) + '\n');
