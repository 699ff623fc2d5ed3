/**
 * The project config file (src/analysis/config.ts): what it accepts, and
 * the one-line reason for what it refuses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, validateConfig } from '../../src/analysis/config.js';
import { InputError } from '../../src/util/errors.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();

function refused(value: unknown, message: RegExp): void {
  assert.throws(
    () => validateConfig(value, 'cfg.json'),
    (error: unknown) => error instanceof InputError && error.message.startsWith('config cfg.json: ') && message.test(error.message),
  );
}

test('a full config is read as written', () => {
  const config = {
    $schema: 'https://example.invalid/leakscan.json',
    ignore: { function: ['main.keepalive'], createdBy: ['main.start*'], package: ['vendor/'], label: ['job=cron'] },
    defaultIgnores: false,
    groupBy: 'line',
    minScore: 20,
    check: { failScore: 60, maxGrowth: 5, scoreMargin: 10, growthMargin: 0.5, allow: [{ site: 'main.pool*', maxScore: 80, maxGrowth: 2 }] },
  };
  assert.deepEqual(validateConfig(structuredClone(config), 'cfg.json'), config);
});

test('typos and wrong types are refused, naming the key', () => {
  refused({ ignroe: {} }, /unknown key "ignroe"/);
  refused([], /must be a JSON object/);
  refused({ ignore: { functions: [] } }, /unknown ignore rule kind "functions"/);
  refused({ ignore: { function: 'main.x' } }, /"ignore.function" must be a list of strings/);
  refused({ groupBy: 'file' }, /"groupBy" must be "function" or "line"/);
  refused({ minScore: 101 }, /"minScore" must be a number from 0 to 100/);
  refused({ defaultIgnores: 'no' }, /"defaultIgnores" must be true or false/);
  refused({ check: { failscore: 50 } }, /unknown key "check.failscore"/);
  refused({ check: { failScore: 150 } }, /"check.failScore" must be a number from 0 to 100/);
  refused({ check: { maxGrowth: -1 } }, /"check.maxGrowth" must be a number from 0$/);
  refused({ check: { allow: [{ maxScore: 3 }] } }, /each "check.allow" entry needs a "site"/);
  refused({ check: { allow: [{ site: 'x', score: 3 }] } }, /unknown key "check.allow\[\].score"/);
});

test('no ./.leakscan.json is an empty config; a named file that is missing or not JSON is an error', async () => {
  const cwd = process.cwd();
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  process.chdir(empty);
  try {
    assert.deepEqual(await loadConfig(undefined), {});
    writeFileSync('.leakscan.json', '{"minScore": 5}');
    assert.deepEqual(await loadConfig(undefined), { minScore: 5 });
  } finally {
    process.chdir(cwd);
  }
  await assert.rejects(
    loadConfig(join(dir, 'missing.json')),
    (e: unknown) => e instanceof InputError && /^cannot read config .*missing\.json: /.test(e.message),
  );
  writeFileSync(join(dir, 'broken.json'), '{"minScore": ');
  await assert.rejects(
    loadConfig(join(dir, 'broken.json')),
    (e: unknown) => e instanceof InputError && /^config .*broken\.json is not valid JSON: /.test(e.message),
  );
});
