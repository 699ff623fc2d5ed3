/**
 * The parsers against their golden summaries (test/golden/, one per
 * captured dump in fixtures/dumps/). A failure shows which sites a parser
 * now reads differently; after an intended change, `npm run golden:update`
 * rewrites the files and the diff is reviewed with the change.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { capturedDumps, goldenFile, goldenOf, goldenText } from '../helpers/golden.js';

const dumps = capturedDumps();

test('every captured dump has a golden summary', () => {
  assert.ok(dumps.length > 50, `${dumps.length} dumps`);
  const missing = dumps.filter((dump) => !existsSync(goldenFile(dump)));
  assert.deepEqual(missing, [], 'run npm run golden:update and review the new files');
});

for (const dump of dumps) {
  test(`${dump} parses as its golden summary says`, async (t) => {
    const file = goldenFile(dump);
    if (!existsSync(file)) return t.skip('no golden file');
    assert.equal(goldenText(await goldenOf(dump)), readFileSync(file, 'utf8'));
  });
}
