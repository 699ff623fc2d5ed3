/**
 * Baseline files: the suspects a team has accepted, so that known leaks do
 * not fail every build while a new one, or a known one that got worse, does.
 *
 * The file is meant to be read in a pull request: pretty-printed JSON, one
 * site per entry, sorted by key, with the numbers and the explanation that
 * were true when it was taken. Site keys are stable across rebuilds and
 * machines (see src/model/site.ts).
 */
import { readFile } from 'node:fs/promises';
import type { Runtime } from '../model/format.js';
import type { Suspect } from './score.js';
import { InputError } from '../util/errors.js';
import { describeFsError } from '../util/atomic-write.js';

export const BASELINE_SCHEMA = 'leakscan.baseline';
export const BASELINE_VERSION = 1;

export interface BaselineSite {
  key: string;
  score: number;
  /** Growth in tasks per minute when accepted (0 with one snapshot). */
  perMinute: number;
  /** Where the site is, for the reader: "main.go:65". */
  where: string;
  explanation: string;
}

export interface Baseline {
  schema: typeof BASELINE_SCHEMA;
  version: number;
  runtime: Runtime;
  createdAt: string;
  sites: BaselineSite[];
}

export function makeBaseline(runtime: Runtime, suspects: readonly Suspect[], minScore: number, now = new Date()): Baseline {
  const sites = suspects
    .filter((s) => s.score >= minScore)
    .map((s) => ({
      key: s.key,
      score: s.score,
      perMinute: Math.round((s.growth?.perMinute ?? 0) * 100) / 100,
      where: s.site.anchor ? `${s.site.anchor.file.split('/').pop()}:${s.site.anchor.line}` : '',
      explanation: s.explanation,
    }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { schema: BASELINE_SCHEMA, version: BASELINE_VERSION, runtime, createdAt: now.toISOString(), sites };
}

export function baselineJson(baseline: Baseline): string {
  return JSON.stringify(baseline, null, 2) + '\n';
}

export async function readBaseline(path: string): Promise<Baseline> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read baseline ${path}: ${describeFsError(error)}`);
  }
  let value: Partial<Baseline>;
  try {
    value = JSON.parse(text) as Partial<Baseline>;
  } catch {
    throw new InputError(`baseline ${path} is not valid JSON`);
  }
  if (value.schema !== BASELINE_SCHEMA) throw new InputError(`${path} is not a leakscan baseline (no "schema": "${BASELINE_SCHEMA}")`);
  if (typeof value.version !== 'number' || value.version > BASELINE_VERSION) {
    throw new InputError(`baseline ${path} has version ${value.version}, newer than this leakscan reads (${BASELINE_VERSION}); upgrade leakscan`);
  }
  if (!Array.isArray(value.sites) || value.sites.some((s) => typeof s?.key !== 'string' || typeof s.score !== 'number')) {
    throw new InputError(`baseline ${path} has malformed sites`);
  }
  return value as Baseline;
}
