/**
 * The tables of the Node agent's snapshot (agent.js `snapshot()`), read by
 * column name. The agent's rows are arrays (the cheapest thing to build in
 * the target and to send over the inspector); their layout is written once,
 * in the agent (its COLUMNS), and sent with every snapshot. leakscan looks
 * up the columns it reads by name, so a column added or moved in the agent
 * changes nothing here, and a snapshot without a column leakscan needs is
 * refused as unreadable instead of read at the wrong place.
 */

/** The columns leakscan reads from the agent's frames: [function name, file, line]. */
export const AGENT_FRAME_COLUMNS = ['fn', 'file', 'line'] as const;
/**
 * The columns leakscan reads from the agent's live records: async id, index
 * into `types`, index into `stacks` (-1: none), trigger async id, age in ms,
 * lineage (the async id of the chain's first link), and weight (how many
 * resources this one stands for when the agent sampled).
 */
export const AGENT_TASK_COLUMNS = ['asyncId', 'type', 'stack', 'trigger', 'ageMs', 'lineage', 'weight'] as const;
/** The columns leakscan reads from the records folded into per-site counts past the agent's cap. */
export const AGENT_FOLDED_COLUMNS = ['type', 'stack', 'count'] as const;

type Columns<Names extends readonly string[]> = Readonly<Record<Names[number], number>>;
export type FrameColumns = Columns<typeof AGENT_FRAME_COLUMNS>;
export type TaskColumns = Columns<typeof AGENT_TASK_COLUMNS>;
export type FoldedColumns = Columns<typeof AGENT_FOLDED_COLUMNS>;

/** One row of an agent table: values in the order its `columns` name them. */
export type AgentRow = readonly (string | number)[];

/** The agent's snapshot as it arrives (agent.js `snapshot()`). */
export interface AgentSnapshot {
  pid: number;
  now: number;
  /** Each table's column names, in the order of its rows' values. */
  columns: { frames: readonly string[]; tasks: readonly string[]; folded: readonly string[] };
  types: string[];
  frames: AgentRow[];
  /** Frame ids per stack, innermost first. */
  stacks: number[][];
  tasks: AgentRow[];
  folded: AgentRow[];
  /** Resources not tracked because the table was at its cap with young records. */
  untracked?: number;
  maxTracked?: number;
  /** How stacks were captured: "native" (the addon) or "js". */
  capture: 'native' | 'js';
  /** The share of time the agent watched (1 = always; below 1, counts are estimates). */
  dutyCycle: number;
}

/** Where each column leakscan reads is in the agent's rows. */
export interface AgentColumns {
  frame: FrameColumns;
  task: TaskColumns;
  folded: FoldedColumns;
}

/** The position of each of `names` in `sent`, or undefined if the agent sent no column of one of these names. */
function positions<Names extends readonly string[]>(sent: unknown, names: Names): Columns<Names> | undefined {
  if (!Array.isArray(sent)) return undefined;
  const at: Record<string, number> = {};
  for (const name of names) {
    const index = sent.indexOf(name);
    if (index < 0) return undefined;
    at[name] = index;
  }
  return at as Columns<Names>;
}

/** The columns of a snapshot's tables, or undefined when one that leakscan reads is missing. */
export function agentColumns(columns: unknown): AgentColumns | undefined {
  if (typeof columns !== 'object' || columns === null) return undefined;
  const sent = columns as Record<string, unknown>;
  const frame = positions(sent.frames, AGENT_FRAME_COLUMNS);
  const task = positions(sent.tasks, AGENT_TASK_COLUMNS);
  const folded = positions(sent.folded, AGENT_FOLDED_COLUMNS);
  return frame && task && folded ? { frame, task, folded } : undefined;
}

const isIndex = (value: unknown, length: number): boolean => Number.isSafeInteger(value) && (value as number) >= -1 && (value as number) < length;
const isCount = (value: unknown): boolean => Number.isFinite(value) && (value as number) >= 0;

/**
 * The agent's snapshot comes from the target: every column leakscan reads
 * must be there, every index point into its tables and every count be a
 * number, or the reader would read past them.
 */
export function isAgentSnapshot(value: unknown): value is AgentSnapshot {
  if (typeof value !== 'object' || value === null) return false;
  const data = value as Record<string, unknown>;
  const { types, frames, stacks, tasks, folded } = data;
  if (!Array.isArray(types) || !Array.isArray(frames) || !Array.isArray(stacks) || !Array.isArray(tasks) || !Array.isArray(folded)) return false;
  if (!Number.isFinite(data.now) || !Number.isFinite(data.dutyCycle)) return false;
  const at = agentColumns(data.columns);
  if (at === undefined) return false;
  if (!types.every((t) => typeof t === 'string')) return false;
  const { frame: f, task: t, folded: d } = at;
  const isRow = (row: unknown): row is unknown[] => Array.isArray(row);
  if (!frames.every((row) => isRow(row) && typeof row[f.fn] === 'string' && typeof row[f.file] === 'string' && Number.isFinite(row[f.line]))) return false;
  if (!stacks.every((s) => Array.isArray(s) && s.every((id) => isIndex(id, frames.length) && (id as number) >= 0))) return false;
  const task = (row: unknown) =>
    isRow(row) &&
    isIndex(row[t.type], types.length) &&
    (row[t.type] as number) >= 0 &&
    isIndex(row[t.stack], stacks.length) &&
    Number.isFinite(row[t.asyncId]) &&
    Number.isFinite(row[t.trigger]) &&
    isCount(row[t.ageMs]) &&
    Number.isFinite(row[t.lineage]) &&
    isCount(row[t.weight]);
  if (!tasks.every(task)) return false;
  return folded.every(
    (row) => isRow(row) && isIndex(row[d.type], types.length) && (row[d.type] as number) >= 0 && isIndex(row[d.stack], stacks.length) && isCount(row[d.count]),
  );
}

/** The pending promises the agent's records stand for: those seen made while it watched all the time (`exact`), and the sampled estimate (weight above 1). */
export function recordedPending(data: AgentSnapshot): { exact: number; sampled: number } {
  const { task: t } = agentColumns(data.columns)!;
  const promise = data.types.indexOf('PROMISE');
  let exact = 0;
  let sampled = 0;
  for (const row of data.tasks) {
    if (row[t.type] !== promise) continue;
    const weight = row[t.weight] as number;
    if (weight > 1) sampled += weight;
    else exact += weight;
  }
  return { exact, sampled };
}
