/**
 * One leak, one suspect (src/analysis/chains.ts): the promises one async
 * call leaves pending and the listeners `events.once` leaves with them are
 * folded into one suspect; separate leaks and quiet sites are left alone.
 * Node series are written by hand in the snapshot format, as the agent
 * (promises with creation stacks) and the census (listeners by function)
 * report them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SnapshotBuilder } from '../../src/model/builder.js';
import type { Frame } from '../../src/model/format.js';
import { analyze } from '../../src/analysis/analyze.js';
import type { Analysis } from '../../src/analysis/analyze.js';
import { growsInStep, growsWithin } from '../../src/analysis/chains.js';
import { renderDiff } from '../../src/report/diff-text.js';
import { diffJson } from '../../src/report/diff-json.js';
import { APP, AWAITED, OWN, START, frame } from '../helpers/payment-chain.js';

const RESOLVER = frame('resolver', 'node:events', 985);
const ERROR_LISTENER = frame('errorListener', 'node:events', 978);

interface SiteSpec {
  stack: Frame[];
  kind: 'PROMISE' | 'listener';
  /** Count at each look. */
  counts: number[];
  resource?: string;
}

function series(sites: SiteSpec[]): Analysis {
  const looks = sites[0]!.counts.length;
  const snapshots = Array.from({ length: looks }, (_, i) => {
    const b = new SnapshotBuilder('node', { profile: 'node-agent', startedAt: START });
    for (const [index, site] of sites.entries()) {
      const stack = b.stack(site.stack.map((f) => b.frame(f.fn, f.file, f.line)));
      if (site.kind === 'listener') {
        b.addTask({
          kind: 'listener',
          state: 'active',
          stack,
          count: site.counts[i]!,
          origin: 'census',
          labels: { resource: site.resource ?? "'flush' listener on LogShipper" },
        });
      } else {
        // The same promises at every look, and those made since the last one.
        for (let n = 0; n < site.counts[i]!; n++) {
          b.addTask({ id: String(100_000 * (index + 1) + n), kind: 'PROMISE', state: 'pending', stack, labels: { resource: 'Promise' } });
        }
      }
    }
    return b.build(START + 60_000 + i * 5000);
  });
  return analyze(snapshots);
}

const perEvent = (k: number, from = 0) => Array.from({ length: 6 }, (_, i) => from + k * 10 * i);

test('the promises one async call leaves pending, and the listeners once() left with them, are one suspect', () => {
  const analysis = series([
    { stack: OWN, kind: 'PROMISE', counts: perEvent(1) },
    { stack: AWAITED, kind: 'PROMISE', counts: perEvent(3) },
    { stack: [RESOLVER], kind: 'listener', counts: perEvent(1, 46) },
    { stack: [ERROR_LISTENER], kind: 'listener', counts: perEvent(1, 46), resource: "'error' listener on LogShipper" },
  ]);
  assert.equal(analysis.suspects.length, 1, analysis.suspects.map((s) => `${s.key} ${s.score}`).join('; '));
  const [leak] = analysis.suspects;
  assert.equal(leak!.site.anchor?.line, 103, 'the site holding the most is the one listed');
  assert.deepEqual(
    leak!.sameLeak?.map((m) => [m.suspect.site.anchor?.fn, m.suspect.site.anchor?.line, m.reason]),
    [
      ['onPayment', 99, 'the same async call'],
      ['errorListener', 978, 'its listeners, growing in step'],
      ['resolver', 985, 'its listeners, growing in step'],
    ],
  );
  const text = renderDiff(analysis, { top: 10, minScore: 0, frames: 3 });
  assert.match(text, /with 50 Promises at onPayment {2}consumer\.mjs:99 \(the same async call\)/);
  assert.match(text, /with 96 listeners at resolver {2}node:events:985 \(its listeners, growing in step\)/);
  const json = diffJson(analysis, { top: 10, minScore: 0 });
  assert.deepEqual(
    json.suspects[0]!.sameLeak.map((m) => [m.key, m.reason, m.holds]),
    [
      ['onPayment payments/consumer.mjs:99', 'the same async call', [{ kind: 'Promise', count: 50 }]],
      ['errorListener node:events:978', 'its listeners, growing in step', [{ kind: 'listener', count: 96 }]],
      ['resolver node:events:985', 'its listeners, growing in step', [{ kind: 'listener', count: 96 }]],
    ],
  );
});

test('the same function called from elsewhere is another leak: listed apart', () => {
  const elsewhere = [frame('onPayment', APP, 104), frame('replay', APP, 140), frame('(anonymous)', APP, 150)];
  const analysis = series([
    { stack: AWAITED, kind: 'PROMISE', counts: perEvent(3) },
    { stack: elsewhere, kind: 'PROMISE', counts: perEvent(1) },
  ]);
  assert.equal(analysis.suspects.filter((s) => s.score >= 30).length, 2);
  assert.ok(analysis.suspects.every((s) => s.sameLeak === undefined));
});

test("listeners that grow on their own schedule are not the chain's", () => {
  const analysis = series([
    { stack: AWAITED, kind: 'PROMISE', counts: perEvent(3) },
    { stack: [RESOLVER], kind: 'listener', counts: [46, 47, 90, 91, 92, 140] },
  ]);
  assert.equal(analysis.suspects.filter((s) => s.score >= 30).length, 2);
});

test('a quiet sibling in the same function is left as it is', () => {
  const analysis = series([
    { stack: AWAITED, kind: 'PROMISE', counts: perEvent(3) },
    { stack: OWN, kind: 'PROMISE', counts: [2, 3, 2, 2, 3, 2] },
  ]);
  const [leak] = analysis.suspects;
  assert.equal(leak!.site.anchor?.line, 103);
  assert.equal(leak!.sameLeak, undefined);
  assert.ok(analysis.suspects.some((s) => s.site.anchor?.line === 99 && s.score < 30));
});

test('growsInStep: a constant multiple at every step, within a fifth of the movement', () => {
  assert.ok(growsInStep([0, 10, 20, 30], [46, 56, 66, 76]));
  assert.ok(growsInStep([0, 30, 60, 90], [0, 10, 20, 31]));
  assert.ok(!growsInStep([0, 10, 20, 30], [0, 1, 29, 30]));
  assert.ok(!growsInStep([0, 10, 20, 30], [5, 5, 5, 5]), 'flat is not in step');
  assert.ok(!growsInStep([5, 5, 5, 5], [0, 10, 20, 30]));
});

test('callers awaiting a leaking promise go with it, and the promise that never settles is the one listed', () => {
  const SVC = '/srv/quotes/app.mjs';
  const route = frame('(anonymous)', SVC, 21); // handleQuote(req, res).catch(...)
  const server = frame('emit', 'node:events', 519);
  const analysis = series([
    // handleQuote's own promise, placed at its declaration, more of them than the leak at times (estimates).
    { stack: [frame('handleQuote', SVC, 14), route, server], kind: 'PROMISE', counts: perEvent(1.2) },
    // The `new Promise` in waitForReply that is never resolved, awaited at handleQuote's line 15.
    { stack: [frame('waitForReply', SVC, 8), frame('handleQuote', SVC, 15), route, server], kind: 'PROMISE', counts: perEvent(1) },
    // The route's `.catch()` promise.
    { stack: [route, server], kind: 'PROMISE', counts: perEvent(1) },
    // Another leak in the same file, off this call path.
    { stack: [frame('(anonymous)', SVC, 40), server], kind: 'PROMISE', counts: [0, 3, 9, 12, 20, 24] },
  ]);
  const [leak, other] = analysis.suspects;
  assert.equal(leak!.site.anchor?.fn, 'waitForReply');
  assert.deepEqual(leak!.sameLeak?.map((m) => [m.suspect.site.anchor?.line, m.reason]).sort(), [
    [14, 'a caller awaiting it'],
    [21, 'a caller awaiting it'],
  ]);
  assert.ok(
    leak!.sameLeak!.every((m) => m.suspect.score <= leak!.score),
    "the listed site has the chain's highest score: check fails on the leak whenever it failed on one of its sites",
  );
  assert.equal(other!.site.anchor?.line, 40, 'a leak off the call path stays a suspect of its own');
  assert.ok(other!.score >= 30);
});

test('every caller awaiting one leaking helper goes with it, each carrying its own share of the leak', () => {
  const SVC = '/srv/catalog/app.mjs';
  const server = frame('emit', 'node:events', 519);
  const prices = frame('getPrices', SVC, 31); // await waitForReload()
  const stock = frame('getStock', SVC, 44); // await waitForReload()
  // Two routes leak at their own pace: their sum is what the helper holds.
  const fromPrices = [0, 12, 20, 35, 41, 55];
  const fromStock = [0, 3, 11, 12, 22, 25];
  const both = fromPrices.map((n, i) => n + fromStock[i]!);
  const analysis = series([
    // The `new Promise` in waitForReload nobody resolves: one site, reached from both routes.
    { stack: [frame('waitForReload', SVC, 9), prices, server], kind: 'PROMISE', counts: fromPrices },
    { stack: [frame('waitForReload', SVC, 9), stock, server], kind: 'PROMISE', counts: fromStock },
    // waitForReload's own promise, from both routes.
    { stack: [frame('waitForReload', SVC, 8), prices, server], kind: 'PROMISE', counts: fromPrices },
    { stack: [frame('waitForReload', SVC, 8), stock, server], kind: 'PROMISE', counts: fromStock },
    // Each route's own promise, pending because it awaits the helper.
    { stack: [frame('getPrices', SVC, 30), server], kind: 'PROMISE', counts: fromPrices },
    { stack: [frame('getStock', SVC, 43), server], kind: 'PROMISE', counts: fromStock },
  ]);
  const listed = analysis.suspects.filter((s) => s.score >= 30);
  assert.equal(listed.length, 1, listed.map((s) => `${s.key} ${s.score}`).join('; '));
  const [leak] = listed;
  assert.equal(leak!.site.anchor?.line, 9, 'the promise that never settles is the one listed');
  assert.deepEqual(leak!.site.counts, both);
  assert.deepEqual(leak!.sameLeak?.map((m) => [m.suspect.site.anchor?.fn, m.reason]).sort(), [
    ['getPrices', 'a caller awaiting it'],
    ['getStock', 'a caller awaiting it'],
    ['waitForReload', 'the same async call'],
  ]);
});

test('a caller on the path that grows faster than the helper has a leak of its own: listed apart', () => {
  const SVC = '/srv/catalog/app.mjs';
  const server = frame('emit', 'node:events', 519);
  const prices = frame('getPrices', SVC, 31);
  const stock = frame('getStock', SVC, 44);
  const analysis = series([
    { stack: [frame('waitForReload', SVC, 9), prices, server], kind: 'PROMISE', counts: [0, 5, 10, 15, 20, 25] },
    { stack: [frame('waitForReload', SVC, 9), stock, server], kind: 'PROMISE', counts: [0, 2, 4, 6, 8, 10] },
    // getPrices' promises pile up faster than the helper's, on their own schedule: most of them wait on something else.
    { stack: [frame('getPrices', SVC, 30), server], kind: 'PROMISE', counts: [0, 40, 45, 120, 125, 200] },
  ]);
  assert.equal(analysis.suspects.filter((s) => s.score >= 30).length, 2);
});

test('growsWithin: each step between nothing and the whole step, within a fifth of the movement', () => {
  assert.ok(growsWithin([0, 10, 20, 30], [0, 4, 9, 10]));
  assert.ok(growsWithin([0, 10, 20, 30], [0, 10, 20, 30]), 'all of it is a part too');
  assert.ok(!growsWithin([0, 10, 20, 30], [0, 20, 40, 60]), 'faster than the whole');
  assert.ok(!growsWithin([0, 10, 20, 30], [5, 5, 5, 5]), 'flat');
  assert.ok(!growsWithin([0, 0, 0, 30], [0, 10, 20, 30]), 'grew where the whole did not');
});

test("Node's listeners on the requests a leaked listener holds go with the program's line", () => {
  const SHOP = '/srv/shop/app.mjs';
  const analysis = series([
    // The program's listener, left on the price feed with the request it closes over.
    { stack: [frame('onChange', SHOP, 87)], kind: 'listener', counts: [15, 27, 39, 51, 63, 75], resource: "'change' listener on PriceFeed" },
    // Node's 'end' listener on each of those requests.
    {
      stack: [frame('clearIncoming', 'node:_http_server', 953)],
      kind: 'listener',
      counts: [15, 28, 39, 51, 63, 76],
      resource: "'end' listener on IncomingMessage",
    },
    // Another of Node's listener sites, on its own schedule.
    {
      stack: [frame('onResFinished', 'node:_http_server', 978)],
      kind: 'listener',
      counts: [0, 40, 6, 50, 10, 70],
      resource: "'finish' listener on ServerResponse",
    },
  ]);
  const [leak] = analysis.suspects;
  assert.equal(leak!.site.anchor?.fn, 'onChange');
  assert.deepEqual(
    leak!.sameLeak?.map((m) => [m.suspect.site.anchor?.fn, m.reason]),
    [['clearIncoming', "Node's listeners on what it holds"]],
  );
  assert.ok(!analysis.suspects.some((s) => s.site.anchor?.fn === 'clearIncoming'), 'not a suspect of its own');
});

test('an anonymous async handler awaiting a leaking helper goes with it, though its promise and its call are on different lines', () => {
  const SVC = '/srv/users/app.mjs';
  const server = [frame('emit', 'node:events', 519), frame('parserOnIncoming', 'node:_http_server', 1140)];
  const analysis = series([
    // fetchUserProfile's `new Promise`, a reply lost for 1 call in 4, awaited at the handler's lines 23 and 26.
    { stack: [frame('fetchUserProfile', SVC, 8), frame('(anonymous)', SVC, 23), ...server], kind: 'PROMISE', counts: [0, 6, 12, 17, 24, 30] },
    { stack: [frame('fetchUserProfile', SVC, 8), frame('(anonymous)', SVC, 26), ...server], kind: 'PROMISE', counts: [0, 5, 11, 16, 20, 26] },
    // The async arrow handler's own promise, placed at its first line, 21.
    { stack: [frame('(anonymous)', SVC, 21), ...server], kind: 'PROMISE', counts: [0, 11, 23, 33, 44, 56] },
    // Another anonymous function of the file, at line 40, called from elsewhere: not the handler.
    { stack: [frame('(anonymous)', SVC, 40), frame('tick', 'node:internal/timers', 594)], kind: 'PROMISE', counts: [0, 9, 20, 30, 41, 50] },
  ]);
  const listed = analysis.suspects.filter((s) => s.score >= 30);
  assert.deepEqual(
    listed.map((s) => [s.site.anchor?.fn, s.site.anchor?.line]),
    [
      ['fetchUserProfile', 8],
      ['(anonymous)', 40],
    ],
  );
  assert.deepEqual(
    listed[0]!.sameLeak?.map((m) => [m.suspect.site.anchor?.line, m.reason]),
    [[21, 'a caller awaiting it']],
  );
});
