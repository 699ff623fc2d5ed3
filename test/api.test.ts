/**
 * The programmatic API in a node:test test, as a user writes it: it catches
 * a leaked interval and a promise that never settles, with the line that
 * created them, and passes a function that cleans up after itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assertNoLeaks, leakCheck } from '../src/index.js';
import { setTimeout as sleep } from 'node:timers/promises';

// Stacks name the compiled file; find the marked line in it.
const compiled = fileURLToPath(import.meta.url);
const thisFile = compiled.split('/').slice(-2).join('/');
const leakLine =
  readFileSync(compiled, 'utf8')
    .split('\n')
    .findIndex((line) => line.trimEnd().endsWith('// the leak')) + 1;

test('a leaked setInterval is caught, at the line that made it', async () => {
  let timer: NodeJS.Timeout | undefined;
  const report = await leakCheck(() => {
    timer = setInterval(() => {}, 1000); // the leak
  });
  clearInterval(timer);
  assert.equal(report.ok, false);
  assert.equal(report.leaks.length, 1);
  assert.equal(report.leaks[0]!.type, 'Timeout');
  assert.ok(report.leaks[0]!.site.endsWith(`${thisFile}:${leakLine}`), report.leaks[0]!.site);
});

test('a promise that never settles is caught', async () => {
  const held: Promise<never>[] = [];
  const report = await leakCheck(async () => {
    held.push(new Promise<never>(() => {}));
  });
  assert.equal(report.ok, false);
  assert.deepEqual(
    report.leaks.map((l) => [l.type, l.state, l.count]),
    [['PROMISE', 'pending', 1]],
  );
  await assert.rejects(
    assertNoLeaks(async () => void held.push(new Promise<never>(() => {}))),
    /leaked async resources:\n1 × PROMISE \(pending\) created at /,
  );
});

test('a function that cleans up passes', async () => {
  await assertNoLeaks(async () => {
    const timer = setInterval(() => {}, 5);
    await sleep(20);
    clearInterval(timer);
    await Promise.all([1, 2, 3].map(async (n) => n * 2));
  });
  const report = await leakCheck(() => undefined);
  assert.equal(report.ok, true);
  assert.equal(String(report), 'no leaked async resources');
});
