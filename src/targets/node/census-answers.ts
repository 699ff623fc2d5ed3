/**
 * The census's answers, checked. Everything the census reports was computed
 * in the target, by code that runs beside the program's own: a program that
 * replaced a built-in, a target under memory pressure, or a Node whose
 * internals moved can answer anything. Each answer is checked here, in one
 * place, before leakscan uses it: a value of the wrong type, a truncated
 * JSON text or a count that is not a count ends the snapshot with one line
 * that says which answer was wrong (a TargetError, exit code 3), never with
 * a stack trace or a report built on garbage. Texts from the target are
 * shortened, so a huge answer cannot flood the report.
 */
import { TargetError } from '../../util/errors.js';
import type { CensusGroup, CensusPart } from './census.js';

/** What the census read of the pending promises. */
export interface PromiseCount {
  pending: number;
  total: number;
  read: number;
  ms: number;
}

/** The id clock as the target answers it (census.ts ID_CLOCK). */
export interface IdClockAnswer {
  newestId: number;
  startedAt: number;
  now: number;
  mark: number;
}

/** Longest text kept from the target (a resource's words, a function name). */
const MAX_TEXT = 300;
/** More groups than this in one answer is not a census leakscan wrote. */
const MAX_GROUPS = 1_000_000;

class CensusAnswerError extends TargetError {}

function refuse(what: string, why: string): never {
  throw new CensusAnswerError(
    `the census in the target answered ${what} that leakscan cannot read (${why}); the target's Node or its built-ins may have been changed`,
  );
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;
const isAsyncId = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 1;

function text(value: unknown, what: string, field: string): string {
  if (typeof value !== 'string') refuse(what, `${field} is ${typeOf(value)}, not text`);
  return value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT - 3)}...` : value;
}

function count(value: unknown, what: string, field: string): number {
  if (!isCount(value)) refuse(what, `${field} is ${typeOf(value)}, not a count`);
  return value;
}

function asyncIds(value: unknown, what: string, field: string): number[] {
  if (!Array.isArray(value) || !value.every(isAsyncId)) refuse(what, `${field} is not a list of async ids`);
  return value;
}

/** A few words on a value from the target, never the value itself (it may be huge or hostile). */
function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number') return Number.isFinite(value) ? (value < 0 ? 'negative' : 'a number') : String(value);
  return typeof value === 'object' ? 'an object' : typeof value === 'undefined' ? 'missing' : `a ${typeof value}`;
}

function group(value: unknown, what: string): CensusGroup {
  if (!isRecord(value)) refuse(what, `a group is ${typeOf(value)}`);
  const rep = value.rep;
  if (!Number.isSafeInteger(rep) || (rep as number) < -1) refuse(what, `a group's function index is ${typeOf(rep)}`);
  return {
    key: text(value.key, what, "a group's key"),
    rep: rep as number,
    kind: text(value.kind, what, "a group's kind"),
    resource: text(value.resource, what, "a group's resource"),
    fn: text(value.fn, what, "a group's function name"),
    count: Math.round(count(value.count, what, "a group's count")),
    ids: asyncIds(value.ids, what, "a group's ids"),
    tracked: asyncIds(value.tracked, what, "a group's tracked ids"),
    ...(value.onOneEmitter !== undefined ? { onOneEmitter: onOneEmitter(value.onOneEmitter, what) } : {}),
  };
}

function onOneEmitter(value: unknown, what: string): NonNullable<CensusGroup['onOneEmitter']> {
  if (!isRecord(value)) refuse(what, `a group's listeners on one emitter are ${typeOf(value)}`);
  return {
    copies: Math.round(count(value.copies, what, "a group's copies on one emitter")),
    limit: Math.round(count(value.limit, what, "an emitter's listener limit")),
  };
}

/**
 * The JSON text of a timer or emitter census (census.ts). `what` names the
 * answer for the message: "its timers".
 */
export function censusPart(json: unknown, what: string): CensusPart {
  if (typeof json !== 'string') refuse(what, `the answer is ${typeOf(json)}, not JSON text`);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    refuse(what, json.length === 0 ? 'the answer is empty' : 'the JSON text is cut short or malformed');
  }
  if (!isRecord(value)) refuse(what, `the answer is ${typeOf(value)}`);
  const groups = value.groups;
  if (!Array.isArray(groups)) refuse(what, `its groups are ${typeOf(groups)}`);
  if (groups.length > MAX_GROUPS) refuse(what, `${groups.length} groups`);
  return {
    groups: groups.map((g) => group(g, what)),
    live: count(value.live, what, 'the live count'),
    read: count(value.read, what, 'the read count'),
    ms: count(value.ms, what, 'the time spent'),
  };
}

/** The census of pending promises (census.ts PROMISE_CENSUS). */
export function promiseCount(value: unknown): PromiseCount {
  const what = 'its promises';
  if (!isRecord(value)) refuse(what, `the answer is ${typeOf(value)}`);
  return {
    pending: count(value.pending, what, 'the pending count'),
    total: count(value.total, what, 'the total'),
    read: count(value.read, what, 'the read count'),
    ms: count(value.ms, what, 'the time spent'),
  };
}

/** Other active handles (census.ts HANDLE_CENSUS): [asyncId | null, type][]. */
export function activeHandles(value: unknown): [number | null, string][] {
  const what = 'its active handles';
  if (!Array.isArray(value)) refuse(what, `the answer is ${typeOf(value)}, not a list`);
  return value.map((entry) => {
    if (!Array.isArray(entry) || entry.length !== 2) refuse(what, `an entry is ${typeOf(entry)}, not [id, type]`);
    const [id, type] = entry as unknown[];
    if (id !== null && !isAsyncId(id)) refuse(what, `an async id is ${typeOf(id)}`);
    return [id, text(type, what, 'a type')];
  });
}

/** The id clock (census.ts ID_CLOCK). */
export function idClock(value: unknown): IdClockAnswer {
  const what = 'its id clock';
  if (!isRecord(value)) refuse(what, `the answer is ${typeOf(value)}`);
  if (!isAsyncId(value.newestId)) refuse(what, `the newest id is ${typeOf(value.newestId)}`);
  return {
    newestId: value.newestId,
    startedAt: count(value.startedAt, what, 'the start time'),
    now: count(value.now, what, 'the time'),
    mark: count(value.mark, what, 'the clock mark'),
  };
}

/** The target's performance.now() (census.ts MARK). */
export function clockMark(value: unknown): number {
  return count(value, 'its clock', 'the clock mark');
}

/** The handle of an object the inspector found (Runtime.queryObjects, callFunctionOn). */
export function objectHandle(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') refuse(what, `no object handle (${typeOf(value)})`);
  return value;
}
