/**
 * leakscan scan, check --prometheus and watch against a real Prometheus
 * (Debian's package) scraping real instances every second: Go services with
 * client_golang's /metrics and net/http/pprof (fixtures/fleet/instance),
 * some leaking and some healthy, one that dies while the scan samples it,
 * one restarted mid-history; Node services with prom-client; and a
 * leakscan watch process whose gauges the test reads back through
 * Prometheus's query API.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { tempDir } from './helpers/tmp.js';
import { runCli } from './helpers/cli.js';
import { cliPath } from './helpers/paths.js';
import { freePort, queryPrometheus, startPrometheus } from './helpers/prometheus.js';
import type { RunningPrometheus } from './helpers/prometheus.js';
import { buildFleetInstance, startGoInstance, startNodeInstance } from './helpers/fleet-fixtures.js';
import type { FleetProcess } from './helpers/fleet-fixtures.js';
import { stopChild } from '../src/targets/go/launch.js';
import { launchBrowser } from './helpers/browser.js';

const LEAK_SITE = 'main.(*service).lookup';

interface ScanJson {
  schema: string;
  prescreen: {
    instances: {
      job: string;
      instance: string;
      runtime: string;
      growing: boolean;
      growth: number;
      restarts: number;
      segments: { first: number; last: number; growth: number }[];
    }[];
  } | null;
  instances: { job: string; instance: string; status: string; error: string | null; snapshots: number }[];
  suspects: {
    key: string;
    score: number;
    leaking: number;
    anchor: { fn: string } | null;
    instances: { instance: string; score: number; last: number; prometheus: { growth: number; restarts: number } | null }[];
  }[];
}

const dir = tempDir('leakscan-fleet-');
const processes: FleetProcess[] = [];
let prometheus: RunningPrometheus;
let watch: ChildProcess;
let watchLog = '';
const watchOut = join(dir, 'watch-evidence');
let leaking: FleetProcess[];
let healthy: FleetProcess[];
let dying: FleetProcess;
let restarting: FleetProcess;
let split: FleetProcess;
let splitPprofPort: number;
let nodeLeak: FleetProcess;
let nodeHealthy: FleetProcess;
/** The restarted instance's count: at its first start, just before it was stopped, and at its second start. */
const restartCounts = { start: 0, beforeStop: 0, restart: 0 };

async function goroutines(address: string): Promise<number> {
  const text = await (await fetch(`http://${address}/metrics`)).text();
  return Number(/^go_goroutines (\d+)/m.exec(text)![1]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  await buildFleetInstance();
  const track = (p: FleetProcess) => (processes.push(p), p);
  leaking = [];
  for (let i = 0; i < 3; i++) leaking.push(track(await startGoInstance({ leak: true })));
  healthy = [];
  for (let i = 0; i < 2; i++) healthy.push(track(await startGoInstance({ leak: false })));
  dying = track(await startGoInstance({ leak: true }));
  const restartAddress = `127.0.0.1:${await freePort()}`;
  restarting = track(await startGoInstance({ leak: true, addr: restartAddress }));
  restartCounts.start = await goroutines(restarting.address);
  splitPprofPort = await freePort();
  split = track(await startGoInstance({ leak: true, pprofAddr: `127.0.0.1:${splitPprofPort}` }));
  nodeLeak = track(await startNodeInstance({ leak: true, addr: `127.0.0.1:${await freePort()}` }));
  nodeHealthy = track(await startNodeInstance({ leak: false, addr: `127.0.0.1:${await freePort()}` }));

  // watch follows one more leaking instance from its start, and is scraped like any target.
  const watched = track(await startGoInstance({ leak: true }));
  const watchAddress = `127.0.0.1:${await freePort()}`;
  watch = spawn(
    process.execPath,
    [cliPath, 'watch', watched.address, '--listen', watchAddress, '--interval', '1', '--window', '6', '--threshold', '60', '--keep', '2', '--out', watchOut],
    {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  watch.stderr!.setEncoding('utf8').on('data', (d: string) => (watchLog += d));

  prometheus = await startPrometheus(join(dir, 'prometheus'), [
    { job: 'orders', targets: [...leaking, ...healthy, dying, restarting].map((p) => p.address) },
    { job: 'web', targets: [nodeLeak, nodeHealthy].map((p) => p.address) },
    { job: 'split', targets: [split.address] },
    { job: 'leakscan', targets: [watchAddress] },
  ]);

  // History: about 12 s for the restarted instance before its restart, 8 s after.
  await sleep(12_000);
  restartCounts.beforeStop = await goroutines(restarting.address);
  await restarting.stop();
  processes.splice(processes.indexOf(restarting), 1);
  restarting = track(await startGoInstance({ leak: true, addr: restartAddress }));
  restartCounts.restart = await goroutines(restarting.address);
  await sleep(8_000);
});

after(async () => {
  if (watch && watch.exitCode === null) await stopChild(watch);
  await Promise.all(processes.map((p) => p.stop()));
  if (prometheus) await prometheus.stop();
});

let scan: ScanJson;
let scanStderr = '';

test('scan ranks the leak site first with its leaking instances, keeps healthy ones low, reports the one that died', async () => {
  let killed = false;
  const result = await runCli(
    [
      'scan',
      '--prometheus',
      prometheus.url,
      '--selector',
      '{job=~"orders|web"}',
      '--window',
      '5m',
      '--count',
      '4',
      '--interval',
      '1',
      '--timeout',
      '5',
      '--out',
      join(dir, 'scan'),
      '--json',
      '--html',
      join(dir, 'fleet.html'),
    ],
    {
      timeoutMs: 120_000,
      onSpawn: (child) => {
        // The dying instance is killed once sampling has begun.
        child.stderr!.on('data', (d: Buffer) => {
          if (!killed && d.toString().includes('sampling ')) {
            killed = true;
            dying.kill();
          }
        });
      },
    },
  );
  scanStderr = result.stderr;
  assert.equal(result.code, 0, result.stderr);
  assert.ok(killed, `the scan never said it was sampling:\n${result.stderr}`);
  scan = JSON.parse(result.stdout) as ScanJson;
  assert.equal(scan.schema, 'leakscan.scan');

  const top = scan.suspects[0]!;
  const summary = scan.suspects
    .slice(0, 3)
    .map((s) => `${s.key} ${s.score} (${s.instances.map((i) => `${i.instance}=${i.score}`).join(' ')})`)
    .join('\n');
  assert.equal(top.anchor?.fn, LEAK_SITE, summary);
  assert.ok(top.score >= 70, summary);
  const leakingThere = new Set(top.instances.filter((i) => i.score >= 50).map((i) => i.instance));
  for (const p of [...leaking, restarting]) assert.ok(leakingThere.has(p.address), `${p.address} missing from the leak's instances:\n${summary}`);
  for (const p of healthy) assert.ok(!leakingThere.has(p.address), `healthy ${p.address} listed as leaking:\n${summary}`);
  assert.equal(top.leaking, leaking.length + 1, summary);

  // Healthy instances: no site scores 30 there, and no other site of the fleet does either.
  for (const s of scan.suspects) {
    for (const i of s.instances) {
      if (healthy.some((h) => h.address === i.instance)) assert.ok(i.score < 30, `${s.key} scored ${i.score} on healthy ${i.instance}`);
    }
    if (s !== top) assert.ok(s.score < 30, `${s.key} scored ${s.score} across the fleet`);
  }

  const dead = scan.instances.find((i) => i.instance === dying.address)!;
  assert.equal(dead.status, 'failed', JSON.stringify(dead));
  assert.match(dead.error ?? '', /connect|refused|closed/);
  assert.ok(scan.instances.filter((i) => i.status === 'sampled').length >= 6, JSON.stringify(scan.instances));
  assert.ok(!top.instances.some((i) => i.instance === dying.address), 'the failed instance is left out of the ranking');
});

test('the pre-screen measures growth across a restart and ranks leaking Go and Node instances above healthy ones', () => {
  const history = scan.prescreen!.instances;
  const restarted = history.find((h) => h.instance === restarting.address)!;
  assert.equal(restarted.restarts, 1, JSON.stringify(restarted));
  assert.equal(restarted.segments.length, 2, JSON.stringify(restarted.segments));
  assert.ok(restarted.growing);
  // Growth is added over the two lives: more than the first life alone, although
  // the count now is far below what it was before the restart.
  const firstLife = restartCounts.beforeStop - restartCounts.start;
  const naive = restarted.segments[1]!.last - restarted.segments[0]!.first;
  assert.ok(restarted.growth > firstLife * 0.8, `growth ${restarted.growth}, first life alone grew ${firstLife}`);
  assert.ok(restarted.growth > naive + 0.5 * firstLife, `growth ${restarted.growth} is no more than last minus first (${naive})`);
  assert.ok(restarted.segments[1]!.first < restartCounts.beforeStop / 2, JSON.stringify(restarted.segments));

  for (const p of [...leaking, nodeLeak])
    assert.ok(history.find((h) => h.instance === p.address)?.growing, `${p.address} not growing: ${JSON.stringify(history)}`);
  for (const p of [...healthy, nodeHealthy]) assert.equal(history.find((h) => h.instance === p.address)?.growing, false, `${p.address} growing`);
  assert.equal(history.find((h) => h.instance === nodeLeak.address)?.runtime, 'node');
  const node = scan.instances.find((i) => i.instance === nodeLeak.address)!;
  assert.equal(node.status, 'prescreen-only');
  assert.match(node.error!, /inspector/);
  // Instances of the split job are outside the selector.
  assert.ok(!scan.instances.some((i) => i.instance === split.address));
});

test('the HTML fleet view shows the leak row across its instances and every history line, offline', async () => {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`file://${join(dir, 'fleet.html')}`);
    const columns = await page.locator('#sites thead th.inst').allTextContents();
    const firstRow = page.locator('#sites tbody tr').first();
    assert.match(await firstRow.locator('th.site').innerText(), /main\.\(\*service\)\.lookup/);
    const cells = await firstRow.locator('td:not(.rank):not(.score)').allTextContents();
    const scoreOf = (address: string) => Number(cells[columns.indexOf(address)]);
    for (const p of leaking) assert.ok(scoreOf(p.address) >= 50, `${p.address}: ${cells.join(' ')}`);
    for (const p of healthy) assert.ok(!(scoreOf(p.address) >= 30), `${p.address}: ${cells.join(' ')}`);
    const lines = (await page.evaluate(`[...document.querySelectorAll('#history polyline.history')].map((e) => e.getAttribute('data-instance'))`)) as string[];
    for (const p of [...leaking, ...healthy, restarting, nodeLeak, nodeHealthy]) assert.ok(lines.includes(p.address), `${p.address} has no history line`);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      requests.filter((u) => !u.startsWith('file://')),
      [],
    );
  } finally {
    await browser.close();
  }
});

test('labels from the fleet are text in the HTML view, never markup', async () => {
  const targets = join(dir, 'hostile.json');
  const job = '<img src=x onerror="document.title=1">&<b>';
  writeFileSync(targets, JSON.stringify([{ targets: [healthy[0]!.address], labels: { job } }]));
  const html = join(dir, 'hostile.html');
  const result = await runCli(['scan', '--targets', targets, '--count', '2', '--interval', '1', '--out', join(dir, 'hostile'), '--html', html], {
    timeoutMs: 60_000,
  });
  assert.equal(result.code, 0, result.stderr);
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(`file://${html}`);
    assert.equal(await page.locator('img, b').count(), 0);
    assert.equal(await page.title(), 'leakscan fleet scan');
    assert.equal(await page.locator('#instances tbody td').first().innerText(), job);
  } finally {
    await browser.close();
  }
});

test('scan text output names the leak, its instances and the Node limitation', async () => {
  const result = await runCli(['scan', '--prometheus', prometheus.url, '--job', 'web', '--window', '5m'], { timeoutMs: 60_000 });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Pre-screen: Prometheus history over 5m/);
  assert.match(result.stdout, /pre-screened only/);
  assert.doesNotMatch(scanStderr, /internal error/);
});

test('--pprof reaches pprof on its own port; without it the instance is reported, not fatal', async () => {
  const without = await runCli(
    ['scan', '--prometheus', prometheus.url, '--job', 'split', '--count', '2', '--interval', '1', '--out', join(dir, 'split-1'), '--json'],
    { timeoutMs: 60_000 },
  );
  assert.equal(without.code, 3, without.stderr);
  const first = JSON.parse(without.stdout) as ScanJson;
  assert.match(first.instances[0]!.error!, /404|pprof/);

  const withTemplate = await runCli(
    [
      'scan',
      '--prometheus',
      prometheus.url,
      '--job',
      'split',
      '--count',
      '3',
      '--interval',
      '1',
      '--out',
      join(dir, 'split-2'),
      '--pprof',
      `http://{host}:${splitPprofPort}/debug/pprof/`,
      '--json',
    ],
    { timeoutMs: 60_000 },
  );
  assert.equal(withTemplate.code, 0, withTemplate.stderr);
  const second = JSON.parse(withTemplate.stdout) as ScanJson;
  assert.equal(second.instances[0]!.status, 'sampled');
  assert.equal(second.suspects[0]!.anchor?.fn, LEAK_SITE);
});

test('check --prometheus fails on the fleet-wide leak, in the gate formats', async () => {
  const junit = join(dir, 'fleet.xml');
  const result = await runCli(
    [
      'check',
      '--prometheus',
      prometheus.url,
      '--job',
      'orders',
      '--window',
      '5m',
      '--count',
      '4',
      '--interval',
      '1',
      '--timeout',
      '5',
      '--out',
      join(dir, 'check'),
      '--format',
      'json',
      '--format',
      `junit=${junit}`,
    ],
    { timeoutMs: 120_000 },
  );
  assert.equal(result.code, 1, result.stderr);
  const gate = JSON.parse(result.stdout) as { schema: string; failed: number; sites: { key: string; verdict: string; explanation: string }[] };
  assert.equal(gate.schema, 'leakscan.check');
  const failing = gate.sites.filter((s) => s.verdict === 'fail');
  assert.equal(failing.length, 1, JSON.stringify(gate.sites.slice(0, 3)));
  assert.match(failing[0]!.key, /^main\.\(\*service\)\.lookup/);
  assert.match(failing[0]!.explanation, /leaking on \d+ of \d+ sampled instances/);
  assert.ok(existsSync(junit));
});

test('check --prometheus passes a healthy fleet', async () => {
  const targets = join(dir, 'healthy.json');
  writeFileSync(targets, JSON.stringify([{ targets: healthy.map((h) => h.address), labels: { job: 'orders-healthy' } }]));
  const result = await runCli(['check', '--targets', targets, '--count', '4', '--interval', '1', '--out', join(dir, 'check-healthy')], { timeoutMs: 60_000 });
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /passed/);
});

test('watch serves per-site gauges that Prometheus scrapes, saves evidence, and stops cleanly on SIGTERM', async () => {
  const byFunction = `function="${LEAK_SITE}"`;
  let tasks: { value: [number, string] }[] = [];
  let score: { value: [number, string] }[] = [];
  for (let i = 0; i < 20; i++) {
    tasks = await queryPrometheus(prometheus.url, `leakscan_site_tasks{job="leakscan",${byFunction}}`);
    score = await queryPrometheus(prometheus.url, `leakscan_site_score{job="leakscan",${byFunction}}`);
    if (tasks.length && score.length && Number(score[0]!.value[1]) >= 60) break;
    await sleep(1000);
  }
  assert.equal(tasks.length, 1, watchLog);
  assert.ok(Number(tasks[0]!.value[1]) > 50, JSON.stringify(tasks));
  assert.ok(Number(score[0]!.value[1]) >= 60, `${JSON.stringify(score)}\n${watchLog}`);
  const growth = await queryPrometheus(prometheus.url, `leakscan_site_growth{job="leakscan",${byFunction}}`);
  assert.ok(Number(growth[0]!.value[1]) > 60, JSON.stringify(growth));
  // A healthy site next to it: the HTTP server's own goroutines stay low.
  const others = await queryPrometheus(prometheus.url, `leakscan_site_score{job="leakscan",function!="${LEAK_SITE}"}`);
  for (const o of others) assert.ok(Number(o.value[1]) < 30, JSON.stringify(o));

  const sets = readdirSync(watchOut).filter((n) => n.startsWith('evidence-'));
  assert.ok(sets.length >= 1 && sets.length <= 2, `${sets.join(', ')}\n${watchLog}`);
  const files = readdirSync(join(watchOut, sets[0]!));
  assert.ok(files.includes('full-dump.json.gz') && files.includes('suspects.json') && files.some((f) => f.startsWith('snapshot-')), String(files));
  assert.match(watchLog, /crossed 60/);

  const exit = new Promise<number | null>((resolve) => watch.once('exit', (code) => resolve(code)));
  watch.kill('SIGTERM');
  assert.equal(await exit, 0, watchLog);
  assert.match(watchLog, /watch stopped/);
});

test('bad input and unreachable servers: one line, the documented exit code', async () => {
  const badSelector = await runCli(['scan', '--prometheus', prometheus.url, '--selector', '{job=~"("}', '--no-sample']);
  assert.equal(badSelector.code, 2, badSelector.stderr);
  assert.match(badSelector.stderr, /^leakscan: Prometheus rejected the query/);
  assert.equal(badSelector.stderr.trim().split('\n').length, 1, badSelector.stderr);

  const notPrometheus = await runCli(['scan', '--prometheus', `http://${healthy[0]!.address}`, '--no-sample']);
  assert.equal(notPrometheus.code, 3, notPrometheus.stderr);
  assert.equal(notPrometheus.stderr.trim().split('\n').length, 1, notPrometheus.stderr);

  const closed = await runCli(['scan', '--prometheus', `http://127.0.0.1:${await freePort()}`]);
  assert.equal(closed.code, 3, closed.stderr);
  assert.match(closed.stderr, /connection refused/);

  // A server that answers in the API's envelope with data of the wrong shape.
  const liar = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"success","data":{"activeTargets":[{"labels":"x","scrapeUrl":1}]}}'),
  );
  await new Promise<void>((r) => liar.listen(0, '127.0.0.1', r));
  const port = (liar.address() as { port: number }).port;
  const garbage = await runCli(['scan', '--prometheus', `http://127.0.0.1:${port}`]);
  liar.close();
  assert.equal(garbage.code, 3, garbage.stderr);
  assert.match(garbage.stderr, /did not answer like the Prometheus HTTP API/);
  assert.doesNotMatch(garbage.stderr, /at .*\.js/);

  const remote = await runCli(['watch', healthy[0]!.address, '--listen', '0.0.0.0:9465']);
  assert.equal(remote.code, 2);
  assert.match(remote.stderr, /not a loopback address.*--allow-remote-listen/);

  const badTemplate = await runCli(['scan', '--prometheus', prometheus.url, '--pprof', 'http://{hots}:6060/']);
  assert.equal(badTemplate.code, 2);
  assert.match(badTemplate.stderr, /unknown placeholder \{hots\}/);

  const badTargets = join(dir, 'bad-targets.json');
  writeFileSync(badTargets, JSON.stringify([{ targets: ['not an address'] }]));
  const badFile = await runCli(['scan', '--targets', badTargets]);
  assert.equal(badFile.code, 2);
  assert.match(badFile.stderr, /is not host:port/);
});
