/**
 * Label keys, label values and states are the target's strings: any of
 * them may be "__proto__", "constructor" or hold U+2028. They go from a
 * dump to a snapshot file, back, and into the show output and the HTML
 * report exactly as they were.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { dumpsDir } from './helpers/paths.js';

const dir = tempDir();

// As Go 1.26 prints them with GODEBUG=tracebacklabels=1 (strconv.Quote escapes U+2028).
const HOSTILE_HEADER = 'goroutine 44 [constructor labels:{"__proto__": "polluted", "constructor": "c", "line": "a\\u2028b", "toString": "t"}]:';
const EXPECTED_LABELS = [
  ['__proto__', 'polluted'],
  ['constructor', 'c'],
  ['line', 'a\u2028b'],
  ['toString', 't'],
];

interface FlameNode {
  st?: Record<string, number>;
  children?: FlameNode[];
}

test('labels named __proto__ or constructor, U+2028 and a state named constructor round-trip exactly', async () => {
  const dump = readFileSync(join(dumpsDir, 'go1.26.8-debug2-tracebacklabels.txt'), 'utf8');
  const original = 'goroutine 44 [select labels:{"handler": "checkout", "tenant": "acme"}]:';
  assert.ok(dump.includes(original));
  const dumpFile = join(dir, 'hostile.txt');
  writeFileSync(dumpFile, dump.replace(original, HOSTILE_HEADER));

  const snapshotFile = join(dir, 'hostile.json');
  const converted = await runCli(['snapshot', dumpFile, '-o', snapshotFile]);
  assert.equal(converted.code, 0, converted.stderr);
  const saved = JSON.parse(readFileSync(snapshotFile, 'utf8')) as { tasks: { id: string; state: string; labels?: Record<string, string> }[] };
  const task = saved.tasks.find((t) => t.id === '44')!;
  assert.equal(task.state, 'constructor');
  assert.deepEqual(Object.entries(task.labels ?? {}), EXPECTED_LABELS, 'the file holds every label as it was');

  const shown = await runCli(['show', snapshotFile, '--json', '--top', '1000']);
  assert.equal(shown.code, 0, shown.stderr);
  const show = JSON.parse(shown.stdout) as { byState: Record<string, number>; groups: { labels: { labels: Record<string, string> }[] }[] };
  assert.equal(show.byState.constructor, 1);
  const sets = show.groups.flatMap((g) => g.labels.map((l) => Object.entries(l.labels)));
  assert.ok(
    sets.some((entries) => JSON.stringify(entries) === JSON.stringify(EXPECTED_LABELS)),
    'read back from the file, the labels are the same',
  );

  const reportFile = join(dir, 'hostile.html');
  const reported = await runCli(['report', snapshotFile, '-o', reportFile]);
  assert.equal(reported.code, 0, reported.stderr);
  const html = readFileSync(reportFile, 'utf8');
  const data = JSON.parse(/<script id="leakscan-data" type="application\/json">(.*?)<\/script>/s.exec(html)![1]!) as { trees: { stack: FlameNode } };
  const counts: unknown[] = [];
  const walk = (node: FlameNode) => {
    if (node.st && Object.hasOwn(node.st, 'constructor')) counts.push(node.st.constructor);
    node.children?.forEach(walk);
  };
  walk(data.trees.stack);
  assert.ok(counts.length > 0, 'the state is in the flamegraph data');
  assert.ok(
    counts.every((n) => n === 1),
    `counted as a number: ${JSON.stringify(counts)}`,
  );
});
