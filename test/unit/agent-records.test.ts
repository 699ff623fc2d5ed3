/**
 * The Node agent's snapshot tables are read by column name: the agent (run
 * here, in this process, as leakCheck runs it) sends the names of its
 * columns, and leakscan's reader finds what it reads by those names. Both
 * sides must agree on the names, and the reader must not depend on where a
 * column is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInThisContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { AGENT_FOLDED_COLUMNS, AGENT_FRAME_COLUMNS, AGENT_TASK_COLUMNS, isAgentSnapshot, recordedPending } from '../../src/targets/node/agent-records.js';
import type { AgentSnapshot } from '../../src/targets/node/agent-records.js';
import { agentExpression, agentOptions, builderFromAgent, defaultAgentSettings } from '../../src/targets/node/target.js';

interface Agent {
  snapshot(): AgentSnapshot;
  uninstall(reason: string): boolean;
}

const THIS_FILE = fileURLToPath(import.meta.url);
const timerLine =
  readFileSync(THIS_FILE, 'utf8')
    .split('\n')
    .findIndex((line) => line.trimEnd().endsWith('// the timer line')) + 1;

/** A real snapshot of the agent, taken in this process, as it crosses the inspector (JSON), with the async id of a live timer it saw made. */
async function agentSnapshot(): Promise<{ data: AgentSnapshot; timerId: number }> {
  runInThisContext(agentExpression(agentOptions({ ...defaultAgentSettings, track: 'all' }, { watchdogMs: 60_000 })));
  const agent = (globalThis as unknown as Record<symbol, Agent>)[Symbol.for('leakscan.agent')]!;
  try {
    const timer = setTimeout(() => undefined, 60_000); // the timer line
    await sleep(20);
    const data = JSON.parse(JSON.stringify(agent.snapshot())) as AgentSnapshot;
    clearTimeout(timer);
    return { data, timerId: Number(timer) };
  } finally {
    agent.uninstall('test done');
  }
}

test('the agent sends exactly the columns leakscan reads, in every table', async () => {
  const { data } = await agentSnapshot();
  const sorted = (names: readonly string[]) => [...names].sort();
  assert.deepEqual(sorted(data.columns.frames), sorted(AGENT_FRAME_COLUMNS));
  assert.deepEqual(sorted(data.columns.tasks), sorted(AGENT_TASK_COLUMNS));
  assert.deepEqual(sorted(data.columns.folded), sorted(AGENT_FOLDED_COLUMNS));
  assert.ok(data.tasks.every((row) => row.length === data.columns.tasks.length));
  assert.ok(data.frames.every((row) => row.length === data.columns.frames.length));
  assert.ok(isAgentSnapshot(data));
});

test("the reader takes each value from its named column: a timer's id, kind, line and age", async () => {
  const { data, timerId } = await agentSnapshot();
  const snapshot = builderFromAgent(data, { profile: 'leakCheck' }).builder.build(data.now);
  const timer = snapshot.tasks.find((t) => t.id === String(timerId));
  assert.ok(timer, `the timer (async id ${timerId}) is among the agent's records`);
  assert.equal(timer.kind, 'Timeout');
  assert.equal(timer.state, 'active');
  assert.ok(timer.ageMs! >= 15 && timer.ageMs! < 10_000, `age ${timer.ageMs} ms`);
  // The innermost frame of this file (Node's own timer frames come first).
  const ours = snapshot.stacks[timer.stack]!.map((id) => snapshot.frames[id]!).find((frame) => frame.file === THIS_FILE);
  assert.equal(ours?.line, timerLine);
});

/** The same snapshot with every table's columns in reverse order. */
function reversed(data: AgentSnapshot): AgentSnapshot {
  return {
    ...data,
    columns: { frames: [...data.columns.frames].reverse(), tasks: [...data.columns.tasks].reverse(), folded: [...data.columns.folded].reverse() },
    frames: data.frames.map((row) => [...row].reverse()),
    tasks: data.tasks.map((row) => [...row].reverse()),
    folded: data.folded.map((row) => [...row].reverse()),
  };
}

test('a column moved in the agent reads the same; a column missing makes the snapshot unreadable', async () => {
  const { data } = await agentSnapshot();
  const moved = reversed(data);
  assert.ok(isAgentSnapshot(moved));
  const build = (d: AgentSnapshot) => builderFromAgent(d, { profile: 'leakCheck' }).builder.build(d.now);
  assert.deepEqual(build(moved), build(data));

  const withoutWeight = { ...data, columns: { ...data.columns, tasks: data.columns.tasks.map((c) => (c === 'weight' ? 'weigth' : c)) } };
  assert.equal(isAgentSnapshot(withoutWeight), false);
  assert.throws(() => build(withoutWeight), /lacks a column/);
});

test('sampled promise records are scaled to the census count; exact ones and other kinds are not', () => {
  // Rows in the agent's column order: one promise seen while watching all
  // the time (weight 1), two sampled ones (weight 50 each), a sampled timer.
  const data: AgentSnapshot = {
    pid: 1,
    now: 1000,
    columns: { frames: [...AGENT_FRAME_COLUMNS], tasks: [...AGENT_TASK_COLUMNS], folded: [...AGENT_FOLDED_COLUMNS] },
    types: ['PROMISE', 'Timeout'],
    frames: [['waitForRefresh', '/app/cache.mjs', 62]],
    stacks: [[0]],
    tasks: [
      [10, 0, 0, 1, 500, 10, 1],
      [11, 0, 0, 1, 500, 11, 50],
      [12, 0, 0, 1, 500, 12, 50],
      [13, 1, 0, 1, 500, 13, 50],
    ],
    folded: [],
    capture: 'js',
    dutyCycle: 0.02,
  };
  assert.deepEqual(recordedPending(data), { exact: 1, sampled: 100 });
  // The census found 301 pending promises made since attach: 1 exact, 300 for the 100 sampled.
  const counts = builderFromAgent(data, { profile: 'node-agent' }, new Set(), undefined, 3)
    .builder.build(data.now)
    .tasks.map((t) => [t.id, t.count ?? 1]);
  assert.deepEqual(counts, [
    ['10', 1],
    ['11', 150],
    ['12', 150],
    ['13', 50],
  ]);
  // A census count below the sample: each record still stands for itself.
  const floor = builderFromAgent(data, { profile: 'node-agent' }, new Set(), undefined, 0).builder.build(data.now);
  assert.deepEqual(
    floor.tasks.map((t) => t.count ?? 1),
    [1, 1, 1, 50],
  );
});
