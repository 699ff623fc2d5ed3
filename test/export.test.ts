/**
 * Exports open in the tools people already use: the pprof profile in
 * `go tool pprof` (the real one, from the Go toolchain), folded stacks and
 * speedscope files with counts that add up to what leakscan itself counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { dumpsDir } from './helpers/paths.js';
import { tempDir } from './helpers/tmp.js';

const run = promisify(execFile);
const dump = join(dumpsDir, 'go1.26.8-debug2.txt');
const later = join(dumpsDir, 'go1.26.8-debug2-after-75s.txt');

async function goroutineTotal(file: string): Promise<number> {
  const shown = await runCli(['show', file, '--json']);
  assert.equal(shown.code, 0, shown.stderr);
  return (JSON.parse(shown.stdout) as { total: number }).total;
}

test('--format pprof writes a goroutine profile that go tool pprof reads, with every goroutine and its labels', async () => {
  const out = join(tempDir(), 'goroutines.pb.gz');
  const result = await runCli(['export', dump, '--format', 'pprof', '-o', out]);
  assert.equal(result.code, 0, result.stderr);
  const total = await goroutineTotal(dump);
  const top = await run('go', ['tool', 'pprof', '-top', out], { env: { ...process.env, PPROF_TMPDIR: tempDir() } });
  assert.match(top.stdout, /Type: goroutine/);
  assert.match(top.stdout, new RegExp(`accounting for ${total}, 100% of ${total} total`));
  assert.match(top.stdout, /main\.checkoutWorker/);
  const byState = await run('go', ['tool', 'pprof', '-tags', out], { env: { ...process.env, PPROF_TMPDIR: tempDir() } });
  assert.match(byState.stdout, /state: Total 45/);
  assert.match(byState.stdout, /sync\.Mutex\.Lock/);
});

test('--format collapsed: one folded stack a line, root first, counts adding up to the snapshot', async () => {
  const result = await runCli(['export', dump, '--format', 'collapsed']);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.trim().split('\n');
  let sum = 0;
  for (const line of lines) {
    const match = /^(.+) (\d+)$/.exec(line);
    assert.ok(match, `a folded line: ${line}`);
    sum += Number(match[2]);
  }
  assert.equal(sum, await goroutineTotal(dump));
  assert.ok(
    lines.some((l) => l.startsWith('net/http.(*conn).serve;')),
    'an HTTP connection reads from its entry function down',
  );
});

test('--site keeps one site only, and a site that matches nothing is an input error', async () => {
  const only = await runCli(['export', dump, '--format', 'collapsed', '--site', 'checkoutWorker']);
  assert.equal(only.code, 0, only.stderr);
  assert.equal(only.stdout, 'main.checkoutWorker 2\n');
  const none = await runCli(['export', dump, '--format', 'collapsed', '--site', 'no.such.function']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^leakscan: no site matches "no\.such\.function"/);
});

test('--format speedscope: one profile per snapshot, frames shared, weights adding up', async () => {
  const out = join(tempDir(), 'series.speedscope.json');
  const result = await runCli(['export', dump, later, '--format', 'speedscope', '-o', out]);
  assert.equal(result.code, 0, result.stderr);
  const doc = JSON.parse(readFileSync(out, 'utf8')) as {
    $schema: string;
    shared: { frames: { name: string }[] };
    profiles: { type: string; samples: number[][]; weights: number[]; endValue: number }[];
  };
  assert.equal(doc.$schema, 'https://www.speedscope.app/file-format-schema.json');
  assert.equal(doc.profiles.length, 2);
  const totals = [await goroutineTotal(dump), await goroutineTotal(later)];
  doc.profiles.forEach((profile, i) => {
    assert.equal(profile.type, 'sampled');
    assert.equal(profile.samples.length, profile.weights.length);
    assert.equal(
      profile.weights.reduce((a, b) => a + b, 0),
      totals[i],
    );
    assert.equal(profile.endValue, totals[i]);
    for (const sample of profile.samples) for (const frame of sample) assert.ok(doc.shared.frames[frame], 'every frame index points at a frame');
  });
});

test('report without -o writes report.html beside the snapshots', async () => {
  const dir = tempDir();
  // Raw dumps are dated by their files' times: copied in order, named in order.
  await run('cp', [dump, join(dir, 'snapshot-1.txt')]);
  await run('cp', [later, join(dir, 'snapshot-2.txt')]);
  const result = await runCli(['report', dir]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, new RegExp(`report: ${join(dir, 'report.html').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /^<!DOCTYPE html>/i);
});
