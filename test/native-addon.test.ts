/**
 * The native stack-capture addon (native/, built by `npm install`), loaded
 * into real Node targets through `leakscan attach`: it finds the same
 * creation sites, with the same stacks, as the JavaScript fallback; and when
 * it is missing or broken the fallback is used, said so, and still works.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from './helpers/cli.js';
import { leakLine, resources, startNodeFixture, withInspectorPort } from './helpers/node-fixtures.js';
import type { RunningNodeFixture } from './helpers/node-fixtures.js';
import { tempDir } from './helpers/tmp.js';
import { repoRoot } from './helpers/paths.js';
import type { DiffJson } from '../src/report/diff-json.js';
import { nativeAddonPath, nativeAddonStatus } from '../src/targets/node/native-addon.js';

const dir = tempDir();
const running: RunningNodeFixture[] = [];
after(() => Promise.all(running.map((f) => f.stop())));

const abiDir = `node-v${process.versions.modules}-${process.platform}-${process.arch}`;

async function attach(
  fixture: RunningNodeFixture,
  out: string,
  extra: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<{ diff: DiffJson; stderr: string }> {
  // Every resource, so both captures see the same ones whatever the load.
  const args = ['attach', String(fixture.pid), '--interval', '1', '--count', '5', '--track', 'all', '--out', join(dir, out), '--no-html', '--json', ...extra];
  const result = await runCli(args, { env });
  assert.equal(result.code, 0, result.stderr);
  return { diff: JSON.parse(result.stdout) as DiffJson, stderr: result.stderr };
}

/**
 * The top site's example stack down to the program's outermost frame: below
 * it are Node's own schedulers, which differ with the path a resumed async
 * function took (a tick queue or an immediate), not with how it was captured.
 */
function frames(diff: DiffJson): string[] {
  const stack = diff.suspects[0]!.stack;
  let outermost = stack.length - 1;
  while (outermost > 0 && stack[outermost]!.file.startsWith('node:')) outermost--;
  return stack.slice(0, outermost + 1).map((frame) => `${frame.fn} ${frame.file}:${frame.line}`);
}

test('the addon is built for the Node that runs the tests (CI builds it from source)', () => {
  const status = nativeAddonStatus();
  assert.equal(status.available, true, status.detail);
});

for (const name of ['pending-promises', 'interval-leak', 'socket-leak', 'listener-promise', 'retry-timers']) {
  test(`${name}: stacks from the addon name the same creation site, with the same frames, as the JavaScript fallback`, () =>
    withInspectorPort(async () => {
      const fixture = await startNodeFixture(name);
      running.push(fixture);
      await sleep(1000);
      const extra = name === 'socket-leak' ? ['--interval', '2'] : [];
      const native = await attach(fixture, `${name}-native`, extra);
      assert.match(native.stderr, /^creation stacks: native addon$/m);
      const js = await attach(fixture, `${name}-js`, ['--no-native', ...extra]);
      assert.match(js.stderr, /^creation stacks: JavaScript \(no addon offered\)$/m);
      for (const { diff } of [native, js]) {
        const ranking = diff.suspects
          .slice(0, 3)
          .map((s) => `${s.key}: ${s.score} ${s.explanation}`)
          .join('\n');
        assert.equal(diff.suspects[0]?.anchor?.file, fixture.file, ranking);
        assert.equal(diff.suspects[0]?.anchor?.line, leakLine(name), ranking);
      }
      assert.deepEqual(frames(native.diff), frames(js.diff));
      await sleep(500);
      const state = await resources(fixture);
      assert.equal(state.asyncHooksActive, false, 'no async hook is left in the target');
      assert.equal(state.leakscanAgent, false, 'no agent is left in the target');
      await fixture.stop();
    }));
}

test('only an addon built for another Node ABI: it is not loaded, JavaScript stacks, said why, and the leak is still found', () =>
  withInspectorPort(async () => {
    const fixture = await startNodeFixture('pending-promises');
    running.push(fixture);
    await sleep(1000);
    // The real addon, filed as a build for an ABI no Node has: loading it into
    // a process of another ABI would fail or crash, so the agent must not try.
    const empty = tempDir('leakscan-other-abi-');
    const otherAbi = `node-v999-${process.platform}-${process.arch}`;
    mkdirSync(join(empty, otherAbi));
    copyFileSync(nativeAddonPath(process.versions.modules), join(empty, otherAbi, 'leakscan_native.node'));
    const { diff, stderr } = await attach(fixture, 'no-addon', [], { LEAKSCAN_NATIVE_DIR: empty });
    assert.match(
      stderr,
      new RegExp(`^creation stacks: JavaScript \\(no addon built for this process's Node ABI ${process.versions.modules} \\(v[\\d.]+\\)\\)$`, 'm'),
    );
    assert.equal(diff.suspects[0]?.anchor?.line, leakLine('pending-promises'));
    const doctor = await runCli(['doctor'], { env: { LEAKSCAN_NATIVE_DIR: empty } });
    assert.equal(doctor.code, 0, doctor.stderr);
    assert.match(doctor.stdout, /^native addon for this Node: no: no addon built for Node ABI \d+/m);
    assert.match(doctor.stdout, /^Node targets get stacks from: JavaScript \(no usable addon\)$/m);
    assert.match(doctor.stdout, new RegExp(`^addon builds present: ${otherAbi} `, 'm'));
    await fixture.stop();
  }));

test('an addon that does not load (a damaged file): JavaScript stacks, the reason said, the target unharmed', () =>
  withInspectorPort(async () => {
    const fixture = await startNodeFixture('interval-leak');
    running.push(fixture);
    await sleep(1000);
    const damaged = tempDir('leakscan-bad-addon-');
    mkdirSync(join(damaged, abiDir));
    writeFileSync(join(damaged, abiDir, 'leakscan_native.node'), 'not a shared object\n');
    const { diff, stderr } = await attach(fixture, 'bad-addon', [], { LEAKSCAN_NATIVE_DIR: damaged });
    assert.match(stderr, /^creation stacks: JavaScript \(the addon did not load: .*\)$/m);
    assert.equal(diff.suspects[0]?.anchor?.line, leakLine('interval-leak'));
    assert.equal((await resources(fixture)).leakscanAgent, false);
    await fixture.stop();
  }));

test('doctor names the addon in use, and a copy of it in another directory is found through LEAKSCAN_NATIVE_DIR', async () => {
  const elsewhere = tempDir('leakscan-addon-copy-');
  mkdirSync(join(elsewhere, abiDir));
  copyFileSync(nativeAddonPath(process.versions.modules), join(elsewhere, abiDir, 'leakscan_native.node'));
  const doctor = await runCli(['doctor'], { env: { LEAKSCAN_NATIVE_DIR: elsewhere } });
  assert.equal(doctor.code, 0, doctor.stderr);
  assert.match(doctor.stdout, new RegExp(`^native addon for this Node: yes: loads in Node v[\\d.]+ \\(ABI ${process.versions.modules}\\)$`, 'm'));
  assert.ok(doctor.stdout.includes(join(elsewhere, abiDir, 'leakscan_native.node')));
});

test('npm install on a machine without a C++ compiler still succeeds, and says the JavaScript fallback will be used', () => {
  // The package's install script, run by npm in a copy of the files it
  // needs, with a compiler that always fails.
  const copy = tempDir('leakscan-install-');
  for (const file of ['package.json', 'binding.gyp', 'scripts', join('native', 'src')]) cpSync(join(repoRoot, file), join(copy, file), { recursive: true });
  symlinkSync(join(repoRoot, 'node_modules'), join(copy, 'node_modules'));
  const result = spawnSync('npm', ['run', 'install'], {
    cwd: copy,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, CC: '/bin/false', CXX: '/bin/false', npm_config_build_from_source: 'true' },
  });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /^leakscan: the native stack-capture addon was not built .*the JavaScript fallback will be used/m);
  assert.equal(existsSync(join(copy, 'native', 'lib', 'binding', abiDir, 'leakscan_native.node')), false);
});

test("the addon serves one thread: called from a worker thread after the main thread loaded it, it throws and the main thread's tables are intact", async () => {
  const path = nativeAddonPath(process.versions.modules);
  const load = () => {
    const module = { exports: {} as Record<string, (...args: unknown[]) => unknown> };
    process.dlopen(module, path);
    return module.exports;
  };
  const main = load();
  const stack = main.capture!(8) as number;
  const place = main.place!(stack);
  const stacks = (main.symbols!() as { stacks: unknown[] }).stacks.length;
  assert.ok(stacks > stack);
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     const module = { exports: {} };
     process.dlopen(module, ${JSON.stringify(path)});
     const results = {};
     for (const name of ['capture', 'place', 'symbols', 'reset']) {
       try { module.exports[name](1); results[name] = 'returned'; } catch (error) { results[name] = error.message; }
     }
     results.promiseState = module.exports.promiseState(new Promise(() => {}));
     parentPort.postMessage(results);`,
    { eval: true },
  );
  const [results] = (await new Promise((resolve, reject) => {
    worker.once('message', (m) => resolve([m]));
    worker.once('error', reject);
  })) as [Record<string, string | number>];
  await worker.terminate();
  for (const name of ['capture', 'place', 'symbols', 'reset']) assert.match(String(results[name]), /serves one thread per process/, name);
  assert.equal(results.promiseState, 0, "reading a promise's state touches no table: allowed");
  // The worker's reset did not empty the main thread's tables.
  assert.equal((main.symbols!() as { stacks: unknown[] }).stacks.length, stacks, "the main thread's stacks are all still there");
  assert.equal(main.place!(stack), place);
});
