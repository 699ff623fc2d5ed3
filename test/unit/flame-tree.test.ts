/**
 * The report's flamegraph trees (src/report/flame-tree.ts): one node per
 * distinct path, values that add up to the task count, folding of wide and
 * huge trees, and the differential tree against the first snapshot.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildFlameTree, differentialTree, total } from '../../src/report/flame-tree.js';
import type { FlameNode, TreeOptions } from '../../src/report/flame-tree.js';
import { goSnapshot, ids } from '../helpers/snapshots.js';
import type { SiteAt } from '../helpers/snapshots.js';

const options: TreeOptions = { root: 'stack', groupBy: 'function', ranks: new Map(), maxChildren: 50, maxNodes: 10_000 };

function child(node: FlameNode, name: string): FlameNode {
  const found = node.children?.find((c) => c.name === name);
  assert.ok(found, `${node.name} has a child ${name}: ${node.children?.map((c) => c.name).join(', ')}`);
  return found;
}

const sites: SiteAt[] = [
  { fn: 'main.leak', line: 20, createdBy: 'main.serve', ids: ids(1, 30), labels: { tenant: 'acme' } },
  { fn: 'main.worker', line: 40, createdBy: 'main.startPool', state: 'select', ids: ids(100, 4) },
];

test('a tree has one path per stack, from the outermost frame in, and counts every task once', () => {
  const tree = buildFlameTree(goSnapshot(0, sites), options);
  assert.equal(tree.name, 'all goroutines');
  assert.equal(total(tree), 34);
  // The stacks are [runtime.gopark, user frame] innermost first: the user frame is the root's child.
  const leak = child(tree, 'main.leak');
  assert.equal(leak.f, '/src/app/main.go:20');
  const park = child(leak, 'runtime.gopark');
  assert.equal(park.value, 30);
  assert.deepEqual({ ...park.st }, { 'chan receive': 30 });
  assert.deepEqual(park.ids, ['1', '2', '3', '4', '5'], 'five example ids');
  assert.deepEqual(park.lb, [{ tenant: 'acme' }]);
  assert.deepEqual(park.cb, ['main.serve /src/app/main.go:99']);
  assert.deepEqual(
    tree.children!.map((c) => c.name),
    ['main.leak', 'main.worker'],
    'largest first',
  );
});

test('rooted at the creator, each path starts with a "created by" frame; the top suspect is marked', () => {
  const ranks = new Map([['main.leak <- main.serve', 1]]);
  const tree = buildFlameTree(goSnapshot(0, sites), { ...options, root: 'creator', ranks });
  const creator = child(tree, 'created by main.serve');
  const anchor = child(creator, 'main.leak');
  assert.equal(anchor.s, 1);
  assert.equal(child(child(tree, 'created by main.startPool'), 'main.worker').s, undefined);
});

test('wide nodes fold their smallest children into one "(N more)" node, and the total is kept', () => {
  const many: SiteAt[] = Array.from({ length: 12 }, (_, i) => ({ fn: `main.f${i}`, ids: ids(i * 100, i + 1) }));
  const tree = buildFlameTree(goSnapshot(0, many), { ...options, maxChildren: 5 });
  assert.equal(tree.children!.length, 5);
  assert.deepEqual(
    tree.children!.slice(0, 4).map((c) => c.name),
    ['main.f11', 'main.f10', 'main.f9', 'main.f8'],
  );
  assert.equal(tree.children![4]!.name, '(8 more)');
  assert.equal(total(tree), (12 * 13) / 2);
});

test('past maxNodes, deeper frames fold into their parent without losing tasks', () => {
  const many: SiteAt[] = Array.from({ length: 10 }, (_, i) => ({ fn: `main.f${i}`, ids: ids(i * 100, 2) }));
  const tree = buildFlameTree(goSnapshot(0, many), { ...options, maxNodes: 6 });
  let nodes = 0;
  const count = (n: FlameNode): void => {
    nodes++;
    n.children?.forEach(count);
  };
  count(tree);
  assert.ok(nodes <= 6, `${nodes} nodes`);
  assert.equal(total(tree), 20);
});

test('the differential tree gives each node its change since the first snapshot', () => {
  const first = buildFlameTree(goSnapshot(0, [{ ...sites[0]!, ids: ids(1, 5) }, sites[1]!]), options);
  const last = buildFlameTree(goSnapshot(60_000, sites), options);
  const diff = differentialTree(first, last);
  assert.equal(child(child(diff, 'main.leak'), 'runtime.gopark').delta, 25);
  assert.equal(child(child(diff, 'main.worker'), 'runtime.gopark').delta, 0);
  // A path new in the last snapshot counts in full.
  const fresh = differentialTree(buildFlameTree(goSnapshot(0, [sites[1]!]), options), last);
  assert.equal(child(child(fresh, 'main.leak'), 'runtime.gopark').delta, 30);
});
