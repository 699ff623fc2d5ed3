/**
 * How a Node target splits the census's pending promises beyond the
 * agent's records (src/targets/node/promise-ledger.ts): made before attach,
 * which can only settle, and unplaced, which is where a leak the sample has
 * not caught shows. The counts are what a heap walk and the agent report at
 * each snapshot.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PromiseLedger } from '../../src/targets/node/promise-ledger.js';
import type { PromiseShares } from '../../src/targets/node/promise-ledger.js';

interface Walk {
  pending: number;
  exact?: number;
  sampled?: number;
  walked?: boolean;
}

function shares(walks: Walk[]): PromiseShares[] {
  const ledger = new PromiseLedger();
  return walks.map((w) =>
    ledger.next({ pending: w.pending, total: w.pending, read: w.pending }, w.walked ?? true, { exact: w.exact ?? 0, sampled: w.sampled ?? 0 }),
  );
}

test('a busy healthy service: requests in flight turn over between walks, and the unplaced count does not climb to their level', () => {
  // About 16 promises in flight at any instant, and a walk that now and
  // then lands in a quiet moment (CI: this read as 0 to 16, scored 30).
  const result = shares([16, 3, 16, 0, 16, 17].map((pending) => ({ pending })));
  assert.deepEqual(
    result.map((s) => s.unplaced),
    [0, 0, 0, 0, 0, 1],
  );
  // The promises in flight at attach settle: the count made before attach only falls.
  assert.deepEqual(
    result.map((s) => s.beforeAttach),
    [16, 3, 3, 0, 0, 0],
  );
});

test('a long-poll service: pending requests replaced by new ones are not growth', () => {
  const result = shares([500, 480, 500, 470, 500, 500].map((pending) => ({ pending })));
  assert.ok(
    result.every((s) => s.unplaced === 0),
    result.map((s) => s.unplaced).join(', '),
  );
});

test('a leak the sample has not caught: growth beyond the first level shows, in flight or not', () => {
  const result = shares([16, 24, 20, 36, 44, 52].map((pending) => ({ pending })));
  assert.deepEqual(
    result.map((s) => s.unplaced),
    [0, 8, 4, 20, 28, 36],
  );
});

test("what the agent's records hold is not counted again", () => {
  const result = shares([
    { pending: 16, exact: 10 },
    { pending: 30, exact: 20 },
  ]);
  assert.deepEqual(
    result.map((s) => [s.beforeAttach, s.unplaced]),
    [
      [6, 0],
      [6, 4],
    ],
  );
});

test('once a sampled record places promises, the unplaced count is 0 and each unit of sampled weight stands for its share', () => {
  const result = shares([{ pending: 16 }, { pending: 40, sampled: 6 }]);
  assert.equal(result[1]!.unplaced, 0);
  // At most 16 of the 40 pending were made before attach: 24 were made since, over a sampled weight of 6.
  assert.equal(result[1]!.scale, 4);
});

test('a snapshot without a heap walk repeats the last walk, whatever its older census count says', () => {
  const result = shares([{ pending: 16 }, { pending: 30 }, { pending: 5, walked: false }]);
  assert.deepEqual(result[2], result[1]);
});
