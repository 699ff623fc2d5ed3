/**
 * A count profile records a goroutine that has not run yet with
 * runtime.goexit as its whole stack: "1 @ 0x47d181", no frame line (debug=1),
 * or a sample with no location (debug=0). `go f(x)` and `go c.m()` start a
 * wrapper the runtime's profile traceback leaves out, and the goroutine has
 * no frame of its own until it runs. It counts in the totals, in no site:
 * as the site "(no stack: goroutine)" it came and went with the moment of
 * the count (net/http starts one for each request, leakscan's own included,
 * just before the handler that writes the profile).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Function as ProfileFunction, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { SnapshotBuilder } from '../../src/model/builder.js';
import { parseDebug1, parseProfileProto } from '../../src/formats/go/countprofile.js';
import { SiteResolver } from '../../src/model/site.js';
import { analyze } from '../../src/analysis/analyze.js';
import { diffJson } from '../../src/report/diff-json.js';
import type { Snapshot } from '../../src/model/format.js';

const WORKER = '#\t0x4a1f64\tmain.worker+0x44\t/src/app/main.go:12';

/** A debug=1 profile: `workers` goroutines in main.worker, one not started, and one all of whose frames are the runtime's. */
function debug1(workers: number, notStarted = 1): string {
  return [
    `goroutine profile: total ${workers + notStarted + 1}`,
    `${workers} @ 0x43a1d6 0x4069bb 0x4a1f65 0x46e6e1`,
    WORKER,
    '',
    `${notStarted} @ 0x47d181`,
    '',
    // Frames exist, but every one is the runtime's, which debug=1 hides: not the same thing.
    '1 @ 0x43a1d6 0x4069bb 0x47d181',
    '',
  ].join('\n');
}

function parsed(text: string, takenAt: number): Snapshot {
  const builder = new SnapshotBuilder('go', { profile: 'debug=1' });
  parseDebug1(text, builder);
  return builder.build(takenAt);
}

test('debug=1: a record of runtime.goexit alone is a goroutine not started, in the totals and in no site', () => {
  const snapshot = parsed(debug1(3), 1_800_000_000_000);
  const marked = snapshot.tasks.filter((task) => task.notStarted);
  assert.equal(marked.length, 1);
  assert.equal(marked[0]!.count, 1);
  assert.deepEqual(snapshot.stacks[marked[0]!.stack], []);
  const resolver = new SiteResolver(snapshot);
  assert.equal(resolver.siteOf(marked[0]!).key, '(not started: goroutine)');
  // A stack of runtime frames only is still a stack leakscan cannot name, not a goroutine waiting to start.
  const runtimeOnly = snapshot.tasks.find((task) => !task.notStarted && snapshot.stacks[task.stack]!.length === 0)!;
  assert.equal(resolver.siteOf(runtimeOnly).key, '(no stack: goroutine)');
});

test('debug=0: a sample with no location is a goroutine not started', () => {
  const strings = new StringTable();
  const profile = new Profile({
    sampleType: [new ValueType({ type: strings.dedup('goroutine'), unit: strings.dedup('count') })],
    function: [new ProfileFunction({ id: 1, name: strings.dedup('main.worker'), filename: strings.dedup('/src/app/main.go') })],
    location: [new Location({ id: 1, line: [new Line({ functionId: 1, line: 12 })] })],
    sample: [new Sample({ locationId: [1], value: [2] }), new Sample({ locationId: [], value: [1] })],
    stringTable: strings,
  });
  const builder = new SnapshotBuilder('go', { profile: 'debug=0' });
  parseProfileProto(profile.encode(), builder);
  assert.deepEqual(
    builder.tasks.map((task) => [task.count, task.notStarted === true]),
    [
      [2, false],
      [1, true],
    ],
  );
});

test('a series: goroutines not started are counted, not ranked, and not in the share of all goroutines', () => {
  // One not started in the first count, 21 in the last (a burst the moment of the count caught before it ran).
  const snapshots = [parsed(debug1(10, 1), 1_800_000_000_000), parsed(debug1(10, 21), 1_800_000_005_000)];
  const analysis = analyze(snapshots);
  const { series } = analysis;
  assert.deepEqual(series.totals, [12, 32]);
  assert.deepEqual(series.notStarted, [1, 21]);
  assert.ok(
    series.sites.every((site) => !site.key.startsWith('(not started')),
    series.sites.map((s) => s.key).join(', '),
  );
  assert.equal(analysis.suspects.find((s) => s.key.startsWith('(no stack'))?.site.counts.join(' '), '1 1');
  const json = diffJson(analysis, { top: 10, minScore: 0 });
  assert.deepEqual(
    json.snapshots.map((s) => s.notStarted),
    [1, 21],
  );
});
