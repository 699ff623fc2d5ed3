/**
 * Live-target faults during an attach: the target is stopped (SIGSTOP),
 * replaced by another process on the same port, killed, answers slowly,
 * closes its inspector; the disk fills up; --out cannot be made. Whatever was
 * taken is kept and ranked, the exit code says what happened, leakscan never
 * goes on reading a process it did not attach to, and a Node target is left
 * as it was found.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from './helpers/cli.js';
import { startGoFixture } from './helpers/go-fixtures.js';
import type { RunningFixture } from './helpers/go-fixtures.js';
import { tempDir } from './helpers/tmp.js';
import type { DiffJson } from '../src/report/diff-json.js';
import { resources, served, startNodeFixture, withInspectorPort } from './helpers/node-fixtures.js';
import type { RunningNodeFixture } from './helpers/node-fixtures.js';
import { fillDisk, mountSmallDisk, unmountSmallDisk } from './helpers/small-disk.js';

const dir = tempDir();
const running: RunningFixture[] = [];
after(async () => {
  for (const f of running) f.process.kill('SIGCONT');
  await Promise.all(running.map((f) => f.stop()));
});

const saved = (name: string) => readdirSync(join(dir, name)).filter((f) => f.endsWith('.json.gz')).length;

/** Waits for a condition seen from outside, checking every 100 ms; fails after `limitMs` (a bound, not a timing claim). */
async function until(what: string, condition: () => boolean | Promise<boolean>, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await sleep(100);
  }
}

const snapshotFiles = (path: string) => (existsSync(path) ? readdirSync(path).filter((f) => /^snapshot-\d+\.json\.gz$/.test(f)) : []);

/** The one line starting "leakscan: " on stderr (progress lines are the others). */
function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('leakscan: '));
}

test('a target stopped with SIGSTOP: requests time out, are retried, then the attach gives up with what it has', async () => {
  const fixture = await startGoFixture('heartbeat');
  running.push(fixture);
  const result = await runCli(
    ['attach', String(fixture.pid), '--interval', '1', '--count', '8', '--timeout', '1', '--out', join(dir, 'stopped'), '--json', '--no-html'],
    {
      onSpawn: () => void sleep(2500).then(() => fixture.process.kill('SIGSTOP')),
    },
  );
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stderr, /snapshot skipped: no complete answer from .* within 1s/);
  assert.match(result.stderr, /3 snapshots in a row failed; giving up/);
  const taken = saved('stopped');
  assert.ok(taken >= 2, `${taken} snapshots kept`);
  const diff = JSON.parse(result.stdout) as DiffJson;
  assert.equal(diff.snapshots.length, taken);
  assert.equal(diff.suspects[0]?.anchor?.fn, 'main.(*session).heartbeat');
  fixture.process.kill('SIGCONT');
});

test('a target replaced by another process on the same port: the attach stops, it does not read the newcomer', async () => {
  const first = await startGoFixture('heartbeat');
  running.push(first);
  const port = new URL(first.url).port;
  let second: RunningFixture | undefined;
  const result = await runCli(['attach', String(first.pid), '--interval', '1', '--count', '8', '--out', join(dir, 'replaced'), '--json', '--no-html'], {
    onSpawn: () =>
      void sleep(2500).then(async () => {
        await first.stop();
        second = await startGoFixture('workerpool', { args: ['-addr', `127.0.0.1:${port}`] });
        running.push(second);
      }),
  });
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stderr, new RegExp(`the target \\(pid ${first.pid}\\) exited after \\d+ snapshots`));
  assert.ok(second, 'the newcomer was listening on the same port');
  const diff = JSON.parse(result.stdout) as DiffJson;
  assert.ok(
    diff.snapshots.every((s) => s.source.pid === first.pid),
    'every snapshot is of the attached pid',
  );
  assert.ok(!diff.suspects.some((s) => s.anchor?.fn === 'main.(*pool).worker'), 'nothing of the newcomer was read');
});

test('a Node target killed mid-attach: the inspector session ends, what was taken is ranked, exit 3', () =>
  withInspectorPort(async () => {
    const fixture = await startNodeFixture('pending-promises');
    await sleep(1000);
    const result = await runCli(['attach', String(fixture.pid), '--interval', '1', '--count', '10', '--out', join(dir, 'node-killed'), '--json', '--no-html'], {
      onSpawn: () => void sleep(4000).then(() => fixture.process.kill('SIGKILL')),
    });
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /exited|inspector connection closed/);
    const taken = saved('node-killed');
    assert.ok(taken >= 2 && taken < 10, `${taken} snapshots kept`);
    const diff = JSON.parse(result.stdout) as DiffJson;
    assert.equal(diff.snapshots.length, taken);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  }));

test('a Node program that finishes mid-run: one line saying so, what was taken is ranked, exit 3', async () => {
  // Node keeps a finished program alive while a debugger session is open:
  // leakscan must say the program is exiting, not relay the inspector's
  // "Cannot find context", and the program must be gone once it detaches.
  const out = join(dir, 'node-finished');
  const program = 'setInterval(() => {}, 100); setTimeout(() => process.exit(0), 2500);';
  const result = await runCli(['run', '--interval', '1', '--count', '10', '--out', out, '--json', '--no-html', '--', process.execPath, '-e', program]);
  assert.equal(result.code, 3, result.stderr);
  const lines = result.stderr.split('\n');
  assert.ok(
    lines.some((l) => /^leakscan: the target \(pid \d+\) is exiting: its JavaScript has finished; the ranking above uses the \d+ taken$/.test(l)),
    result.stderr,
  );
  assert.match(result.stderr, /pid \d+ has exited: nothing of leakscan's is left in it/);
  assert.doesNotMatch(result.stderr, /Cannot find context|\n\s+at /);
  const diff = JSON.parse(result.stdout) as DiffJson;
  assert.ok(diff.snapshots.length >= 2 && diff.snapshots.length < 10, `${diff.snapshots.length} snapshots ranked`);
});

test('check on a Node program that finishes mid-run with nothing failing: no verdict, never "passed", exit 3', async () => {
  const program = 'setInterval(() => {}, 100); setTimeout(() => process.exit(0), 2500);';
  const result = await runCli(['check', '--interval', '1', '--count', '10', '--out', join(dir, 'node-finished-check'), '--', process.execPath, '-e', program]);
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stderr, /^leakscan: check stopped after \d+ snapshots, with nothing failing so far: no verdict \(exit 3\)$/m);
  assert.doesNotMatch(result.stdout + result.stderr, /passed/);
});

test('an --out that cannot be created: one line, exit 2, the target untouched', async () => {
  const fixture = await startGoFixture('heartbeat');
  running.push(fixture);
  const file = join(dir, 'a-file');
  writeFileSync(file, 'not a directory');
  const result = await runCli(['attach', String(fixture.pid), '--count', '2', '--out', join(file, 'snapshots')]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /cannot create .*a-file\/snapshots: a parent is not a directory/);
  assert.equal(fixture.process.exitCode, null);
});

test('the disk fills up during an attach: the snapshots written are kept whole, no partial file, one line, exit 2', async (t) => {
  const disk = join(dir, 'small-disk');
  mkdirSync(disk);
  const cannotMount = mountSmallDisk(disk, 4 << 20);
  if (cannotMount) return t.skip(cannotMount);
  t.after(() => unmountSmallDisk(disk));
  const fixture = await startGoFixture('heartbeat');
  running.push(fixture);
  const out = join(disk, 'snapshots');
  const result = await runCli(['attach', String(fixture.pid), '--interval', '1', '--count', '12', '--out', out, '--json'], {
    onSpawn: () => void until('two snapshots on the small disk', () => snapshotFiles(out).length >= 2).then(() => fillDisk(disk)),
  });
  assert.equal(result.code, 2, result.stderr);
  assert.deepEqual(errorLines(result.stderr).length, 1, result.stderr);
  assert.match(
    errorLines(result.stderr)[0]!,
    /^leakscan: cannot write .*snapshot-\d+\.json\.gz: no space left on the device; the ranking above uses the \d+ taken, and no HTML report was written$/,
  );
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  // Only whole snapshots in the directory: no temporary file, no report, no gap.
  const files = readdirSync(out).sort();
  const taken = files.length;
  assert.ok(taken >= 2 && taken < 12, `${taken} snapshots kept`);
  assert.deepEqual(
    files,
    Array.from({ length: taken }, (_, i) => `snapshot-${String(i + 1).padStart(3, '0')}.json.gz`),
  );
  for (const file of files) {
    const snapshot = JSON.parse(gunzipSync(readFileSync(join(out, file))).toString('utf8')) as { format: string; source: { pid: number } };
    assert.equal(snapshot.format, 'leakscan.snapshot');
    assert.equal(snapshot.source.pid, fixture.pid);
  }
  // ...and what was taken is still ranked.
  const diff = JSON.parse(result.stdout) as DiffJson;
  assert.equal(diff.snapshots.length, taken);
  assert.equal(diff.suspects[0]?.anchor?.fn, 'main.(*session).heartbeat');
});

test('an --out under /proc (where Node 20 mkdir -p never returns): one line, exit 2, nothing sent to the target', () =>
  withInspectorPort(async () => {
    const fixture = await startNodeFixture('pending-promises');
    try {
      const result = await runCli(['attach', String(fixture.pid), '--count', '2', '--out', '/proc/leakscan-out/snapshots'], { timeoutMs: 20_000 });
      assert.equal(result.code, 2, result.stderr);
      assert.deepEqual(result.stderr.trimEnd().split('\n'), [
        'leakscan: cannot create /proc/leakscan-out: /proc does not allow new directories (a virtual file system such as /proc or /sys?)',
      ]);
      assert.equal(result.stdout, '');
      // The directory is checked before anything is sent: no inspector was opened.
      assert.doesNotMatch(fixture.stderr(), /Debugger listening/);
      assert.equal(fixture.process.exitCode, null);
    } finally {
      await fixture.stop();
    }
  }));

type ProxyMode = 'pass' | 'slow' | '500' | 'html' | 'stall' | 'close' | 'gzip-stall' | 'gzip-close' | 'redirect';

/**
 * A pprof endpoint in front of a real Go target that misbehaves on demand:
 * it fetches the real answer, then passes it on, trickles it slowly (waits
 * 500 ms before the headers, then ten pieces 100 ms apart), answers 500 or
 * an HTML login page, stalls half-way through the body, or closes the
 * socket half-way through. The gzip modes do the same to the gzipped
 * ?debug=0 profile only (fetched for labels when debug=2 has none), and
 * 'redirect' answers 302 to `redirectTo`.
 */
async function pprofProxy(upstream: string, redirectTo = ''): Promise<{ url: string; mode: ProxyMode; answered: number; close(): void }> {
  const proxy = {
    url: '',
    mode: 'pass' as ProxyMode,
    answered: 0,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const answer = await fetch(`${upstream}${req.url}`);
      const body = Buffer.from(await answer.arrayBuffer());
      const headers = { 'content-type': answer.headers.get('content-type') ?? 'text/plain' };
      const half = body.subarray(0, body.length >> 1);
      const gzipped = req.url?.includes('debug=0') ?? false;
      const mode = proxy.mode.startsWith('gzip-') ? (gzipped ? proxy.mode.slice('gzip-'.length) : 'pass') : proxy.mode;
      switch (mode) {
        case 'pass':
          res.writeHead(answer.status, headers).end(body);
          break;
        case 'slow': {
          await sleep(500);
          res.writeHead(answer.status, headers);
          const piece = Math.ceil(body.length / 10);
          for (let at = 0; at < body.length; at += piece) {
            res.write(body.subarray(at, at + piece));
            await sleep(100);
          }
          res.end();
          break;
        }
        case '500':
          res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
          break;
        case 'html':
          res.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><html><body>Sign in</body></html>');
          break;
        case 'stall':
          res.writeHead(answer.status, headers);
          res.write(half); // ...and never the rest
          break;
        case 'close':
          res.writeHead(answer.status, { ...headers, 'content-length': String(body.length) });
          res.write(half, () => res.socket?.destroy());
          break;
        case 'redirect':
          res.writeHead(302, { location: `${redirectTo}${req.url}` }).end();
          break;
      }
      proxy.answered++;
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return proxy;
}

test('a pprof endpoint that answers slowly, within --timeout: the attach succeeds, with progress for every snapshot', async () => {
  const fixture = await startGoFixture('heartbeat');
  running.push(fixture);
  const proxy = await pprofProxy(fixture.url);
  proxy.mode = 'slow';
  try {
    const result = await runCli([
      'attach',
      String(fixture.pid),
      '--url',
      proxy.url,
      '--interval',
      '1',
      '--count',
      '3',
      '--timeout',
      '10',
      '--out',
      join(dir, 'slow'),
      '--json',
      '--no-html',
    ]);
    assert.equal(result.code, 0, result.stderr);
    for (const i of [1, 2, 3]) assert.match(result.stderr, new RegExp(`^snapshot ${i}/3: \\d+ goroutines`, 'm'), `progress for snapshot ${i}`);
    assert.doesNotMatch(result.stderr, /skipped|no complete answer|leakscan: /);
    assert.equal(saved('slow'), 3);
    assert.ok(proxy.answered >= 3, `${proxy.answered} slow answers served`);
    const diff = JSON.parse(result.stdout) as DiffJson;
    assert.equal(diff.snapshots.length, 3);
    assert.equal(diff.suspects[0]?.anchor?.fn, 'main.(*session).heartbeat');
  } finally {
    proxy.close();
  }
});

const midAttachFaults: [Exclude<ProxyMode, 'pass' | 'slow' | 'redirect'>, string, RegExp][] = [
  ['500', 'answers 500', /500/],
  ['html', 'answers an HTML page', /HTML page/],
  ['stall', 'stalls mid-body', /no complete answer .* within 1s/],
  ['close', 'closes the socket mid-body', /closed the connection|terminated|cannot read/],
];
for (const [mode, what, reason] of midAttachFaults) {
  test(`a pprof endpoint that ${what} mid-attach: retried, skipped, then the attach gives up with what it has, exit 3`, async () => {
    const fixture = await startGoFixture('heartbeat');
    running.push(fixture);
    const proxy = await pprofProxy(fixture.url);
    const out = join(dir, `proxy-${mode}`);
    try {
      const result = await runCli(
        ['attach', String(fixture.pid), '--url', proxy.url, '--interval', '1', '--count', '10', '--timeout', '1', '--out', out, '--json', '--no-html'],
        {
          onSpawn: () => void until('two snapshots', () => snapshotFiles(out).length >= 2).then(() => (proxy.mode = mode)),
        },
      );
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr, new RegExp(`^snapshot skipped: .*${reason.source}`, 'm'));
      const [line, ...more] = errorLines(result.stderr);
      assert.deepEqual(more, [], result.stderr);
      assert.match(line ?? '', reason);
      assert.match(line ?? '', /\(3 snapshots in a row failed; giving up\); the ranking above uses the \d+ taken$/);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
      const taken = saved(`proxy-${mode}`);
      assert.ok(taken >= 2 && taken < 10, `${taken} snapshots kept`);
      assert.deepEqual(
        readdirSync(out).filter((f) => !/^snapshot-\d+\.json\.gz$/.test(f)),
        [],
        'nothing half-written',
      );
      const diff = JSON.parse(result.stdout) as DiffJson;
      assert.equal(diff.snapshots.length, taken);
      assert.equal(diff.suspects[0]?.anchor?.fn, 'main.(*session).heartbeat');
    } finally {
      proxy.close();
    }
  });
}

// The gzipped ?debug=0 profile, read through zlib: a cut once crashed leakscan
// with exit 1. attach reads labels from ?debug=1 now (the pause budget), so
// the profile is read where it still is: `leakscan snapshot` of a Go target
// whose full dump has no labels.
const gzipFaults: [ProxyMode, string, RegExp][] = [
  ['gzip-stall', 'stalls mid-body in the gzipped ?debug=0 profile', /no complete answer .*debug=0 within 1s/],
  ['gzip-close', 'closes the socket mid-body in the gzipped ?debug=0 profile', /closed the connection/],
];
for (const [mode, what, reason] of gzipFaults) {
  test(`a pprof endpoint that ${what}: one line, exit 3, nothing written`, async () => {
    const fixture = await startGoFixture('heartbeat');
    running.push(fixture);
    const proxy = await pprofProxy(fixture.url);
    proxy.mode = mode;
    const out = join(dir, `gzip-${mode}.json.gz`);
    try {
      const result = await runCli(['snapshot', proxy.url, '--timeout', '1', '-o', out]);
      assert.equal(result.code, 3, result.stderr);
      const [line, ...more] = errorLines(result.stderr);
      assert.deepEqual(more, [], result.stderr);
      assert.match(line ?? '', reason);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(existsSync(out), false, 'nothing written');
    } finally {
      proxy.close();
    }
  });
}

test('a Node target that closes its inspector mid-attach: what was taken is ranked, one line, exit 3, the target unharmed and the agent gone', () =>
  withInspectorPort(async () => {
    const fixture: RunningNodeFixture = await startNodeFixture('inspector-closer');
    try {
      const out = join(dir, 'inspector-closed');
      const result = await runCli(['attach', String(fixture.pid), '--interval', '1', '--count', '12', '--out', out, '--json', '--no-html'], {
        onSpawn: () =>
          void until('two snapshots', () => snapshotFiles(out).length >= 2).then(() => fetch(`${fixture.url}/admin/inspector/close`, { method: 'POST' })),
      });
      assert.equal(result.code, 3, result.stderr);
      assert.deepEqual(errorLines(result.stderr), [
        `leakscan: the inspector connection to pid ${fixture.pid} closed while the process still runs (it closed its inspector, or the connection was cut); the ranking above uses the ${saved('inspector-closed')} taken`,
      ]);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
      const taken = saved('inspector-closed');
      assert.ok(taken >= 2 && taken < 12, `${taken} snapshots kept`);
      const diff = JSON.parse(result.stdout) as DiffJson;
      assert.equal(diff.snapshots.length, taken);
      assert.match(diff.suspects[0]?.anchor?.file ?? '', /inspector-closer\.mjs$/);
      // From outside, through the fixture's own endpoint: the agent's watchdog
      // removed it once the heartbeats stopped, and no hook is left.
      await until('the agent gone and no async hook left', async () => {
        const seen = await resources(fixture);
        return seen.leakscanAgent === false && seen.asyncHooksActive === false;
      });
      const before = await served(fixture);
      assert.ok((await served(fixture)) > before, 'still serving');
      assert.equal(fixture.process.exitCode, null, 'still running');
      assert.match(fixture.stderr(), /Debugger listening/, 'leakscan opened the inspector');
    } finally {
      await fixture.stop();
    }
  }));

test('a pprof endpoint that redirects mid-attach: the redirect is never followed, wherever it points; skipped, then exit 3', async () => {
  const fixture = await startGoFixture('heartbeat');
  running.push(fixture);
  // Where the redirect points: a real listener that counts who reaches it.
  let reached = 0;
  const elsewhere = createServer((_req, res) => {
    reached++;
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
  const proxy = await pprofProxy(fixture.url, `http://127.0.0.1:${(elsewhere.address() as { port: number }).port}`);
  const out = join(dir, 'proxy-redirect');
  try {
    const result = await runCli(
      ['attach', String(fixture.pid), '--url', proxy.url, '--interval', '1', '--count', '10', '--timeout', '1', '--out', out, '--json', '--no-html'],
      {
        onSpawn: () => void until('two snapshots', () => snapshotFiles(out).length >= 2).then(() => (proxy.mode = 'redirect')),
      },
    );
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /^snapshot skipped: .* answered 302 \(a redirect\); leakscan does not follow redirects from a pprof endpoint$/m);
    const [line, ...more] = errorLines(result.stderr);
    assert.deepEqual(more, [], result.stderr);
    assert.match(line ?? '', /answered 302 .*\(3 snapshots in a row failed; giving up\); the ranking above uses the \d+ taken$/);
    assert.equal(reached, 0, 'nothing reached the address the redirect named');
    const diff = JSON.parse(result.stdout) as DiffJson;
    assert.equal(diff.snapshots.length, saved('proxy-redirect'));
  } finally {
    proxy.close();
    elsewhere.close();
  }
});
