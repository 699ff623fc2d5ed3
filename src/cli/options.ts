/** Option parsers shared by commands: each rejects bad values with a usage error. */
import { InvalidArgumentError } from 'commander';
import type { GroupBy } from '../model/site.js';
import { parseDurationSeconds } from '../util/duration.js';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

/** A positive duration in seconds, written as Go writes it ("5s", "1m30s", "500ms") or in plain seconds ("5"). */
export function positiveSeconds(value: string): number {
  const n = parseDurationSeconds(value);
  if (n === undefined || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('expected a duration such as 5s, 1m30s or 500ms, or a number of seconds');
  return n;
}

/** A number above 0 (a rate, a ratio). */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number above 0');
  return n;
}

export function groupBy(value: string): GroupBy {
  if (value !== 'function' && value !== 'line') throw new InvalidArgumentError('expected "function" or "line"');
  return value;
}

export function score(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 100) throw new InvalidArgumentError('expected a score from 0 to 100');
  return n;
}

/** A share of something in percent: above 0, at most 100 ("2" or "2%"). */
export function percent(value: string): number {
  const n = Number(value.endsWith('%') ? value.slice(0, -1) : value);
  if (!Number.isFinite(n) || n <= 0 || n > 100) throw new InvalidArgumentError('expected a percentage above 0 and at most 100');
  return n;
}

/**
 * A pause budget: "10ms", "1.5s", "250us", a bare number of milliseconds,
 * or "none" for no limit (Infinity). Zero is allowed: never a full dump.
 */
export function pauseBudget(value: string): number {
  if (value === 'none') return Infinity;
  const match = /^(\d+(?:\.\d+)?|\.\d+)\s*(us|µs|ms|s)?$/.exec(value.trim());
  if (match === null) throw new InvalidArgumentError('expected a duration such as 10ms, 1s or 500us, or "none"');
  const n = Number(match[1]);
  const unit = match[2] ?? 'ms';
  return unit === 's' ? n * 1000 : unit === 'ms' ? n : n / 1000;
}
