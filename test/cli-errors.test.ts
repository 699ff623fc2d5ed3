/**
 * Bad input and unreachable targets: one clear line on stderr, the
 * documented exit code, no stack trace, and no output file left behind.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { runCli } from './helpers/cli.js';
import type { CliResult } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { cliPath, dumpsDir } from './helpers/paths.js';

const dir = tempDir();
const servers: Server[] = [];

function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as { port: number };
      resolve(`http://127.0.0.1:${address.port}`);
    }),
  );
}

after(() => {
  for (const server of servers) {
    server.closeAllConnections?.();
    server.close();
  }
});

function assertOneLineError(result: CliResult, exitCode: number, pattern: RegExp): void {
  assert.equal(result.code, exitCode, `exit code; stderr: ${result.stderr}`);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0]!, /^leakscan: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(result.stdout, '');
}

function assertNoOutput(name: string): void {
  assert.equal(existsSync(join(dir, name)), false, `${name} must not be written`);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.includes(name)),
    [],
    'no temporary file left behind',
  );
}

let realDump: Buffer;
before(() => {
  realDump = readFileSync(join(dumpsDir, 'go1.26.8-debug2.txt'));
});

test('a file that is not a dump: exit 2', async () => {
  const file = join(dir, 'notes.txt');
  writeFileSync(file, 'shopping list\neggs\nmilk\n');
  const result = await runCli(['snapshot', file, '-o', join(dir, 'out1.json')]);
  assertOneLineError(result, 2, /not a Go goroutine dump/);
  assertNoOutput('out1.json');
});

test('an empty file: exit 2', async () => {
  const file = join(dir, 'empty.txt');
  writeFileSync(file, '');
  assertOneLineError(await runCli(['show', file]), 2, /empty/);
});

test('an HTML file: exit 2, says it is HTML', async () => {
  const file = join(dir, 'page.html');
  writeFileSync(file, '<!DOCTYPE html><html><body>goroutine 1 [running]:</body></html>');
  assertOneLineError(await runCli(['show', file]), 2, /HTML page/);
});

test('a truncated gzip file: exit 2', async () => {
  const file = join(dir, 'cut.txt.gz');
  const gz = gzipSync(realDump);
  writeFileSync(file, gz.subarray(0, gz.length >> 1));
  const result = await runCli(['snapshot', file, '-o', join(dir, 'out2.json')]);
  assertOneLineError(result, 2, /truncated or corrupt gzip/);
  assertNoOutput('out2.json');
});

test('random binary garbage: exit 2', async () => {
  const file = join(dir, 'garbage.bin');
  const bytes = Buffer.alloc(4096);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 251;
  writeFileSync(file, bytes);
  assertOneLineError(await runCli(['show', file]), 2, /profile\.proto|not a/);
});

test('a profile.proto the decoder cannot read: exit 2, one line naming the file, in its own words', async () => {
  // A real goroutine profile behind a field of wire type 7, which protobuf does not have.
  const file = join(dir, 'odd-goroutine.pb.gz');
  const proto = gunzipSync(readFileSync(join(dumpsDir, 'go1.26.8-debug0.pb.gz')));
  writeFileSync(file, gzipSync(Buffer.concat([Buffer.from([0x0f]), proto])));
  for (const command of [
    ['show', file],
    ['diff', file, file],
  ]) {
    const result = await runCli(command);
    assertOneLineError(result, 2, /odd-goroutine\.pb\.gz: not a valid profile\.proto \(a damaged file, or not a pprof profile\)$/);
    assert.doesNotMatch(result.stderr, /Unrecognized|value type/);
  }
});

test('a snapshot from a newer leakscan: exit 2, says to upgrade', async () => {
  const file = join(dir, 'future.json');
  writeFileSync(file, JSON.stringify({ format: 'leakscan.snapshot', version: 99, runtime: 'go', takenAt: 0, source: {}, frames: [], stacks: [], tasks: [] }));
  assertOneLineError(await runCli(['show', file]), 2, /version 99 is newer.*upgrade/);
});

test('a gzipped snapshot with no runtime or another runtime: exit 2, one line naming the file and the field', async () => {
  const cases: [string, unknown, RegExp][] = [
    ['no-runtime', undefined, /no-runtime\.json\.gz: snapshot names no runtime \(a damaged snapshot file\?\); leakscan reads "go" and "node" snapshots$/],
    ['python', 'python', /python\.json\.gz: snapshot is of runtime "python"; leakscan reads "go" and "node" snapshots$/],
    ['number-runtime', 7, /number-runtime\.json\.gz: snapshot has a runtime that is not text/],
  ];
  for (const [name, runtime, reason] of cases) {
    const file = join(dir, `${name}.json.gz`);
    writeFileSync(
      file,
      gzipSync(JSON.stringify({ format: 'leakscan.snapshot', version: 1, runtime, takenAt: 0, source: {}, frames: [], stacks: [], tasks: [] })),
    );
    for (const command of [
      ['show', file],
      ['diff', file, file],
    ]) {
      const result = await runCli(command);
      assertOneLineError(result, 2, reason);
      assert.doesNotMatch(result.stderr, /undefined/);
    }
  }
});

test('a damaged snapshot (dangling stack index): exit 2', async () => {
  const file = join(dir, 'dangling.json');
  writeFileSync(
    file,
    JSON.stringify({
      format: 'leakscan.snapshot',
      version: 1,
      runtime: 'go',
      takenAt: 0,
      source: {},
      frames: [],
      stacks: [],
      tasks: [{ kind: 'goroutine', state: 'select', stack: 3 }],
    }),
  );
  assertOneLineError(await runCli(['show', file]), 2, /malformed task/);
});

test('a missing file and a directory: exit 2', async () => {
  assertOneLineError(await runCli(['show', join(dir, 'nope.json')]), 2, /no such file/);
  assertOneLineError(await runCli(['show', dir]), 2, /is a directory/);
});

test('an output path that cannot be written: exit 2', async () => {
  const file = join(dir, 'ok-dump.txt');
  writeFileSync(file, realDump);
  assertOneLineError(await runCli(['snapshot', file, '-o', join(dir, 'missing-dir', 'out.json')]), 2, /cannot write .*no such file/);
});

test('usage errors: exit 2', async () => {
  assertOneLineError(await runCli(['snapshot']), 2, /missing required argument/);
  assertOneLineError(await runCli(['show', 'x', '--top', 'many']), 2, /positive whole number/);
  assertOneLineError(await runCli(['snapshot', 'not a url or file']), 2, /no such file, and not a URL/);
});

test('diff and run --help say their exit codes; diff gives the 2 it documents to a file that is not a snapshot', async () => {
  const diffHelp = await runCli(['diff', '--help']);
  assert.equal(diffHelp.code, 0);
  assert.match(diffHelp.stdout, /^Exit codes: 0 done \(leaks or not: use leakscan check to gate\), 2 usage,$/m);
  const runHelp = (await runCli(['run', '--help'])).stdout.replace(/\s+/g, ' ');
  assert.match(runHelp, /Exit codes: 0 done .* 2 usage, input or output error, 3 the program exited or was not readable within --wait/);
  assert.match(
    runHelp,
    /--wait <duration> how long to wait for the program to be readable: a Go program to serve pprof, a Node\.js program to open the inspector/,
  );
  const file = join(dir, 'not-a-snapshot.txt');
  writeFileSync(file, 'shopping list\n');
  assertOneLineError(await runCli(['diff', file]), 2, /not a Go goroutine dump/);
});

test('a port where nothing listens: exit 3', async () => {
  const url = await serve(() => {});
  servers.pop()!.close();
  const result = await runCli(['snapshot', url, '-o', join(dir, 'out3.json')]);
  assertOneLineError(result, 3, /connection refused/);
  assertNoOutput('out3.json');
  // ":port" is this machine, as go tool pprof reads it: a target that is not there, not a bad argument.
  const port = new URL(url).port;
  assertOneLineError(await runCli(['snapshot', `:${port}`, '-o', join(dir, 'out3b.json')]), 3, /connection refused/);
});

test('an --html path that cannot be written: exit 2 before any request reaches the target', async () => {
  let requests = 0;
  const url = await serve((_req, res) => {
    requests++;
    res.writeHead(404).end();
  });
  for (const [html, why] of [
    [join(dir, 'no-such-dir', 'r.html'), /no such file or directory/],
    [dir, /it is a directory/],
  ] as const) {
    const result = await runCli(['attach', '1', '--url', url, '--count', '2', '--interval', '1', '--html', html, '--out', join(dir, 'never')]);
    assertOneLineError(result, 2, new RegExp(`cannot write the report to .*: ${why.source}`));
  }
  assert.equal(requests, 0, 'nothing was asked of the target');
  assert.equal(existsSync(join(dir, 'never')), false, 'no snapshot directory was made');
});

test('a web server that is not pprof (404): exit 3, says how to enable pprof', async () => {
  const url = await serve((_req, res) => res.writeHead(404).end('404 page not found'));
  const result = await runCli(['snapshot', url, '-o', join(dir, 'out4.json')]);
  assertOneLineError(result, 3, /404.*net\/http\/pprof/);
  assertNoOutput('out4.json');
});

test('check --url at a web server that is not pprof: gives up at the first answer, exit 3, no directory left', async () => {
  let requests = 0;
  const url = await serve((_req, res) => {
    requests++;
    res.writeHead(404).end('404 page not found');
  });
  const state = join(dir, 'state-404');
  const result = await runCli(['check', '--url', url, '--count', '6', '--interval', '5'], { env: { XDG_STATE_HOME: state } });
  assert.equal(result.code, 3, result.stderr);
  const errors = result.stderr.split('\n').filter((line) => line.startsWith('leakscan: '));
  assert.equal(errors.length, 1, result.stderr);
  assert.match(errors[0]!, /404.*not a readable pprof endpoint, nothing was taken/);
  assert.doesNotMatch(result.stderr, /snapshot skipped/, 'no wait for retries of an answer that will not change');
  assert.ok(requests <= 2, `${requests} requests`);
  const left = existsSync(join(state, 'leakscan')) ? readdirSync(join(state, 'leakscan')) : [];
  assert.deepEqual(left, [], 'the empty snapshot directory is removed');
});

test('check --url at an endpoint whose goroutine profile lists no goroutines: refused, exit 3, no directory left', async () => {
  // A stub that answers every goroutine profile with a header and no
  // records; a live process always has the goroutine serving the request.
  const url = await serve((req, res) => {
    if (!req.url?.startsWith('/debug/pprof/goroutine?')) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain' }).end('goroutine profile: total 3\n');
  });
  const state = join(dir, 'state-empty-profile');
  const result = await runCli(['check', '--url', url, '--count', '4', '--interval', '1'], { env: { XDG_STATE_HOME: state } });
  assert.equal(result.code, 3, result.stderr);
  const errors = result.stderr.split('\n').filter((line) => line.startsWith('leakscan: '));
  assert.equal(errors.length, 1, result.stderr);
  assert.match(errors[0]!, /says total 3 but lists no goroutines: not a complete dump; not a readable pprof endpoint, nothing was taken/);
  assert.doesNotMatch(result.stderr, /holds 0 goroutines|passed/);
  const left = existsSync(join(state, 'leakscan')) ? readdirSync(join(state, 'leakscan')) : [];
  assert.deepEqual(left, [], 'the empty snapshot directory is removed');
});

test('goroutine profile files with no goroutines: exit 2; an empty goroutineleak profile still reads', async () => {
  const emptyText = join(dir, 'no-goroutines-debug1.txt');
  writeFileSync(emptyText, 'goroutine profile: total 0\n');
  const emptyProto = join(dir, 'no-goroutines-debug0.pb.gz');
  writeFileSync(emptyProto, withoutSamples('go1.26.8-debug0.pb.gz'));
  for (const file of [emptyText, emptyProto]) {
    assertOneLineError(await runCli(['show', file]), 2, /goroutine profile holds no goroutines: not a complete dump/);
    assertOneLineError(await runCli(['diff', file, file]), 2, /holds no goroutines/);
  }
  // The goroutineleak profile lists only leaked goroutines: none is a real answer.
  const noLeaksText = join(dir, 'no-leaks-debug1.txt');
  writeFileSync(noLeaksText, 'goroutineleak profile: total 0\n');
  const noLeaksProto = join(dir, 'no-leaks-debug0.pb.gz');
  writeFileSync(noLeaksProto, withoutSamples('go1.26.8-goroutineleak-debug0.pb.gz'));
  for (const file of [noLeaksText, noLeaksProto]) {
    const result = await runCli(['show', file]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^0 goroutines$/m);
  }
});

/** A real debug=0 fixture with its samples removed: the header and tables of a real profile, no goroutines. */
function withoutSamples(fixture: string): Buffer {
  const profile = Profile.decode(gunzipSync(readFileSync(join(dumpsDir, fixture))));
  profile.sample = [];
  return gzipSync(profile.encode());
}

test('a --url that cannot be a URL: exit 2 before anything is sent', async () => {
  assertOneLineError(await runCli(['check', '--url', 'http://x y', '--count', '2']), 2, /not a URL: http:\/\/x y/);
  assertOneLineError(await runCli(['snapshot', 'http://x y/debug/pprof/goroutine']), 2, /not a URL/);
});

test('an endpoint that answers with an HTML page: exit 3', async () => {
  const url = await serve((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>login</body></html>'));
  const result = await runCli(['snapshot', url, '-o', join(dir, 'out5.json')]);
  assertOneLineError(result, 3, /HTML page/);
  assertNoOutput('out5.json');
});

test('an endpoint that answers 500: exit 3', async () => {
  const url = await serve((_req, res) => res.writeHead(500).end('boom'));
  assertOneLineError(await runCli(['snapshot', url, '-o', join(dir, 'out6.json')]), 3, /500/);
  assertNoOutput('out6.json');
});

test('an endpoint that hangs: gives up after --timeout, exit 3', async () => {
  const url = await serve(() => {
    /* never answers */
  });
  const result = await runCli(['snapshot', url, '--timeout', '1', '-o', join(dir, 'out7.json')]);
  assertOneLineError(result, 3, /no complete answer .* within 1s/);
  assertNoOutput('out7.json');
});

test('an endpoint that stalls mid-body: exit 3, nothing written', async () => {
  const url = await serve((req, res) => {
    if (!req.url?.startsWith('/debug/pprof/goroutine?')) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write(realDump.subarray(0, realDump.length >> 1));
    // ...and never ends the body.
  });
  const result = await runCli(['snapshot', url, '--timeout', '1', '-o', join(dir, 'out8.json')]);
  assertOneLineError(result, 3, /no complete answer/);
  assertNoOutput('out8.json');
});

test('an endpoint that closes the socket mid-body: exit 3, nothing written', async () => {
  const url = await serve((req, res) => {
    if (!req.url?.startsWith('/debug/pprof/goroutine?')) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(realDump.length) });
    res.write(realDump.subarray(0, realDump.length >> 1), () => res.socket?.destroy());
  });
  const result = await runCli(['snapshot', url, '-o', join(dir, 'out9.json')]);
  assertOneLineError(result, 3, /closed the connection|terminated|cannot read/);
  assertNoOutput('out9.json');
});

test('a label with an invalid Go escape: exit 2, one line naming the file', async () => {
  // Go's strconv.Quote never writes these; a dump that has them is damaged or forged.
  const labelled = readFileSync(join(dumpsDir, 'go1.26.8-debug2-tracebacklabels.txt'), 'latin1');
  for (const [i, escape] of ['\\q', '\\uZZZZ', '\\U0011ffff', '\\ud800', '\\xZ1'].entries()) {
    const file = join(dir, `bad-escape-${i}.txt`);
    writeFileSync(file, labelled.replace('labels:{"', `labels:{"a${escape}b": "x", "`), 'latin1');
    assertOneLineError(await runCli(['show', file]), 2, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: invalid escape`));
  }
});

test('snapshot files with impossible values (a huge or negative takenAt, a pid that is text): exit 2, one line', async () => {
  const valid = {
    format: 'leakscan.snapshot',
    version: 1,
    runtime: 'go',
    takenAt: 1_764_000_000_000,
    source: { pid: 42 },
    frames: [{ fn: 'main.worker', file: '/src/main.go', line: 12 }],
    stacks: [[0]],
    tasks: [{ id: '1', kind: 'goroutine', state: 'select', stack: 0 }],
  };
  const cases: [string, (s: Record<string, unknown>) => void, RegExp][] = [
    ['huge-time', (s) => (s.takenAt = 1e300), /no valid takenAt/],
    ['negative-time', (s) => (s.takenAt = -1e20), /no valid takenAt/],
    ['text-pid', (s) => (s.source = { pid: '42; rm -rf /' }), /pid that is not a process id/],
    ['text-warnings', (s) => (s.warnings = [{}]), /warnings that are not text/],
    ['object-labels', (s) => (s.tasks = [{ id: '1', kind: 'goroutine', state: 'select', stack: 0, labels: { a: { b: 1 } } }]), /labels are not text/],
  ];
  for (const [name, damage, reason] of cases) {
    const snapshot = structuredClone(valid) as Record<string, unknown>;
    damage(snapshot);
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(snapshot));
    for (const command of [
      ['show', file],
      ['report', file, '-o', join(dir, `${name}.html`)],
      ['diff', file, file],
    ]) {
      assertOneLineError(await runCli(command), 2, reason);
    }
    assertNoOutput(`${name}.html`);
  }
});

test('a FIFO or a symlink to /dev/zero in a snapshot directory: exit 2, one line, no hang', async () => {
  const valid = JSON.stringify({
    format: 'leakscan.snapshot',
    version: 1,
    runtime: 'go',
    takenAt: 1_764_000_000_000,
    source: {},
    frames: [],
    stacks: [],
    tasks: [],
  });
  for (const [name, plant] of [
    ['fifo', (path: string) => execFileSync('mkfifo', [path])],
    ['zero', (path: string) => symlinkSync('/dev/zero', path)],
  ] as const) {
    const series = join(dir, `series-${name}`);
    mkdirSync(series);
    writeFileSync(join(series, 'snapshot-1.json'), valid);
    plant(join(series, 'snapshot-2.json.gz'));
    const result = await runCli(['diff', series], { timeoutMs: 20_000 });
    assertOneLineError(result, 2, /snapshot-2\.json\.gz: not a regular file/);
  }
});

test('standard output that cannot be written (a full disk): exit 2, one line, not a crash', async () => {
  // Exit 1 would read as "leaks found" to a CI gate.
  const stdout = openSync('/dev/full', 'w');
  try {
    const child = spawn(process.execPath, [cliPath, 'show', join(dumpsDir, 'go1.26.8-debug2.txt')], { stdio: ['ignore', stdout, 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const [code] = (await once(child, 'close')) as [number];
    assert.equal(code, 2, stderr);
    assert.deepEqual(stderr.trimEnd().split('\n'), ['leakscan: cannot write to standard output: no space left on the device']);
  } finally {
    closeSync(stdout);
  }
});

test('--duration shorter than --interval: one line, exit 2, before anything is read', async () => {
  for (const args of [
    ['check', '--url', 'http://127.0.0.1:1', '--duration', '1s', '--interval', '5s'],
    ['attach', '999999', '--duration', '1s', '--interval', '5s'],
  ]) {
    assertOneLineError(await runCli(args), 2, /--duration 1s is shorter than --interval 5s: a series needs two snapshots one interval apart/);
  }
});
