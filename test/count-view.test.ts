/**
 * The count profile (debug=1) and the full dump (debug=2) of one Go program
 * must put each goroutine on the same site: counted stacks learn their
 * `created by` frame from the full dump (targets/go/count-view.ts). Checked
 * on the pairs captured from real programs, Go 1.19 to 1.27
 * (fixtures/dumps/capture: one process, debug=1 then debug=2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { dumpsDir } from './helpers/paths.js';
import { loadSnapshotFile } from '../src/formats/load.js';
import { CreatorTable, apportion } from '../src/targets/go/count-view.js';
import { SiteResolver } from '../src/model/site.js';
import type { Snapshot } from '../src/model/format.js';

function siteCounts(snapshot: Snapshot): Map<string, number> {
  const resolver = new SiteResolver(snapshot);
  const counts = new Map<string, number>();
  for (const task of snapshot.tasks) {
    const key = resolver.siteOf(task).key;
    counts.set(key, (counts.get(key) ?? 0) + (task.count ?? 1));
  }
  return counts;
}

const versions = readdirSync(dumpsDir)
  .map((f) => /^(go[\d.]+)-debug1\.txt$/.exec(f)?.[1])
  .filter((v): v is string => v !== undefined);

test('captured pairs exist for every Go version', () => assert.ok(versions.length >= 9, versions.join(' ')));

for (const version of versions) {
  test(`${version}: a counted stack lands on the site its goroutines have in the full dump`, async () => {
    const full = await loadSnapshotFile(join(dumpsDir, `${version}-debug2.txt`));
    const counts = await loadSnapshotFile(join(dumpsDir, `${version}-debug1.txt`));
    const creators = new CreatorTable();
    creators.learn(full);
    creators.apply(counts);
    const fromFull = siteCounts(full);
    const fromCounts = siteCounts(counts);
    let compared = 0;
    let withCreator = 0;
    for (const [key, n] of fromCounts) {
      // A goroutine created but not yet started: debug=1 prints it with no
      // frame at all (only runtime.goexit, which it hides), so it has no site.
      if (key.startsWith('(not started')) continue;
      assert.equal(fromFull.get(key), n, `${key}: ${n} counted, ${fromFull.get(key)} in the full dump`);
      compared++;
      if (key.includes(' <- ')) withCreator++;
    }
    assert.ok(compared >= 10 && withCreator >= 10, `${compared} sites compared, ${withCreator} with a creator`);
  });
}

test('apportion: whole numbers in proportion, summing to the total', () => {
  assert.deepEqual(apportion(12, [8, 4]), [8, 4]);
  assert.deepEqual(apportion(10, [1, 1, 1]), [4, 3, 3]);
  assert.deepEqual(apportion(1, [1, 3]), [0, 1]);
  assert.deepEqual(apportion(5, [0, 0]), [5, 0]);
});
