/**
 * The project config file, `.leakscan.json` in the current directory (or
 * the file given with --config). Documented in docs/config.md. Unknown keys
 * are refused: a misspelt "ignroe" must not silently ignore nothing.
 */
import { readFile } from 'node:fs/promises';
import { InputError } from '../util/errors.js';
import { describeFsError } from '../util/atomic-write.js';
import type { IgnoreRuleSet } from './ignore.js';
import type { GroupBy } from '../model/site.js';
import type { SiteAllowance } from './gate.js';

export interface CheckConfig {
  failScore?: number;
  maxGrowth?: number;
  scoreMargin?: number;
  growthMargin?: number;
  /** Per-site allowances: a site (key, `*` wildcard) may score up to maxScore or grow up to maxGrowth per minute. */
  allow?: SiteAllowance[];
}

export interface LeakscanConfig {
  ignore?: IgnoreRuleSet;
  check?: CheckConfig;
  /** Set false to drop the built-in ignore list. */
  defaultIgnores?: boolean;
  groupBy?: GroupBy;
  minScore?: number;
}

export const CONFIG_FILE_NAME = '.leakscan.json';

/** Reads the config; a missing default file is an empty config, a missing named file an error. */
export async function loadConfig(path: string | undefined): Promise<LeakscanConfig> {
  const file = path ?? CONFIG_FILE_NAME;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (path === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new InputError(`cannot read config ${file}: ${describeFsError(error)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(`config ${file} is not valid JSON: ${(error as Error).message}`);
  }
  return validateConfig(value, file);
}

export function validateConfig(value: unknown, file: string): LeakscanConfig {
  const fail = (what: string): never => {
    throw new InputError(`config ${file}: ${what}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('must be a JSON object');
  const config = value as Record<string, unknown>;
  for (const key of Object.keys(config)) {
    if (!['ignore', 'defaultIgnores', 'groupBy', 'minScore', 'check', '$schema'].includes(key)) fail(`unknown key "${key}"`);
  }
  if (config.defaultIgnores !== undefined && typeof config.defaultIgnores !== 'boolean') fail('"defaultIgnores" must be true or false');
  if (config.groupBy !== undefined && config.groupBy !== 'function' && config.groupBy !== 'line') fail('"groupBy" must be "function" or "line"');
  if (config.minScore !== undefined && (typeof config.minScore !== 'number' || config.minScore < 0 || config.minScore > 100)) {
    fail('"minScore" must be a number from 0 to 100');
  }
  if (config.ignore !== undefined) {
    const ignore = config.ignore as Record<string, unknown>;
    if (typeof ignore !== 'object' || ignore === null || Array.isArray(ignore)) fail('"ignore" must be an object');
    for (const [key, list] of Object.entries(ignore)) {
      if (!['function', 'createdBy', 'package', 'label'].includes(key)) fail(`unknown ignore rule kind "${key}"`);
      if (!Array.isArray(list) || list.some((item) => typeof item !== 'string')) fail(`"ignore.${key}" must be a list of strings`);
    }
  }
  if (config.check !== undefined) validateCheck(config.check, fail);
  return config as LeakscanConfig;
}

function validateCheck(value: unknown, fail: (what: string) => never): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('"check" must be an object');
  const check = value as Record<string, unknown>;
  const number = (key: string, max = Infinity) => {
    const n = check[key];
    if (n !== undefined && (typeof n !== 'number' || n < 0 || n > max)) fail(`"check.${key}" must be a number from 0${max < Infinity ? ` to ${max}` : ''}`);
  };
  for (const key of Object.keys(check)) {
    if (!['failScore', 'maxGrowth', 'scoreMargin', 'growthMargin', 'allow'].includes(key)) fail(`unknown key "check.${key}"`);
  }
  number('failScore', 100);
  number('maxGrowth');
  number('scoreMargin', 100);
  number('growthMargin');
  if (check.allow !== undefined) {
    if (!Array.isArray(check.allow)) fail('"check.allow" must be a list');
    for (const entry of check.allow as unknown[]) {
      const a = entry as Record<string, unknown>;
      if (typeof a !== 'object' || a === null || typeof a.site !== 'string') fail('each "check.allow" entry needs a "site"');
      for (const key of Object.keys(a)) if (!['site', 'maxScore', 'maxGrowth'].includes(key)) fail(`unknown key "check.allow[].${key}"`);
      if (a.maxScore !== undefined && typeof a.maxScore !== 'number') fail('"check.allow[].maxScore" must be a number');
      if (a.maxGrowth !== undefined && typeof a.maxGrowth !== 'number') fail('"check.allow[].maxGrowth" must be a number');
    }
  }
}
