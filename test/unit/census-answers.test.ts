/**
 * The census's answers come from the target: whatever it answers (garbage,
 * a JSON text cut short, a field of the wrong type), leakscan either reads a
 * census it can trust or stops with one line naming the wrong answer (a
 * TargetError: exit code 3), never another exception. The answers the tests
 * start from are real: the census's own functions run in this process over
 * its own timers and emitters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { runInThisContext } from 'node:vm';
import fc from 'fast-check';
import { EMITTER_CENSUS, TIMER_CENSUS } from '../../src/targets/node/census.js';
import { activeHandles, censusPart, clockMark, idClock, objectHandle, promiseCount } from '../../src/targets/node/census-answers.js';
import { TargetError } from '../../src/util/errors.js';

const SEED = 20261203;
const RUNS = Number(process.env.LEAKSCAN_FUZZ_RUNS ?? 300);

/** Runs a census function here, as the inspector runs it in a target. */
function runCensus(source: string, self: unknown): string {
  const fn = runInThisContext(`(${source})`) as (this: unknown, limit: number, idLimit: number) => { json: string };
  return fn.call(self, 1000, 1000).json;
}

const timers = [setInterval(() => undefined, 60_000), setInterval(() => undefined, 60_000), setTimeout(function flush() {}, 60_000)];
const emitter = new EventEmitter();
emitter.on('change', function onChange() {});
const realTimers = runCensus(TIMER_CENSUS, timers);
const realEmitters = runCensus(EMITTER_CENSUS, [emitter]);
for (const t of timers) clearTimeout(t);

/** Either an answer leakscan can trust, or one line in a TargetError; anything else fails the test. */
function readsOrRefuses<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    assert.ok(error instanceof TargetError, `not a TargetError: ${String(error)}`);
    assert.ok(!error.message.includes('\n'), `more than one line: ${error.message}`);
    assert.match(error.message, /^the census in the target answered .+ that leakscan cannot read \(.+\)/);
    return undefined;
  }
}

test('a real census answer reads back as what the census saw', () => {
  const part = censusPart(realTimers, 'its timers');
  const intervals = part.groups.find((g) => g.resource === 'setInterval 60000 ms');
  assert.equal(intervals?.count, 2, 'the two intervals are one group');
  assert.equal(intervals.ids.length, 2, 'with their async ids');
  assert.ok(part.groups.some((g) => g.fn === 'flush' && g.resource === 'setTimeout 60000 ms'));
  const listeners = censusPart(realEmitters, 'its event emitters');
  assert.ok(listeners.groups.some((g) => g.fn === 'onChange' && g.resource === "'change' listener on EventEmitter"));
});

test("the census reads how many copies of one listener one emitter holds, and that emitter's limit", () => {
  // A feed that every order subscribes to and none leaves: its limit removed to silence Node's warning.
  const feed = new EventEmitter();
  feed.setMaxListeners(0);
  const requests = Array.from({ length: 5 }, () => new EventEmitter());
  for (let i = 0; i < 25; i++) feed.on('price', (p: unknown) => p);
  // Per-request emitters, two copies each: many in all, few on any one.
  for (const request of requests) for (let i = 0; i < 2; i++) request.on('close', () => undefined);
  const raised = new EventEmitter();
  raised.setMaxListeners(40);
  for (let i = 0; i < 3; i++) raised.on('reload', () => undefined);
  const part = censusPart(runCensus(EMITTER_CENSUS, [feed, ...requests, raised]), 'its event emitters');
  const group = (event: string) => part.groups.find((g) => g.resource === `'${event}' listener on EventEmitter`);
  assert.deepEqual(group('price')?.onOneEmitter, { copies: 25, limit: 0 });
  assert.equal(group('close')?.count, 10);
  assert.deepEqual(group('close')?.onOneEmitter, { copies: 2, limit: EventEmitter.defaultMaxListeners });
  assert.deepEqual(group('reload')?.onOneEmitter, { copies: 3, limit: 40 });
});

test('over the read limit, an emitter piled with listeners is read whole whatever the sample, at its true count', () => {
  // Each leaked listener keeps its request alive, and a request is an emitter too: thousands of them, one feed.
  const feed = new EventEmitter();
  feed.setMaxListeners(100);
  const requests = Array.from({ length: 3000 }, () => new EventEmitter());
  for (const request of requests) {
    request.on('close', () => undefined);
    feed.on('flags', () => request);
  }
  // The feed last, where a stride through 3,001 emitters reading 1,000 of them would skip it.
  const part = censusPart(runCensus(EMITTER_CENSUS, [...requests, feed]), 'its event emitters');
  assert.ok(part.read < part.live, `sampled: ${part.read} of ${part.live}`);
  const flags = part.groups.find((g) => g.resource === "'flags' listener on EventEmitter");
  assert.equal(flags?.count, 3000);
  assert.deepEqual(flags.onOneEmitter, { copies: 3000, limit: 100 });
  const close = part.groups.find((g) => g.resource === "'close' listener on EventEmitter");
  assert.ok(close !== undefined && Math.abs(close.count - 3000) <= 3, `the rest is sampled and scaled: ${close?.count}`);
});

test('listeners on one emitter that are not counts are refused with one line', () => {
  const answer = JSON.parse(realEmitters) as { groups: Record<string, unknown>[] };
  for (const bad of [{ copies: -1, limit: 10 }, { copies: 3 }, 'many', null]) {
    answer.groups[0]!.onOneEmitter = bad;
    assert.equal(
      readsOrRefuses(() => censusPart(JSON.stringify(answer), 'its event emitters')),
      undefined,
      JSON.stringify(bad),
    );
  }
});

test('a census answer cut anywhere is refused with one line', () => {
  for (const text of [realTimers, realEmitters]) {
    for (let cut = 0; cut < text.length; cut++) {
      const part = readsOrRefuses(() => censusPart(text.slice(0, cut), 'its timers'));
      assert.equal(part, undefined, `a text cut at ${cut} of ${text.length} was read`);
    }
  }
});

test('any value at all, as any answer: read or refused with one line, never another exception', () => {
  const readers: ((value: unknown) => unknown)[] = [
    (v) => censusPart(v, 'its timers'),
    (v) => censusPart(JSON.stringify(v) ?? '', 'its timers'),
    promiseCount,
    activeHandles,
    idClock,
    clockMark,
    (v) => objectHandle(v, 'a heap query'),
  ];
  fc.assert(
    fc.property(
      fc.anything({ withBigInt: false, withBoxedValues: true, withTypedArray: true, withSparseArray: true }),
      fc.nat(readers.length - 1),
      (value, i) => {
        readsOrRefuses(() => readers[i]!(value));
      },
    ),
    { seed: SEED, numRuns: RUNS },
  );
});

test('a real answer with one field of the wrong type is refused, never half read', () => {
  const base = JSON.parse(realTimers) as { groups: Record<string, unknown>[] } & Record<string, unknown>;
  const groupFields = ['key', 'rep', 'kind', 'resource', 'fn', 'count', 'ids', 'tracked'];
  const wrong = fc.oneof(
    fc.constant(null),
    fc.constant(-1),
    fc.constant('x'),
    fc.constant({}),
    fc.constant([1.5]),
    fc.constant(['1']),
    fc.constant(Number.NaN),
  );
  fc.assert(
    fc.property(fc.constantFrom(...groupFields), fc.nat(base.groups.length - 1), wrong, (field, index, value) => {
      const answer = structuredClone(base);
      answer.groups[index]![field] = value;
      const part = readsOrRefuses(() => censusPart(JSON.stringify(answer), 'its timers'));
      if (part === undefined) return;
      // Accepted only when the value is of the field's type after all (a text for a text, -1 for the function index).
      const group = part.groups[index]!;
      assert.deepEqual((group as unknown as Record<string, unknown>)[field], value, `${field}=${JSON.stringify(value)} was changed, not refused`);
    }),
    { seed: SEED, numRuns: RUNS },
  );
  for (const field of ['live', 'read', 'ms', 'groups']) {
    const answer = structuredClone(base);
    answer[field] = 'many';
    assert.equal(
      readsOrRefuses(() => censusPart(JSON.stringify(answer), 'its timers')),
      undefined,
      field,
    );
  }
});

test('texts from the target are shortened: a huge answer cannot flood a report', () => {
  const answer = JSON.parse(realTimers) as { groups: { resource: string }[] };
  answer.groups[0]!.resource = 'x'.repeat(1_000_000);
  assert.ok(censusPart(JSON.stringify(answer), 'its timers').groups[0]!.resource.length <= 300);
});
