/**
 * Parser tests on dumps that real Go programs printed, Go 1.19 to 1.27
 * (fixtures/dumps; MANIFEST.md says how each was made and what it holds).
 * Every header variant the runtime prints is covered by a file here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSnapshotFile } from '../src/formats/load.js';
import type { Frame, Snapshot, Task } from '../src/model/format.js';
import { taskTotal } from '../src/model/builder.js';
import { SiteResolver } from '../src/model/site.js';
import { dumpsDir } from './helpers/paths.js';
// Labels are null-prototype dictionaries: their keys are the target's (model/dictionary.ts).
import { copyDictionary as labels } from '../src/model/dictionary.js';

const VERSIONS = ['go1.19.13', 'go1.20.14', 'go1.21.13', 'go1.22.12', 'go1.23.12', 'go1.24.13', 'go1.25.14', 'go1.26.8', 'go1.27.4'];
const minor = (v: string) => Number(v.split('.')[1]);

const load = (name: string) => loadSnapshotFile(join(dumpsDir, name));
const frames = (s: Snapshot, t: Task): Frame[] => s.stacks[t.stack]!.map((i) => s.frames[i]!);
const creator = (s: Snapshot, t: Task): Frame | undefined => (t.createdBy === undefined ? undefined : s.frames[s.stacks[t.createdBy]![0]!]);
/** Tasks whose innermost user frame is `fn`. */
function at(s: Snapshot, fn: string): Task[] {
  const resolver = new SiteResolver(s);
  return s.tasks.filter((t) => resolver.siteOf(t).anchor?.fn === fn);
}
function byId(s: Snapshot, id: string): Task {
  const task = s.tasks.find((t) => t.id === id);
  assert.ok(task, `goroutine ${id}`);
  return task;
}
const headerCount = (name: string) =>
  readFileSync(join(dumpsDir, name), 'utf8')
    .split('\n')
    .filter((l) => /^goroutine \d+ .*:$/.test(l)).length;

for (const version of VERSIONS) {
  test(`${version} debug=2: every goroutine, states, creators, inlined and deep frames`, async () => {
    const s = await load(`${version}-debug2.txt`);
    assert.equal(s.tasks.length, 45);
    assert.equal(s.source.profile, 'debug=2');
    const consumers = at(s, 'main.recvOne');
    assert.equal(consumers.length, 2, 'the inlined recvOne frame anchors both consumers');
    assert.ok(frames(s, consumers[0]!)[0]!.line > 0, 'an inlined frame keeps its line');
    assert.equal(creator(s, consumers[0]!)?.fn, 'main.startConsumers');
    // "in goroutine N" from Go 1.21 on.
    assert.equal(consumers[0]!.creatorId === '1', minor(version) >= 21);
    const locked = s.tasks.filter((t) => t.lockedToThread);
    assert.equal(locked.length, 1);
    assert.equal(locked[0]!.state, 'chan receive');
    assert.equal(frames(s, locked[0]!)[0]!.fn, 'main.lockedWorker');
    const deep = s.tasks.find((t) => frames(s, t).some((f) => f.fn === 'main.deepRecursion') && t.state === 'chan receive')!;
    // 1.21+: 50 frames, "...101 frames elided...", 50 frames. 1.19/1.20 cut at 97 silently.
    assert.equal(frames(s, deep).length, minor(version) >= 21 ? 100 : 97);
    // The model says the stack is not whole (and by how much) where the runtime said so.
    assert.equal(deep.elidedFrames, minor(version) >= 21 ? 101 : undefined);
    assert.ok(s.tasks.every((t) => t === deep || t.elidedFrames === undefined));
    const workers = at(s, 'main.(*pool).worker');
    assert.equal(workers.length, 2);
    assert.equal(creator(s, workers[0]!)?.fn, 'main.(*pool).dispatch');
    const [dispatch] = at(s, 'main.(*pool).dispatch');
    assert.equal(dispatch!.state, minor(version) >= 24 ? 'sync.WaitGroup.Wait' : 'semacquire');
    assert.equal(at(s, 'main.lockMutex')[0]!.state, minor(version) >= 20 ? 'sync.Mutex.Lock' : 'semacquire');
    assert.equal(at(s, 'main.waitFor[...]').length, 1, 'generic functions print as [...]');
    assert.ok(
      at(s, 'main.panicker.func1').some((t) => frames(s, t).some((f) => f.fn === 'panic')),
      'runtime.gopanic prints as panic',
    );
    assert.equal(at(s, 'main.nilRecv')[0]!.state, 'chan receive (nil chan)');
    assert.equal(at(s, 'main.blockForever')[0]!.state, 'select (no cases)');
    assert.equal(at(s, 'main.pipeReader')[0]!.state, 'syscall');
    // Labels are printed by default from Go 1.27 (for a module at go 1.27).
    const [checkout] = at(s, 'main.checkoutWorker');
    assert.deepEqual(checkout!.labels, minor(version) >= 27 ? labels({ handler: 'checkout', tenant: 'acme' }) : undefined);
    if (minor(version) >= 27) {
      assert.deepEqual(at(s, 'main.searchHandler')[0]!.labels, labels({ handler: 'search', query: 'say "hi" now', 'user-agent': 'curl/8.5.0' }));
    }
  });

  test(`${version} debug=1 and debug=0: counts, labels, and the same sites as debug=2`, async () => {
    const full = await load(`${version}-debug2.txt`);
    for (const [file, profile] of [
      [`${version}-debug1.txt`, 'debug=1'],
      [`${version}-debug0.pb.gz`, 'debug=0'],
    ] as const) {
      const s = await load(file);
      assert.equal(s.source.profile, profile);
      assert.equal(taskTotal(s), 45, file);
      assert.ok(s.tasks.every((t) => t.id === undefined && t.state === 'unknown' && t.count! >= 1));
      const checkout = at(s, 'main.checkoutWorker');
      assert.equal(checkout.length, 1, `${file}: one record for both labelled workers`);
      assert.equal(checkout[0]!.count, 2);
      assert.deepEqual(checkout[0]!.labels, labels({ handler: 'checkout', tenant: 'acme' }));
      assert.deepEqual(at(s, 'main.searchHandler')[0]!.labels, labels({ handler: 'search', query: 'say "hi" now', 'user-agent': 'curl/8.5.0' }));
      // Site anchors agree across formats (the user's own functions).
      const anchors = (snap: Snapshot) => {
        const resolver = new SiteResolver(snap);
        return new Set(snap.tasks.map((t) => resolver.siteOf(t).anchor?.fn ?? '').filter((fn) => fn.startsWith('main.') && fn !== 'main.spinner'));
      };
      assert.deepEqual(anchors(s), anchors(full), file);
    }
  });
}

test('Go 1.26 labels with GODEBUG=tracebacklabels=1 (inside the brackets)', async () => {
  const s = await load('go1.26.8-debug2-tracebacklabels.txt');
  assert.deepEqual(byId(s, '44').labels, labels({ handler: 'checkout', tenant: 'acme' }));
  assert.equal(byId(s, '44').state, 'select');
  assert.deepEqual(byId(s, '46').labels, labels({ handler: 'search', query: 'say "hi" now', 'user-agent': 'curl/8.5.0' }));
});

test('", N minutes" headers', async () => {
  const s = await load('go1.26.8-debug2-after-75s.txt');
  assert.equal(s.tasks.length, 44);
  assert.equal(s.tasks.filter((t) => t.waitMinutes === 1).length, 41);
  assert.equal(byId(s, '43').lockedToThread, true);
  assert.equal(byId(s, '43').waitMinutes, 1);
  assert.equal(byId(s, '42').state, 'syscall');
  assert.equal(byId(s, '1').waitMinutes, undefined);
});

test("ancestor sections (GODEBUG=tracebackancestors) are not read as the goroutine's own stack", async () => {
  const s = await load('go1.26.8-debug2-tracebackancestors.txt');
  assert.equal(s.tasks.length, headerCount('go1.26.8-debug2-tracebackancestors.txt'));
  const child = byId(s, '50');
  assert.equal(creator(s, child)?.fn, 'main.deepRecursion');
  assert.equal(child.creatorId, '37');
  assert.ok(!frames(s, child).some((f) => f.fn === 'main.deepRecursion'), 'ancestor frames stay out');
});

for (const version of ['go1.26.8', 'go1.27.4']) {
  test(`${version} goroutineleak profile: (leaked) marks in debug=2, only leaked stacks in debug=1/0`, async () => {
    const s = await load(`${version}-goroutineleak-debug2.txt`);
    assert.equal(s.tasks.length, 45);
    assert.equal(s.source.profile, 'goroutineleak?debug=2');
    const leaked = s.tasks.filter((t) => t.leaked);
    assert.equal(leaked.length, 7);
    assert.deepEqual(leaked.map((t) => t.state).sort(), [
      'chan receive',
      'chan receive (nil chan)',
      'chan send',
      'chan send',
      'chan send (nil chan)',
      'select (no cases)',
      'sync.WaitGroup.Wait',
    ]);
    assert.equal(at(s, 'main.leakyFanout.func1').filter((t) => t.leaked).length, 2);
    for (const [file, profile] of [
      [`${version}-goroutineleak-debug1.txt`, 'goroutineleak?debug=1'],
      [`${version}-goroutineleak-debug0.pb.gz`, 'goroutineleak?debug=0'],
    ] as const) {
      const counts = await load(file);
      assert.equal(counts.source.profile, profile);
      assert.equal(taskTotal(counts), 7);
      assert.equal(counts.tasks.length, 6);
      assert.ok(counts.tasks.every((t) => t.leaked));
      assert.equal(at(counts, 'main.leakyFanout.func1')[0]!.count, 2);
    }
  });
}

test('dumps cut at 64 MiB by the runtime: the tail ends mid-line and the broken goroutine is dropped', async () => {
  const a = await load('go1.26.8-debug2-truncated-tail.txt'); // ends "\nmain.massWo"
  assert.equal(a.tasks.length, headerCount('go1.26.8-debug2-truncated-tail.txt') - 1);
  assert.match(a.warnings![0]!, /ends mid-goroutine/);
  const b = await load('go1.26.8-debug2-truncated-tail-b.txt'); // ends after a function line, no newline
  assert.equal(b.tasks.length, headerCount('go1.26.8-debug2-truncated-tail-b.txt') - 1);
  assert.ok(b.tasks.every((t) => creator(b, t)?.fn === 'main.startMassDepth'));
  assert.ok(
    a.tasks.every((t) => creator(a, t)?.fn === 'main.startMassDepth'),
    'every goroutine read is whole',
  );
});

test('runtime.Stack output written to a file', async () => {
  for (const version of ['go1.19.13', 'go1.26.8', 'go1.27.4']) {
    const s = await load(`${version}-runtime-stack.txt`);
    assert.equal(s.tasks.length, 43, version);
    assert.equal(s.source.profile, 'debug=2');
    assert.equal(s.tasks[0]!.state, 'running');
  }
  assert.deepEqual(byId(await load('go1.27.4-runtime-stack.txt'), '37').labels, labels({ handler: 'checkout', tenant: 'acme' }));
});

test('synctest bubbles: (durable) states and bubble ids, Go 1.24 to 1.27', async () => {
  const go124 = await load('go1.24.13-synctest-run.txt');
  assert.equal(go124.tasks.length, 12);
  assert.equal(byId(go124, '24').labels?.['synctest.bubble'], '23', 'Go 1.24 says "synctest group 23"');
  assert.ok(go124.tasks.some((t) => t.state === 'chan receive (synctest)'));
  for (const version of ['go1.25.14', 'go1.27.4']) {
    const s = await load(`${version}-synctest.txt`);
    assert.equal(s.tasks.length, 13);
    assert.equal(byId(s, '24').state, 'chan receive (durable)');
    assert.equal(byId(s, '28').state, 'sleep (durable)');
    assert.equal(byId(s, '31').state, 'sync.Mutex.Lock');
    assert.equal(byId(s, '24').labels?.['synctest.bubble'], '1');
  }
  const failed = await load('go1.26.8-synctest-deadlock-test-output.txt');
  assert.equal(failed.source.profile, 'traceback');
  assert.equal(byId(failed, '11').state, 'chan receive (durable)');
});

test('crash dumps: gp=/m= headers, fp= frames, system goroutines, stack unavailable, (scan), SIGQUIT sections', async () => {
  const system = await load('go1.23.12-panic-gotraceback-system.txt');
  assert.equal(system.source.profile, 'traceback');
  assert.equal(system.tasks.length, 37);
  assert.equal(byId(system, '1').state, 'running');
  assert.equal(byId(system, '2').state, 'force gc (idle)');
  const panicFrame = frames(system, byId(system, '1')).find((f) => f.fn === 'panic')!;
  assert.match(panicFrame.file, /runtime\/panic\.go$/);
  assert.ok(panicFrame.line > 0, 'the line number is read before " +0x.. fp=.."');
  assert.equal((await load('go1.19.13-panic-gotraceback-system.txt')).tasks.length, 36);
  assert.equal((await load('go1.26.8-panic-gotraceback-crash.txt')).tasks.length, 38);
  assert.equal((await load('go1.27.4-panic-gotraceback-system.txt')).tasks.length, 38);

  const other = await load('go1.26.8-panic-running-on-other-thread.txt');
  const unavailable = byId(other, '38');
  assert.equal(frames(other, unavailable).length, 0);
  assert.equal(creator(other, unavailable)?.fn, 'main.doCrash');
  assert.equal(unavailable.creatorId, '1');
  assert.equal(unavailable.stackUnavailable, true);
  assert.deepEqual(
    other.tasks.filter((t) => t.stackUnavailable).map((t) => t.id),
    ['38'],
  );
  const cut = await load('go1.19.13-panic-gotraceback-system.txt');
  const deep = cut.tasks.find((t) => frames(cut, t).some((f) => f.fn === 'main.deepRecursion') && t.state === 'chan receive')!;
  assert.equal(deep.elidedFrames, 1, '"...additional frames elided..." says at least one');

  const scan = await load('go1.26.8-sigquit-gotraceback-crash-scan.txt');
  assert.equal(byId(scan, '106').state, 'chan receive', '"(scan)" is not part of the state');
  assert.deepEqual(scan.warnings ?? [], [], 'register dumps and ----- sections end blocks cleanly');
  assert.ok(
    scan.tasks.every((t) => frames(scan, t).every((f) => !/^r[a-z0-9]+ +0x/.test(f.fn))),
    'register lines are not frames',
  );
  const quit = await load('go1.26.8-sigquit.txt');
  assert.equal(quit.source.profile, 'traceback');
  assert.equal(quit.tasks.length, 50);
});

test('panics and fatal errors: the goroutines after the message', async () => {
  for (const version of ['go1.19.13', 'go1.20.14', 'go1.23.12', 'go1.26.8', 'go1.27.4']) {
    const s = await load(`${version}-panic.txt`);
    assert.equal(s.source.profile, 'traceback', version);
    assert.equal(s.tasks.length, 1);
    assert.deepEqual(
      frames(s, s.tasks[0]!).map((f) => f.fn),
      ['main.doCrash', 'main.main'],
    );
  }
  const recovered = await load('go1.26.8-panic-recovered.txt');
  assert.deepEqual(
    frames(recovered, recovered.tasks[0]!).map((f) => f.fn),
    ['main.doCrash.func1', 'panic', 'main.doCrash', 'main.main'],
  );
  const deadlock = await load('go1.26.8-fatal-deadlock.txt');
  assert.equal(deadlock.tasks.length, 2);
  assert.equal(byId(deadlock, '8').state, 'sync.Mutex.Lock');
  assert.equal((await load('go1.26.8-fatal-concurrent-map-writes.txt')).tasks.length, 1);
  assert.deepEqual(byId(await load('go1.27.4-panic-labels.txt'), '44').labels, labels({ handler: 'checkout', 'order id': '1234' }));
  assert.deepEqual(byId(await load('go1.26.8-panic-labels-tracebacklabels.txt'), '50').labels, labels({ handler: 'checkout', 'order id': '1234' }));
  const spin = await load('go1.26.8-panic-spinning-goroutines.txt');
  const spinner = spin.tasks.filter((t) => frames(spin, t)[0]?.fn === 'main.spinner');
  assert.ok(spinner.length >= 3);
  assert.ok(
    spinner.every((t) => frames(spin, t)[0]!.line > 0),
    'frames without +0x still have their line',
  );
});
