/**
 * The two views of a live Go target count the same goroutines when the
 * target is steady. Each snapshot reads the count profile (debug=1) and,
 * when it fits, the full dump (debug=2) right after it: what leakscan's
 * own requests leave in the target must not differ between the two, or the
 * totals jump at every full dump (the first and last snapshot of a big
 * service) while nothing changed in the service.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGoFixture } from './helpers/go-fixtures.js';
import type { RunningFixture } from './helpers/go-fixtures.js';
import { BudgetedGoReader } from '../src/targets/go/budgeted-reader.js';
import { defaultPprofOptions } from '../src/targets/go/pprof-client.js';
import { taskTotal } from '../src/model/builder.js';
import type { Snapshot } from '../src/model/format.js';

const running: RunningFixture[] = [];
after(() => Promise.all(running.map((f) => f.stop())));

/** Goroutines of the snapshot whose stack holds `fn`. */
function goroutinesIn(snapshot: Snapshot, fn: string): number {
  let n = 0;
  for (const task of snapshot.tasks) {
    if ((snapshot.stacks[task.stack] ?? []).some((id) => snapshot.frames[id]!.fn === fn)) n += task.count ?? 1;
  }
  return n;
}

test('a steady service: the full dump counts as many goroutines as the count profile taken just before it', async () => {
  // surge is idle between the requests a test makes: its goroutines only
  // change when asked to.
  const fixture = await startGoFixture('surge');
  running.push(fixture);
  const reader = new BudgetedGoReader(fixture.url, { ...defaultPprofOptions, pauseBudgetMs: Infinity });
  for (let i = 0; i < 3; i++) {
    const snapshot = await reader.read();
    const views = snapshot.source.views!;
    assert.match(views.details ?? '', /debug=2$/, 'a full dump');
    assert.equal(taskTotal(snapshot), views.countedTasks, `snapshot ${i + 1}: full dump and count profile`);
    // One connection goroutine: the one serving the dump. A connection an
    // earlier request of leakscan's left open would be another.
    assert.equal(goroutinesIn(snapshot, 'net/http.(*conn).serve'), 1, `snapshot ${i + 1}: leakscan's connections in the dump`);
  }
});
