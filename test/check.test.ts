/**
 * The CI gate on real targets: leaky Go and Node services fail `check`
 * (exit 1) with the leak's file:line in SARIF (validated against the SARIF
 * 2.1.0 schema) and JUnit (read by a JUnit parser); healthy ones pass; a
 * baseline accepts a known leak and still fails a new one.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseTestResults } from 'test-results-parser';
import { runCli } from './helpers/cli.js';
import { buildGoFixtureVariant, goroutineLeakProfileEnv, startGoFixture } from './helpers/go-fixtures.js';
import type { RunningFixture } from './helpers/go-fixtures.js';
import { leakLine, startNodeFixture, withInspectorPort } from './helpers/node-fixtures.js';
import type { RunningNodeFixture } from './helpers/node-fixtures.js';
import { tempDir } from './helpers/tmp.js';
import { repoRoot } from './helpers/paths.js';
import { loadSnapshotFile } from '../src/formats/load.js';

const dir = tempDir();
const running: (RunningFixture | RunningNodeFixture)[] = [];
after(() => Promise.all(running.map((f) => f.stop())));

const require = createRequire(import.meta.url);
const sarifSchema = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8')) as object;
// The SARIF 2.1.0 schema is draft-04 JSON Schema; ajv-draft-04 is Ajv for that draft.
const Ajv = (require('ajv-draft-04') as { default: typeof import('ajv-draft-04').default }).default;
// The schema has a pattern that is only valid without the u flag, and string formats are not checked.
const validateSarif = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false, validateFormats: false }).compile(sarifSchema);

interface SarifLog {
  runs: {
    results: {
      ruleId: string;
      level: string;
      message: { text: string };
      locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
    }[];
  }[];
}

async function checkLive(pid: number, name: string, extra: string[] = []) {
  const sarif = join(dir, `${name}.sarif`);
  const junit = join(dir, `${name}.xml`);
  const result = await runCli([
    'check',
    '--pid',
    String(pid),
    '--interval',
    '1',
    '--count',
    '5',
    '--out',
    join(dir, name),
    '--source-root',
    repoRoot,
    '--format',
    'text',
    '--format',
    `sarif=${sarif}`,
    '--format',
    `junit=${junit}`,
    ...extra,
  ]);
  return { result, sarif, junit };
}

function assertSarifPoints(file: string, uri: string, line: number): void {
  const log = JSON.parse(readFileSync(file, 'utf8')) as SarifLog;
  assert.ok(validateSarif(log), `valid SARIF 2.1.0: ${JSON.stringify(validateSarif.errors?.slice(0, 3))}`);
  const results = log.runs[0]!.results;
  assert.ok(results.length >= 1);
  const location = results[0]!.locations[0]!.physicalLocation;
  assert.equal(location.artifactLocation.uri, uri);
  assert.equal(location.region.startLine, line);
  assert.equal(results[0]!.level, 'error');
}

function assertJunitFails(file: string, siteFragment: string): void {
  const parsed = parseTestResults({ type: 'junit', files: [file] }) as {
    total: number;
    failed: number;
    suites: { cases: { name: string; status: string }[] }[];
  };
  assert.ok(parsed.failed >= 1, `JUnit has a failure: ${JSON.stringify(parsed).slice(0, 300)}`);
  const failedCase = parsed.suites.flatMap((s) => s.cases).find((c) => c.status === 'FAIL');
  assert.ok(failedCase?.name.includes(siteFragment), `failing case ${failedCase?.name}`);
}

test('a leaky Go service fails check with SARIF and JUnit pointing at the leak line', async () => {
  const fixture = await startGoFixture('heartbeat');
  running.push(fixture);
  const { result, sarif, junit } = await checkLive(fixture.pid, 'go-leak');
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stdout, /FAIL +\d+ .*main\.\(\*session\)\.heartbeat/);
  assert.match(result.stdout, /leakscan check: 1 leak failed the check/);
  assertSarifPoints(sarif, 'fixtures/go/heartbeat/main.go', 65);
  assertJunitFails(junit, 'main.(*session).heartbeat');
});

test('a Go service built with -trimpath: SARIF paths relative to %SRCROOT% with rule help, JUnit relative and timed', async () => {
  // -trimpath prints "leakscan.dev/fixtures/heartbeat/main.go": the module path, not a file of this checkout.
  const binary = await buildGoFixtureVariant('heartbeat', 'trimpath', { GOFLAGS: '-buildvcs=false -trimpath' });
  const fixture = await startGoFixture('heartbeat', { binary });
  running.push(fixture);
  const { result, sarif, junit } = await checkLive(fixture.pid, 'go-trimpath');
  assert.equal(result.code, 1, result.stderr);
  assertSarifPoints(sarif, 'fixtures/go/heartbeat/main.go', 65);
  const log = JSON.parse(readFileSync(sarif, 'utf8')) as {
    runs: {
      originalUriBaseIds: Record<string, { uri: string }>;
      tool: { driver: { rules: { help?: { text: string } }[] } };
      results: { locations: { physicalLocation: { artifactLocation: { uriBaseId?: string } } }[] }[];
    }[];
  };
  const run = log.runs[0]!;
  assert.equal(run.results[0]!.locations[0]!.physicalLocation.artifactLocation.uriBaseId, '%SRCROOT%');
  assert.equal(run.originalUriBaseIds['%SRCROOT%']!.uri, new URL(`file://${repoRoot.endsWith('/') ? repoRoot : `${repoRoot}/`}`).href);
  for (const rule of run.tool.driver.rules) assert.ok((rule.help?.text.length ?? 0) > 40, 'every rule has help text');
  const xml = readFileSync(junit, 'utf8');
  assert.match(xml, /<testcase [^>]*file="fixtures\/go\/heartbeat\/main\.go" line="65"/);
  const suiteTime = Number(/<testsuite [^>]*time="([\d.]+)"/.exec(xml)?.[1]);
  assert.ok(suiteTime >= 3, `the suite's time is the window watched (5 snapshots 1 s apart): ${suiteTime}`);
});

test('a healthy Go service passes check', async () => {
  const fixture = await startGoFixture('workerpool');
  running.push(fixture);
  const { result, sarif } = await checkLive(fixture.pid, 'go-ok');
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /leakscan check: passed/);
  // A pass over 4 s cannot speak for a pile that stopped growing: check says so.
  assert.match(
    result.stderr,
    /warning: the snapshots span \d+s, less than the defaults' 55s: a pile that stopped growing weighs less the shorter it is watched, so this pass says less/,
  );
  const log = JSON.parse(readFileSync(sarif, 'utf8')) as SarifLog;
  assert.ok(validateSarif(log));
  assert.deepEqual(log.runs[0]!.results, []);
});

test('check --pid takes the sampling options attach takes, and applies them', async () => {
  // A build that serves the goroutineleak profile: attach asks for it unless told not to.
  const binary = await buildGoFixtureVariant('unreachable', 'leakprofile', await goroutineLeakProfileEnv());
  const fixture = await startGoFixture('unreachable', { binary });
  running.push(fixture);
  const extra = ['--no-leak-profile', '--no-labels', '--timeout', '10', '--track', 'all', '--stack-depth', '8', '--no-promise-census'];
  const { result } = await checkLive(fixture.pid, 'go-options', extra);
  assert.ok(result.code === 0 || result.code === 1, `exit ${result.code}: ${result.stderr}`);
  assert.doesNotMatch(result.stdout, /confirmed leaked by the Go runtime/);
  const files = readdirSync(join(dir, 'go-options')).filter((f) => f.endsWith('.json.gz'));
  assert.equal(files.length, 5);
  for (const file of files) {
    const snapshot = await loadSnapshotFile(join(dir, 'go-options', file));
    assert.equal(snapshot.source.profile, 'debug=2', 'no goroutineleak profile was asked for');
  }
});

test('a leaky Node service fails check; a baseline accepts that leak; a new leak still fails', () =>
  withInspectorPort(async () => {
    const leaky = await startNodeFixture('pending-promises');
    running.push(leaky);
    await sleep(1000);
    const first = await checkLive(leaky.pid, 'node-leak');
    assert.equal(first.result.code, 1, first.result.stderr);
    assertSarifPoints(first.sarif, 'fixtures/node/pending-promises.mjs', leakLine('pending-promises'));
    assertJunitFails(first.junit, 'pending-promises.mjs:');
    await leaky.stop();

    // Accept it: a baseline from the snapshots that run saved.
    const baseline = join(dir, 'leakscan-baseline.json');
    const made = await runCli(['baseline', join(dir, 'node-leak'), '-o', baseline]);
    assert.equal(made.code, 0, made.stderr);
    const accepted = JSON.parse(readFileSync(baseline, 'utf8')) as { sites: { key: string }[] };
    assert.equal(accepted.sites.length, 1);
    assert.match(accepted.sites[0]!.key, /pending-promises\.mjs:\d+$/);
    const again = await runCli(['check', join(dir, 'node-leak'), '--baseline', baseline]);
    assert.equal(again.code, 0, again.stdout);
    // The verdict's reason closes the site's lines (explanation, what it holds, then why).
    assert.match(again.stdout, /KNOWN .*pending-promises\.mjs.*\n(?: {9}.*\n)*? {9}in the baseline/);
    assert.match(again.stdout, /^ {9}holds \d+ Promises?$/m);

    // The same program with a second bug: the known leak passes, the new one fails.
    const worse = await startNodeFixture('pending-promises', { env: { SECOND_LEAK: '1' } });
    running.push(worse);
    await sleep(1000);
    const second = await checkLive(worse.pid, 'node-new-leak', ['--baseline', baseline, '--format', `github=${join(dir, 'gh.txt')}`]);
    assert.equal(second.result.code, 1, second.result.stdout);
    assert.match(second.result.stdout, /KNOWN .*pending-promises\.mjs/);
    assert.match(second.result.stdout, /FAIL .*pending-promises\.mjs.*\n(?: {9}.*\n)*? {9}new leak/);
    const lines = readFileSync(join(dir, 'gh.txt'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 1, 'one annotation: the new leak only');
    const secondLine =
      readFileSync(worse.file, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('// SECOND LEAK SITE')) + 1;
    assert.match(lines[0]!, new RegExp(`^::error file=fixtures/node/pending-promises\\.mjs,line=${secondLine},title=leak%3A `));
  }));

test('a healthy Node service passes check', () =>
  withInspectorPort(async () => {
    const fixture = await startNodeFixture('bounded-queue');
    running.push(fixture);
    await sleep(1000);
    const { result } = await checkLive(fixture.pid, 'node-ok');
    assert.equal(result.code, 0, result.stdout + result.stderr);
  }));

test('check usage errors: no input, two inputs, an unknown format, a bad baseline', async () => {
  assert.equal((await runCli(['check'])).code, 2);
  const both = await runCli(['check', '--pid', '1', '--url', 'http://127.0.0.1:1']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /exactly one of/);
  const format = await runCli(['check', join(dir, 'go-leak'), '--format', 'xml']);
  assert.equal(format.code, 2);
  assert.match(format.stderr, /unknown format "xml"/);
  const bad = await runCli(['check', join(dir, 'go-leak'), '--baseline', join(dir, 'go-leak.sarif')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /not a leakscan baseline/);
});
