/**
 * Ignore rules (src/analysis/ignore.ts) on real captured dumps: the default
 * list, and rules by function, creator, package and label.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { IgnoreRules, globToRegExp } from '../../src/analysis/ignore.js';
import { loadSnapshotFile } from '../../src/formats/load.js';
import type { Snapshot } from '../../src/model/format.js';
import { InputError } from '../../src/util/errors.js';
import { dumpsDir } from '../helpers/paths.js';

/** The innermost main.* function of each task that `rules` keep (not ignored). */
function kept(snapshot: Snapshot, rules: IgnoreRules): string[] {
  const ignored = rules.matcher(snapshot);
  return snapshot.tasks
    .filter((t) => !ignored(t))
    .map((t) => snapshot.stacks[t.stack]!.map((f) => snapshot.frames[f]!.fn).find((fn) => fn.startsWith('main.')) ?? '(runtime)');
}

test('globs: only * is special, and a pattern matches the whole name', () => {
  const method = globToRegExp('main.(*pool).*');
  assert.ok(method.test('main.(*pool).worker'));
  assert.ok(!method.test('main.(*poolX).worker'));
  assert.ok(!method.test('xmain.(*pool).worker'));
  assert.ok(globToRegExp('net/http.(*conn).serve').test('net/http.(*conn).serve'));
  assert.ok(!globToRegExp('a.b').test('aXb'), 'a dot is a dot');
});

test('the default list leaves out the runtime helpers a GOTRACEBACK=system dump shows, and nothing of the program', async () => {
  const snapshot = await loadSnapshotFile(join(dumpsDir, 'go1.26.8-panic-gotraceback-system.txt'));
  const withDefaults = kept(snapshot, IgnoreRules.defaults());
  const withNone = kept(snapshot, IgnoreRules.none());
  assert.ok(withNone.length > withDefaults.length);
  const dropped = withNone.length - withDefaults.length;
  assert.ok(dropped >= 5, `${dropped} runtime goroutines dropped`);
  // Every goroutine of the program's own code is still there.
  assert.deepEqual(withDefaults.filter((fn) => fn !== '(runtime)').sort(), withNone.filter((fn) => fn !== '(runtime)').sort());
});

test('rules by function, creator, package and label each drop exactly what they name', async () => {
  const snapshot = await loadSnapshotFile(join(dumpsDir, 'go1.27.4-debug2.txt'));
  const all = kept(snapshot, IgnoreRules.none());
  const without = (rules: ConstructorParameters<typeof IgnoreRules>[0]) => kept(snapshot, new IgnoreRules(rules));
  const none = { function: [], createdBy: [], package: [], label: [] };

  const byFunction = without({ ...none, function: ['main.(*pool).*'] });
  assert.deepEqual(
    all.filter((fn) => !fn.startsWith('main.(*pool).')),
    byFunction,
  );

  const byCreator = without({ ...none, createdBy: ['main.(*pool).dispatch'] });
  assert.equal(all.length - byCreator.length, 2, 'the two pool workers');
  assert.ok(!byCreator.includes('main.(*pool).worker'));
  assert.ok(byCreator.includes('main.(*pool).dispatch'));

  const byPackage = without({ ...none, package: ['main'] });
  assert.ok(
    byPackage.every((fn) => fn === '(runtime)'),
    byPackage.join(', '),
  );

  const byLabelValue = without({ ...none, label: ['handler=checkout'] });
  assert.deepEqual(
    all.filter((fn) => fn !== 'main.checkoutWorker'),
    byLabelValue,
  );
  const byLabelKey = without({ ...none, label: ['handler'] });
  assert.deepEqual(
    all.filter((fn) => fn !== 'main.checkoutWorker' && fn !== 'main.searchHandler'),
    byLabelKey,
  );
  assert.deepEqual(without({ ...none, label: ['handler=nope'] }), all);
});

test('rules add up, and a label rule without a key is refused', () => {
  const rules = IgnoreRules.none()
    .with({ function: ['a.*'] })
    .with({ function: ['b.*'], label: ['k'] });
  assert.deepEqual(rules.rules.function, ['a.*', 'b.*']);
  assert.deepEqual(rules.rules.label, ['k']);
  assert.throws(
    () => IgnoreRules.none().with({ label: ['=v'] }),
    (e: unknown) => e instanceof InputError && /needs a key/.test(e.message),
  );
  assert.throws(() => IgnoreRules.none().with({ label: [''] }), InputError);
});
