/**
 * bench/hostile-input: peak memory and time of `leakscan snapshot` on three
 * inputs made to hurt it, each in a fresh process (peak RSS from
 * /proc/<pid>/status VmHWM, polled every 20 ms):
 *  - a 34 MB debug=2 dump in which every frame is distinct;
 *  - a pprof endpoint that streams goroutines for ever, and one that
 *    streams a JSON document that never ends;
 *  - a 4 MB gzip file that inflates to 4 GB (zeros).
 *
 *   npm run bench:hostile-input        (or: node dist/bench/hostile-input.js [--cli path/to/leakscan.js])
 *
 * Prints, for each, what leakscan said, its exit code, its peak RSS and
 * that peak as a multiple of the bytes it was given.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { repoRoot } from './crowd.js';

const cliAt = process.argv.indexOf('--cli');
const cli = cliAt >= 0 ? process.argv[cliAt + 1]! : join(repoRoot, 'bin', 'leakscan.js');
const dir = mkdtempSync(join(tmpdir(), 'leakscan-hostile-'));

/** A goroutine block whose eight frames no other block shares. */
function distinctBlock(n: number): string {
  let block = `goroutine ${n + 1} [select]:\n`;
  for (let f = 0; f < 8; f++) block += `main.handler${n}_${f}(0xc000123456)\n\t/src/app/pkg${n % 100}/file${f}.go:${100 + f} +0x1d\n`;
  return `${block}created by main.main in goroutine 1\n\t/src/app/main.go:10 +0x25\n\n`;
}

function distinctDump(bytes: number): string {
  const file = join(dir, 'distinct.txt');
  const parts: string[] = [];
  let size = 0;
  for (let n = 0; size < bytes; n++) {
    const block = distinctBlock(n);
    parts.push(block);
    size += block.length;
  }
  writeFileSync(file, parts.join(''));
  return file;
}

async function gzipBomb(inflated: number): Promise<string> {
  const file = join(dir, 'bomb.gz');
  const zeros = Buffer.alloc(1 << 20);
  function* source() {
    for (let at = 0; at < inflated; at += zeros.length) yield zeros;
  }
  await pipeline(Readable.from(source()), createGzip({ level: 9 }), createWriteStream(file));
  return file;
}

/** A pprof endpoint whose debug=2 answer never ends: the same goroutine with new ids, or one JSON array. */
async function endlessEndpoint(kind: 'goroutines' | 'json'): Promise<{ url: string; sent: () => number; close: () => void }> {
  const block = readFileSync(join(repoRoot, 'fixtures', 'dumps', 'go1.25.14-debug2.txt'), 'utf8').split('\n\n')[0]!;
  const body = block.slice(block.indexOf('\n') + 1);
  let sent = 0;
  const server = createServer((req, res) => {
    if (!req.url?.includes('/goroutine?debug=2')) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain' });
    let id = 1;
    if (kind === 'json') res.write('{"format": "leakscan.snapshot", "tasks": [');
    const more = () => {
      let chunk = '';
      while (chunk.length < 1 << 20) chunk += kind === 'json' ? `{"id": "${id++}", "kind": "goroutine"}, ` : `goroutine ${id++} [select]:\n${body}\n\n`;
      sent += chunk.length;
      if (res.write(chunk)) setImmediate(more);
      else res.once('drain', more);
    };
    res.on('error', () => {});
    more();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, sent: () => sent, close: () => server.close() };
}

interface Run {
  code: number | null;
  peakMiB: number;
  seconds: number;
  said: string;
}

function measure(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let said = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (said += d));
    let peak = 0;
    const poll = setInterval(() => {
      try {
        const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (hwm) peak = Math.max(peak, Number(hwm[1]) / 1024);
      } catch {
        /* exited */
      }
    }, 20);
    child.on('close', (code) => {
      clearInterval(poll);
      resolve({
        code,
        peakMiB: Math.round(peak),
        seconds: Math.round((performance.now() - started) / 100) / 10,
        said: said.trim().split('\n').pop()!.slice(0, 110),
      });
    });
  });
}

const rows: string[] = [];
const row = (name: string, inputMiB: number, run: Run) =>
  rows.push(
    `| ${name} | ${inputMiB.toFixed(0)} MiB | ${run.code} | ${run.peakMiB} MiB | ${(run.peakMiB / inputMiB).toFixed(1)}x | ${run.seconds} s | ${run.said.replace(/\|/g, '\\|')} |`,
  );

try {
  const distinct = distinctDump(34e6);
  row('34 MB dump, every frame distinct', statSync(distinct).size / 2 ** 20, await measure(['snapshot', distinct, '-o', join(dir, 'd.json')]));

  for (const kind of ['goroutines', 'json'] as const) {
    const endless = await endlessEndpoint(kind);
    const run = await measure(['snapshot', endless.url, '--no-leak-profile', '--no-labels', '--timeout', '600', '-o', join(dir, 'e.json')]);
    endless.close();
    row(`endless pprof stream of ${kind} (bytes sent)`, endless.sent() / 2 ** 20, run);
  }

  const bomb = await gzipBomb(4 * 2 ** 30);
  row('4 MB gzip bomb (4 GiB of zeros)', statSync(bomb).size / 2 ** 20, await measure(['snapshot', bomb, '-o', join(dir, 'b.json')]));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`leakscan: ${cli}\n`);
console.log('| input | size | exit | peak RSS | RSS / input | time | last line on stderr |');
console.log('|---|---|---|---|---|---|---|');
for (const line of rows) console.log(line);
