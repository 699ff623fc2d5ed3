/**
 * A Node report lists the program's sites first: sites made only of Node's
 * own code that score low are counted, not listed, in the text, the JSON
 * and the HTML report; a site of the program, or a resource named without
 * a code frame (a socket by its address), is always listed. Each site says
 * what it holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SnapshotBuilder } from '../../src/model/builder.js';
import type { Snapshot } from '../../src/model/format.js';
import { analyze } from '../../src/analysis/analyze.js';
import { foldInternalSites } from '../../src/analysis/internal-sites.js';
import { diffJson } from '../../src/report/diff-json.js';
import { renderDiff } from '../../src/report/diff-text.js';
import { reportData } from '../../src/report/html.js';

/** A quiet Node service: one timer of the program, Node's HTTP server timer, a socket, and a program timer leaking `leaked` per snapshot. */
function snapshot(i: number, leaked: number): Snapshot {
  const b = new SnapshotBuilder('node', { pid: 1 });
  const own = b.stack([b.frame('', '/srv/app/main.js', 12)]);
  const node = b.stack([b.frame('checkConnections', 'node:_http_server', 631), b.frame('', 'node:internal/timers', 40)]);
  const socket = b.stack([b.frame('TCP socket to 127.0.0.1:6379', '', 0)]);
  const leak = b.stack([b.frame('', '/srv/app/poller.js', 45), b.frame('subscribe', '/srv/app/poller.js', 44)]);
  b.addTask({ id: '10', kind: 'Timeout', state: 'active', stack: own });
  b.addTask({ id: '11', kind: 'Timeout', state: 'active', stack: node });
  b.addTask({ id: '12', kind: 'TCPWRAP', state: 'active', stack: socket });
  for (let k = 0; k < leaked * (i + 1); k++) b.addTask({ id: String(100 + k), kind: 'Timeout', state: 'active', stack: leak });
  b.addTask({ id: String(5000 + i), kind: 'PROMISE', state: 'pending', stack: leak });
  return b.build(1_800_000_000_000 + i * 5000);
}

const analysis = analyze([0, 1, 2, 3, 4].map((i) => snapshot(i, 10)));

test("Node's own low-scoring sites are folded out; the program's sites and code-less resources stay", () => {
  const { listed, folded } = foldInternalSites(analysis);
  assert.deepEqual(
    folded.map((s) => s.key),
    ['checkConnections node:_http_server:631'],
  );
  assert.ok(listed.some((s) => s.site.anchor?.file === '/srv/app/main.js'));
  assert.ok(listed.some((s) => s.key.startsWith('TCP socket to 127.0.0.1:6379')));

  const json = diffJson(analysis, { top: 50, minScore: 0 });
  assert.ok(!json.suspects.some((s) => s.key === folded[0]!.key));
  assert.deepEqual(json.foldedInternals, [{ key: folded[0]!.key, score: folded[0]!.score, counts: [1, 1, 1, 1, 1], holds: [{ kind: 'Timeout', count: 1 }] }]);
  assert.deepEqual(
    json.suspects.map((s) => s.rank),
    json.suspects.map((_, i) => i + 1),
    'ranks count the listed sites only',
  );

  const text = renderDiff(analysis, { top: 50, minScore: 0, frames: 3 });
  assert.ok(!text.includes('checkConnections'), text);
  assert.match(text, /1 site of Node's own code \(no frame of the program\) scoring under 30 not listed/);

  const html = reportData({ analysis, first: analysis.first, last: analysis.last, groupBy: 'function' });
  assert.ok(!html.suspects.some((s) => s.key === folded[0]!.key));
  assert.equal(html.foldedInternals, 1);
});

test('a site says what it holds, in words, in the text and the JSON', () => {
  const json = diffJson(analysis, { top: 50, minScore: 0 });
  const leak = json.suspects[0]!;
  assert.equal(leak.anchor?.file, '/srv/app/poller.js');
  assert.deepEqual(leak.holds, [
    { kind: 'Timeout', count: 50 },
    { kind: 'Promise', count: 1 },
  ]);
  const socket = json.suspects.find((s) => s.key.startsWith('TCP socket'));
  assert.deepEqual(socket?.holds, [{ kind: 'TCP socket', count: 1 }]);
  assert.match(renderDiff(analysis, { top: 50, minScore: 0, frames: 3 }), /holds 50 Timeouts, 1 Promise\n/);
});

test('a Go report folds nothing and names no kinds in its text', () => {
  const b = new SnapshotBuilder('go', {});
  b.addTask({ id: '1', kind: 'goroutine', state: 'select', stack: b.stack([b.frame('runtime.gopark', '/usr/local/go/src/runtime/proc.go', 1)]) });
  const go = analyze([b.build(1), b.build(2)]);
  assert.equal(foldInternalSites(go).folded.length, 0);
  assert.doesNotMatch(renderDiff(go, { top: 10, minScore: 0, frames: 3 }), /holds/);
});
