/**
 * bench/agent-snapshot: what one snapshot of the Node agent costs to send
 * and to read. The agent runs in this process (as leakCheck runs it),
 * recording everything, while N pending promises and N/10 timers made at 40
 * call sites are alive; printed per size: the snapshot's size as JSON (what
 * crosses the inspector), the time the agent takes to make it, and the time
 * leakscan takes to read it (parse the JSON, check it, build the model
 * snapshot), and the time it takes to check it (every index and count of
 * the target's answer), medians of 7.
 *
 *   npm run bench:agent-snapshot
 *   BENCH_ROOT=<another checkout> npm run bench:agent-snapshot   # that checkout's built agent and reader
 *   BENCH_SIZES=1000,100000 BENCH_RUNS=15 npm run bench:agent-snapshot
 */
import { runInThisContext } from 'node:vm';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './crowd.js';

const root = process.env.BENCH_ROOT ?? repoRoot;
const sizes = (process.env.BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

interface AgentModule {
  agentExpression(options: unknown): string;
  agentOptions(settings: unknown, extra: unknown): unknown;
  defaultAgentSettings: Record<string, unknown>;
  builderFromAgent(data: unknown, source: unknown, exact?: ReadonlySet<string>): { builder: { build(now: number): unknown } };
}
interface RecordsModule {
  isAgentSnapshot(value: unknown): boolean;
}
interface Agent {
  snapshot(): { now: number };
  uninstall(reason: string): boolean;
}

const target = (await import(pathToFileURL(join(root, 'dist', 'src', 'targets', 'node', 'target.js')).href)) as AgentModule;
// Builds before the named columns checked the snapshot inside target.ts, out of reach: no check time for them.
const records = (await import(pathToFileURL(join(root, 'dist', 'src', 'targets', 'node', 'agent-records.js')).href).catch(() => undefined)) as
  RecordsModule | undefined;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Forty call sites, each a few frames deep, so stacks and frames are more than one. */
const sites = Array.from({ length: 40 }, (_, i) => {
  const make = runInThisContext(`(function site${i}(kind) { return kind === 'timer' ? setTimeout(() => {}, 3600000) : new Promise(() => {}); })`) as (
    kind: string,
  ) => unknown;
  return (kind: string) => make(kind);
});

function measure(size: number): string {
  runInThisContext(
    target.agentExpression(target.agentOptions({ ...target.defaultAgentSettings, track: 'all', maxTracked: 10_000_000 }, { watchdogMs: 600_000 })),
  );
  const agent = (globalThis as unknown as Record<symbol, Agent>)[Symbol.for('leakscan.agent')]!;
  const timers: NodeJS.Timeout[] = [];
  try {
    for (let i = 0; i < size; i++) sites[i % sites.length]!('promise');
    for (let i = 0; i < size / 10; i++) timers.push(sites[i % sites.length]!('timer') as NodeJS.Timeout);
    const make: number[] = [];
    const read: number[] = [];
    const check: number[] = [];
    let bytes = 0;
    for (let run = 0; run < RUNS; run++) {
      let started = performance.now();
      const json = JSON.stringify(agent.snapshot());
      make.push(performance.now() - started);
      bytes = Buffer.byteLength(json);
      started = performance.now();
      const data = JSON.parse(json) as { now: number };
      target.builderFromAgent(data, { profile: 'bench' }).builder.build(data.now);
      read.push(performance.now() - started);
      started = performance.now();
      if (records !== undefined && !records.isAgentSnapshot(data)) throw new Error('the agent snapshot does not check');
      check.push(performance.now() - started);
    }
    const records_ = size + size / 10;
    return `| ${size.toLocaleString('en-US')} | ${(bytes / 2 ** 20).toFixed(2)} MiB (${(bytes / records_).toFixed(1)} B/record) | ${median(make).toFixed(0)} ms | ${median(read).toFixed(0)} ms | ${records === undefined ? 'n/a' : `${median(check).toFixed(0)} ms`} |`;
  } finally {
    for (const timer of timers) clearTimeout(timer);
    agent.uninstall('bench done');
  }
}

console.log(`agent snapshot of ${root}`);
console.log('| pending promises (+ a tenth as many timers) | snapshot as JSON | agent makes it, as JSON | leakscan reads it | and checks it |');
console.log('| --- | --- | --- | --- | --- |');
for (const size of sizes) console.log(measure(size));
