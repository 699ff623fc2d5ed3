/**
 * What `check` prints for people: each listed site with what `diff` says of
 * it (what it holds, the other sites of the same leak), and the run's
 * warnings, so the CI gate is no less explanatory than the ranking. The
 * input is a Node series saved as attach saves it: an async call stuck on
 * `await once(...)`, whose own promise and the listeners `once` added are
 * folded into one leak, from an agent that watched part of the time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SnapshotBuilder } from '../src/model/builder.js';
import type { Frame } from '../src/model/format.js';
import { writeSnapshotFile } from '../src/model/file.js';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { APP, AWAITED, OWN, START } from './helpers/payment-chain.js';

/** Six snapshots 5 s apart, as `leakscan attach` writes them, into a new directory. */
async function foldedLeakSeries(): Promise<string> {
  const dir = tempDir();
  for (let i = 0; i < 6; i++) {
    const b = new SnapshotBuilder('node', { profile: 'node-agent', startedAt: START });
    const promises = (stack: Frame[], count: number, firstId: number) => {
      const at = b.stack(stack.map((f) => b.frame(f.fn, f.file, f.line)));
      for (let n = 0; n < count; n++) b.addTask({ id: String(firstId + n), kind: 'PROMISE', state: 'pending', stack: at, labels: { resource: 'Promise' } });
    };
    promises(OWN, 10 * i, 100_000);
    promises(AWAITED, 30 * i, 200_000);
    const resolver = b.stack([b.frame('resolver', 'node:events', 985)]);
    b.addTask({
      kind: 'listener',
      state: 'active',
      stack: resolver,
      count: 46 + 10 * i,
      origin: 'census',
      labels: { resource: "'flush' listener on LogShipper" },
    });
    const snapshot = b.build(START + 60_000 + i * 5000);
    snapshot.watchedShare = 0.5;
    await writeSnapshotFile(join(dir, `s-${i + 1}.json.gz`), snapshot);
  }
  return dir;
}

const withLines = (text: string) => text.split('\n').filter((line) => /^\s+with /.test(line));

test('check lists a leak with what it holds, the other sites of the same leak, and the run’s warnings, as diff does', async () => {
  const series = await foldedLeakSeries();
  const check = await runCli(['check', series]);
  assert.equal(check.code, 1, check.stderr);
  assert.match(check.stdout, /^FAIL +\d+ .* onPayment {2}consumer\.mjs:103$/m);
  assert.match(check.stdout, /^ +holds 150 Promises$/m);
  // What the site is, in the target's words, as diff's labels line says it.
  assert.match(check.stdout, /^ +holds 150 Promises\n +labels resource=Promise$/m);
  assert.match(check.stdout, /^ +with 50 Promises at onPayment {2}consumer\.mjs:99 \(the same async call\)$/m);
  assert.match(check.stdout, /^ +with 96 listeners at resolver {2}node:events:985 \(its listeners, growing in step\)$/m);
  assert.match(check.stdout, /^warning: the agent watched about 50% of the time in 6 of 6 snapshots .*counts are estimates/m);
  const diff = await runCli(['diff', series]);
  assert.equal(diff.code, 0, diff.stderr);
  assert.deepEqual(
    withLines(check.stdout).map((l) => l.trim()),
    withLines(diff.stdout).map((l) => l.trim()),
    'check and diff name the same sites of the leak',
  );
});

test('check lists every failure however many sites pass, and says how many passing sites it left out', async () => {
  const dir = tempDir();
  for (let i = 0; i < 6; i++) {
    const b = new SnapshotBuilder('node', { profile: 'node-agent', startedAt: START });
    // 30 quiet sites that gain a promise now and then: each scores a little above 0 and passes.
    for (let site = 0; site < 30; site++) {
      const at = b.stack([b.frame(`poll${site}`, APP, 200 + site)]);
      for (let n = 0; n < 1 + Math.floor(i / 2); n++) {
        b.addTask({ id: String(1_000_000 + site * 1000 + n), kind: 'PROMISE', state: 'pending', stack: at, labels: { resource: 'Promise' } });
      }
    }
    const leak = b.stack([b.frame('subscribe', APP, 40)]);
    for (let n = 0; n < 30 * i; n++) b.addTask({ id: String(500_000 + n), kind: 'PROMISE', state: 'pending', stack: leak, labels: { resource: 'Promise' } });
    await writeSnapshotFile(join(dir, `s-${i + 1}.json.gz`), b.build(START + 60_000 + i * 5000));
  }
  const check = await runCli(['check', dir]);
  assert.equal(check.code, 1, check.stderr);
  assert.match(check.stdout, /^FAIL +\d+ .* subscribe {2}consumer\.mjs:40$/m);
  const passing = check.stdout.split('\n').filter((line) => /^ok /.test(line)).length;
  assert.equal(passing, 20, check.stdout);
  assert.match(check.stdout, /^10 more passing sites not listed \(--format json lists them\)$/m);
});
