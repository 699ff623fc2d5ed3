/** Option parsers shared by commands: each rejects bad values with a usage error. */
import { InvalidArgumentError } from 'commander';
import type { GroupBy } from '../model/site.js';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

export function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
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
