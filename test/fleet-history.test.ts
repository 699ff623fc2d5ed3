/**
 * The arithmetic of the fleet pre-screen and of watch's lifetime sample, on
 * series shaped like what Prometheus records for real services: a healthy
 * service warming up, a slow leak on a big base, a pool that grows a
 * little, a restart. (fleet.test.ts runs the same code against a real
 * Prometheus; these cases need hours of history.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { history } from '../src/fleet/prescreen.js';
import type { Sample } from '../src/fleet/prometheus-api.js';
import { LifetimeSample } from '../src/watch/watch.js';
import type { Snapshot } from '../src/model/format.js';

const metric = { job: 'api', instance: '10.0.0.1:8080' };

/** A deterministic jitter of +-2 around 0, like request goroutines coming and going. */
function jitter(i: number): number {
  return [0, 1, -1, 2, 0, -2, 1, -1][i % 8]!;
}

function series(points: number, step: number, value: (i: number) => number, t0 = 1_800_000_000): Sample[] {
  return Array.from({ length: points }, (_, i) => ({ t: t0 + i * step, v: value(i) }));
}

test('a healthy service warming up (pools filling after its start) is not growing', () => {
  // 10 minutes at 1 s of a quiet service: 20 goroutines, then one more worker
  // every 10 s up to 24 (a pool started lazily), then flat. Its own noise is
  // nil, so only the size of the growth tells it from a leak.
  const samples = series(600, 1, (i) => 20 + Math.min(4, Math.floor(i / 10)));
  const h = history({ metric, samples }, 'go', 'go_goroutines', undefined);
  assert.equal(h.growing, false, JSON.stringify({ growth: h.growth, perHour: h.perHour }));
  // Three clients opening keep-alive connections one after another over the
  // window: a steady climb, but of a handful of goroutines.
  const clients = history({ metric, samples: series(600, 1, (i) => 20 + Math.floor(i / 200)) }, 'go', 'go_goroutines', undefined);
  assert.equal(clients.growing, false, JSON.stringify({ growth: clients.growth }));
  // The same service warming up with jitter: the noise alone rules it out.
  const noisy = history({ metric, samples: series(120, 15, (i) => (i < 4 ? 20 : 23) + jitter(i)) }, 'go', 'go_goroutines', undefined);
  assert.equal(noisy.growing, false, JSON.stringify({ growth: noisy.growth }));
});

test('a slow leak on a big base over hours is growing; a pool gaining a few percent is not', () => {
  // 6 h at 30 s: 1,000 goroutines plus 40 an hour.
  const leak = history({ metric, samples: series(720, 30, (i) => 1000 + Math.floor((i * 30 * 40) / 3600) + jitter(i)) }, 'go', 'go_goroutines', undefined);
  assert.equal(leak.growing, true, JSON.stringify({ growth: leak.growth }));
  assert.ok(Math.abs(leak.perHour - 40) < 4, String(leak.perHour));
  // 6 h: a pool of 1,000 that slowly gained 20 connections (2%).
  const pool = history({ metric, samples: series(720, 30, (i) => 1000 + Math.floor((i * 20) / 720) + jitter(i)) }, 'go', 'go_goroutines', undefined);
  assert.equal(pool.growing, false, JSON.stringify({ growth: pool.growth }));
});

test('growth is added over the lives between restarts, cut where process_start_time_seconds changes', () => {
  const t0 = 1_800_000_000;
  // First life: 20 -> 320 over 300 s; restart at t0+310; second life: 20 -> 120 over 100 s.
  const first = series(31, 10, (i) => 20 + i * 10, t0);
  const second = series(11, 10, (i) => 20 + i * 10, t0 + 320);
  const starts = [...series(31, 10, () => t0 - 5, t0), ...series(11, 10, () => t0 + 312, t0 + 320)];
  const h = history({ metric, samples: [...first, ...second] }, 'go', 'go_goroutines', starts);
  assert.equal(h.restarts, 1);
  assert.equal(h.segments.length, 2);
  assert.ok(Math.abs(h.growth - 400) < 1, String(h.growth));
  assert.equal(h.growing, true);
  // Without the start times the same samples are one life whose fitted line barely climbs.
  const uncut = history({ metric, samples: [...first, ...second] }, 'go', 'go_goroutines', undefined);
  assert.ok(uncut.growth < 200, String(uncut.growth));
});

test("watch's lifetime sample stays bounded and keeps the first snapshot", () => {
  const sample = new LifetimeSample(8);
  const made: Snapshot[] = [];
  for (let i = 0; i < 1000; i++) {
    const s = { takenAt: i } as unknown as Snapshot;
    made.push(s);
    sample.add(s);
    const kept = sample.snapshots(s);
    assert.ok(kept.length <= 9 + 1, `${kept.length} kept after ${i + 1}`);
    assert.equal(kept[0], made[0]);
    assert.equal(kept[kept.length - 1], s);
  }
  // Spread over the whole run, in order.
  const times = sample.snapshots(made[999]!).map((s) => s.takenAt);
  assert.deepEqual(
    [...times].sort((a, b) => a - b),
    times,
  );
  assert.ok(times[times.length - 2]! > 500, String(times));
});
