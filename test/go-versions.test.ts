/**
 * Live attach to Go programs built with the oldest and the newest Go
 * toolchains leakscan claims for live targets: go1.21.13 (the oldest release
 * GOTOOLCHAIN can fetch through the Go module proxy, and the fixtures'
 * go.mod floor) and go1.27.4, where the goroutineleak profile is on by
 * default. The dump formats of older releases (1.19, 1.20) are covered by
 * the parser tests on captured dumps. Toolchains are fetched once into the
 * Go module cache by `GOTOOLCHAIN=<version> go build`.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from './helpers/cli.js';
import { buildGoFixtureVariant, startGoFixture } from './helpers/go-fixtures.js';
import type { RunningFixture } from './helpers/go-fixtures.js';
import { tempDir } from './helpers/tmp.js';
import type { DiffJson } from '../src/report/diff-json.js';

const dir = tempDir();
const running: RunningFixture[] = [];
after(() => Promise.all(running.map((f) => f.stop())));

const OLDEST = 'go1.21.13';
const NEWEST = 'go1.27.4';

async function attach(name: string, toolchain: string, count = 6): Promise<{ diff: DiffJson; stdout: string; stderr: string; pid: number }> {
  const binary = await buildGoFixtureVariant(name, toolchain, { GOTOOLCHAIN: toolchain });
  const fixture = await startGoFixture(name, { binary });
  running.push(fixture);
  await sleep(1000);
  const result = await runCli(
    ['attach', String(fixture.pid), '--interval', '1', '--count', String(count), '--out', join(dir, `${name}-${toolchain}`), '--no-html', '--json'],
    { timeoutMs: 120_000 },
  );
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, new RegExp(`attached to Go process ${fixture.pid} \\(${toolchain.replace(/\./g, '\\.')}`));
  await fixture.stop();
  return { diff: JSON.parse(result.stdout) as DiffJson, stdout: result.stdout, stderr: result.stderr, pid: fixture.pid };
}

for (const toolchain of [OLDEST, NEWEST]) {
  test(`${toolchain}: attach ranks heartbeat's leak first; a healthy worker pool has no site scoring 30 or more`, { timeout: 600_000 }, async () => {
    const leaky = await attach('heartbeat', toolchain);
    const [top] = leaky.diff.suspects;
    assert.equal(top?.anchor?.fn, 'main.(*session).heartbeat', `ranked first: ${top?.key}`);
    assert.ok(top!.score >= 70, `score ${top!.score}`);
    const healthy = await attach('workerpool', toolchain);
    const high = healthy.diff.suspects.filter((s) => s.score >= 30);
    assert.deepEqual(
      high.map((s) => `${s.key}: ${s.score} ${s.explanation}`),
      [],
    );
  });
}

test(`${NEWEST}: the goroutineleak profile is on by default, and the runtime confirms the leak`, { timeout: 600_000 }, async () => {
  const { diff } = await attach('unreachable', NEWEST, 3);
  const [top] = diff.suspects;
  assert.equal(top?.anchor?.fn, 'main.(*resolver).lookup', `ranked first: ${top?.key}`);
  assert.equal(top?.confirmedLeak, true, 'confirmed leaked by the Go runtime');
});
