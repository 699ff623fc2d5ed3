/**
 * The CI gate (src/analysis/gate.ts): which suspects fail a build, which a
 * baseline or an allowance accepts, and when a known leak got worse.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../src/analysis/analyze.js';
import { defaultGateOptions, runGate } from '../../src/analysis/gate.js';
import type { GateOptions } from '../../src/analysis/gate.js';
import { makeBaseline } from '../../src/analysis/baseline.js';
import { goSnapshot, ids, leakingService } from '../helpers/snapshots.js';

const leak = analyze(leakingService(6, (i) => 5 + 10 * i));
const LEAK = 'main.(*session).heartbeat <- main.(*gateway).Open';

function verdictOf(result: ReturnType<typeof runGate>, key: string) {
  return result.verdicts.find((v) => v.suspect.key === key)?.verdict;
}

test('a new leak over the fail score fails; the steady pool passes', () => {
  const result = runGate(leak, defaultGateOptions);
  assert.equal(result.failed, 1);
  const verdict = verdictOf(result, LEAK);
  assert.equal(verdict?.kind, 'fail');
  assert.match(verdict?.kind === 'fail' ? verdict.reason : '', /^new leak: score \d+ ≥ 70$/);
  assert.equal(verdictOf(result, 'main.worker <- main.startPool')?.kind, 'pass');
});

test('the fail score is a threshold: a suspect at it fails, one below passes', () => {
  const score = leak.suspects[0]!.score;
  assert.equal(runGate(leak, { ...defaultGateOptions, failScore: score }).failed, 1);
  if (score < 100) assert.equal(runGate(leak, { ...defaultGateOptions, failScore: score + 1 }).failed, 0);
  const slow = analyze([4, 5, 6, 7, 8].map((n, i) => goSnapshot(i * 60_000, [{ fn: 'main.slow', ids: ids(1, n) }])));
  const slowScore = slow.suspects[0]!.score;
  assert.equal(runGate(slow, { ...defaultGateOptions, failScore: slowScore }).failed, 1);
  assert.equal(runGate(slow, { ...defaultGateOptions, failScore: slowScore + 1 }).failed, 0);
});

test('growth alone fails past --max-growth, and not at all without it', () => {
  // 4 -> 8 over four minutes: about one a minute, a low score.
  const slow = analyze([4, 5, 6, 7, 8].map((n, i) => goSnapshot(i * 60_000, [{ fn: 'main.slow', ids: ids(1, n) }])));
  assert.ok(slow.suspects[0]!.score < 70, `score ${slow.suspects[0]!.score}`);
  assert.equal(runGate(slow, defaultGateOptions).failed, 0);
  const strict = runGate(slow, { ...defaultGateOptions, maxGrowth: 0.5 });
  assert.equal(strict.failed, 1);
  const verdict = strict.verdicts[0]!.verdict;
  assert.match(verdict.kind === 'fail' ? verdict.reason : '', /grows 1\.0\/min > 0\.5\/min/);
});

test('a leak in the baseline is accepted while it is no worse, and fails when it is', () => {
  const baseline = makeBaseline('go', leak.suspects, 0);
  const same = runGate(leak, { ...defaultGateOptions, baseline });
  assert.equal(same.failed, 0);
  assert.equal(verdictOf(same, LEAK)?.kind, 'accepted');

  // The same site now grows four times as fast.
  const faster = analyze(leakingService(6, (i) => 5 + 40 * i));
  const worse = runGate(faster, { ...defaultGateOptions, baseline });
  const verdict = verdictOf(worse, LEAK);
  assert.equal(verdict?.kind, 'fail');
  assert.match(verdict?.kind === 'fail' ? verdict.reason : '', /^worse than the baseline: 40\.0\/min vs 10\/min$/);

  // A looser growth margin accepts it again.
  const loose: GateOptions = { ...defaultGateOptions, baseline, growthMargin: 4 };
  assert.equal(verdictOf(runGate(faster, loose), LEAK)?.kind, 'accepted');
});

test('a per-site allowance raises the bar for matching sites only', () => {
  const allowed = runGate(leak, { ...defaultGateOptions, allow: [{ site: 'main.(*session).*', maxScore: 100 }] });
  assert.equal(allowed.failed, 0);
  const other = runGate(leak, { ...defaultGateOptions, allow: [{ site: 'main.other*', maxScore: 100 }] });
  assert.equal(other.failed, 1);
});

test('a leak the runtime confirmed fails even with a low score', () => {
  const confirmed = analyze([0, 1].map((i) => goSnapshot(i * 60_000, [{ fn: 'main.blockForever', ids: [7], leaked: true }])));
  const verdict = runGate(confirmed, { ...defaultGateOptions, failScore: 101 }).verdicts[0]!.verdict;
  assert.equal(verdict.kind, 'fail');
  assert.match(verdict.kind === 'fail' ? verdict.reason : '', /the Go runtime confirmed these goroutines leaked/);
});
