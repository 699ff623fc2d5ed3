/**
 * Property tests for every input path (fast-check, fixed seed, a bounded
 * budget): random bytes, real dumps cut anywhere, lines swapped or
 * corrupted, damaged gzip and protobuf, huge lines and unicode, label text
 * with every Go escape (and escapes Go never writes). Each input either
 * reads as a snapshot or fails with one InputError: never another
 * exception. Hostile inputs are parsed in a child process whose peak memory
 * and time are bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { snapshotFromChunks } from '../src/formats/detect.js';
import { InputError } from '../src/util/errors.js';
import { summarizeSnapshot } from '../src/analysis/summary.js';
import { dumpsDir, repoRoot } from './helpers/paths.js';

const SEED = 20261122;
const RUNS = Number(process.env.LEAKSCAN_FUZZ_RUNS ?? 300);

const textDumps = readdirSync(dumpsDir)
  .filter((f) => f.endsWith('.txt'))
  .map((f) => readFileSync(join(dumpsDir, f)));
const protoDumps = readdirSync(dumpsDir)
  .filter((f) => f.endsWith('.pb.gz'))
  .map((f) => gunzipSync(readFileSync(join(dumpsDir, f))));

async function readsOrRefuses(bytes: Buffer, chunkSize: number): Promise<void> {
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
  }
  try {
    const snapshot = await snapshotFromChunks(chunks(), { name: 'fuzz', source: {}, maxBytes: 8 << 20 });
    // Whatever was read must be usable downstream.
    summarizeSnapshot(snapshot);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    assert.doesNotMatch(error.message, /\n/, 'one line');
  }
}

const chunkSize = fc.integer({ min: 1, max: 70_000 });

test('random bytes', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), chunkSize, (bytes, size) => readsOrRefuses(Buffer.from(bytes), size)),
    { seed: SEED, numRuns: RUNS },
  );
});

test('real dumps cut anywhere', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: textDumps.length - 1 }), fc.double({ min: 0, max: 1, noNaN: true }), chunkSize, (i, at, size) => {
      const dump = textDumps[i]!;
      return readsOrRefuses(dump.subarray(0, Math.floor(dump.length * at)), size);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('real dumps with lines swapped, dropped, duplicated or corrupted', async () => {
  const mutation = fc.record({
    dump: fc.integer({ min: 0, max: textDumps.length - 1 }),
    ops: fc.array(fc.tuple(fc.constantFrom('swap', 'drop', 'dup', 'garble', 'huge', 'unicode'), fc.nat(), fc.nat()), { minLength: 1, maxLength: 8 }),
  });
  await fc.assert(
    fc.asyncProperty(mutation, chunkSize, ({ dump, ops }, size) => {
      const lines = textDumps[dump]!.toString('utf8').split('\n');
      for (const [op, a, b] of ops) {
        const i = a % lines.length;
        const j = b % lines.length;
        if (op === 'swap') [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        else if (op === 'drop') lines.splice(i, 1);
        else if (op === 'dup') lines.splice(i, 0, lines[j]!);
        else if (op === 'garble')
          lines[i] = lines[i]!.split('')
            .reverse()
            .join('')
            .replace(/[[\]:(){}"]/g, (c) => (b % 2 ? c : '\\'));
        else if (op === 'huge') lines[i] = `${lines[i]}${'x'.repeat(1000 + (b % 300_000))}`;
        else lines[i] = `${lines[i]} ☃ 𝕘𝕠 \u0000\u202e`;
      }
      return readsOrRefuses(Buffer.from(lines.join('\n')), size);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('damaged gzip and profile.proto', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: protoDumps.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 16 }),
      fc.boolean(),
      (i, flips, rezip) => {
        const proto = Buffer.from(protoDumps[i]!);
        for (const [at, value] of flips) proto[at % proto.length] = value;
        const bytes = rezip ? gzipSync(proto) : proto;
        if (!rezip) {
          // Damage the gzip stream itself instead.
          const zipped = gzipSync(protoDumps[i]!);
          for (const [at, value] of flips) zipped[10 + (at % (zipped.length - 10))] = value;
          return readsOrRefuses(zipped, 4096);
        }
        return readsOrRefuses(bytes, 4096);
      },
    ),
    { seed: SEED, numRuns: RUNS },
  );
});

test('a profile.proto whose type name runs past its length is refused on one line', async () => {
  // Found by a long run of the property above: the damaged name ran into the
  // rest of the string table, newlines and all, and into the message.
  const file = readdirSync(dumpsDir).find((f) => f.includes('goroutineleak-debug0'))!;
  const proto = Buffer.from(gunzipSync(readFileSync(join(dumpsDir, file))));
  const name = proto.indexOf('goroutineleak');
  assert.equal(proto[name - 1], 'goroutineleak'.length, 'the length byte before the name');
  proto[name - 1] = 128;
  async function* chunks() {
    yield gzipSync(proto);
  }
  await assert.rejects(snapshotFromChunks(chunks(), { name: 'damaged.pb.gz', source: {}, maxBytes: 8 << 20 }), (error) => {
    assert.ok(error instanceof InputError);
    assert.match(error.message, /not a goroutine profile/);
    assert.doesNotMatch(error.message, /[\n\r]/, 'one line');
    return true;
  });
});

test('a gzip bomb is refused at the size cap, not read into memory', async () => {
  // 64 MiB of real goroutine blocks, compressed to well under a megabyte.
  const block = textDumps.find((d) => d.length > 20_000)!;
  const bomb = gzipSync(Buffer.concat(Array.from({ length: Math.ceil((64 << 20) / block.length) }, () => block)), { level: 9 });
  assert.ok(bomb.length < 4 << 20, `small on disk: ${bomb.length} bytes`);
  async function* chunks() {
    yield bomb;
  }
  await assert.rejects(
    snapshotFromChunks(chunks(), { name: 'bomb.gz', source: {}, maxBytes: 16 << 20 }),
    (error) => error instanceof InputError && /larger than 16 MiB/.test(error.message),
  );
});

/** strconv.Quote's escapes, chosen at random where Go could print a rune either raw or escaped. */
function goQuote(codePoints: number[], escapeChoice: boolean[]): string {
  let out = '"';
  codePoints.forEach((cp, i) => {
    const ch = String.fromCodePoint(cp);
    const named: Record<number, string> = {
      0x07: '\\a',
      0x08: '\\b',
      0x0c: '\\f',
      0x0a: '\\n',
      0x0d: '\\r',
      0x09: '\\t',
      0x0b: '\\v',
      0x5c: '\\\\',
      0x22: '\\"',
    };
    if (named[cp] !== undefined) out += named[cp];
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp < 0x80) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (!escapeChoice[i % escapeChoice.length]) out += ch;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  });
  return `${out}"`;
}

const codePoint = fc.oneof(
  fc.integer({ min: 0, max: 0x7f }),
  fc.integer({ min: 0x80, max: 0xd7ff }),
  fc.integer({ min: 0xe000, max: 0x10ffff }),
  fc.constantFrom(0x2028, 0x2029, 0x22, 0x5c, 0x0a),
);
const labelText = fc.array(codePoint, { maxLength: 24 });
const labelKey = fc.oneof(
  labelText,
  fc.constantFrom('__proto__', 'constructor', 'toString').map((k) => [...k].map((c) => c.codePointAt(0)!)),
);

test('Go-quoted label text, every escape Go writes: decodes to the very text, keys like __proto__ included', async () => {
  const dump = readFileSync(join(dumpsDir, 'go1.26.8-debug2-tracebacklabels.txt'), 'utf8');
  const original = 'goroutine 44 [select labels:{"handler": "checkout", "tenant": "acme"}]:';
  await fc.assert(
    fc.asyncProperty(labelKey, labelText, fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), chunkSize, async (key, value, escapes, size) => {
      const header = `goroutine 44 [select labels:{${goQuote(key, escapes)}: ${goQuote(value, escapes)}}]:`;
      const bytes = Buffer.from(dump.replace(original, header));
      async function* chunks() {
        for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
      }
      const snapshot = await snapshotFromChunks(chunks(), { name: 'fuzz', source: {} });
      const task = snapshot.tasks.find((t) => t.id === '44')!;
      assert.deepEqual(Object.entries(task.labels ?? {}), [[String.fromCodePoint(...key), String.fromCodePoint(...value)]]);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

const invalidEscape = fc.constantFrom('\\q', '\\uZZZZ', '\\u12', '\\U00110000', '\\UFFFFFFFF', '\\ud800', '\\udfff', '\\x4', '\\xZ1', '\\8', '\\400', '\\');
test('label text with an escape Go never writes: one InputError, never another exception', async () => {
  const dump = readFileSync(join(dumpsDir, 'go1.26.8-debug2-tracebacklabels.txt'), 'utf8');
  const original = 'goroutine 44 [select labels:{"handler": "checkout", "tenant": "acme"}]:';
  await fc.assert(
    fc.asyncProperty(labelText, invalidEscape, labelText, fc.boolean(), chunkSize, async (before, escape, after, inKey, size) => {
      const text = `${goQuote(before, [true]).slice(0, -1)}${escape}${goQuote(after, [true]).slice(1)}`;
      const header = inKey ? `goroutine 44 [select labels:{${text}: "v"}]:` : `goroutine 44 [select labels:{"k": ${text}}]:`;
      await readsOrRefuses(Buffer.from(dump.replace(original, header)), size);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

/**
 * Hostile inputs, each parsed in a fresh process: a dump in which every
 * frame is distinct, a line that never ends, a JSON document cut short, and
 * gzip bombs (members of zeros or of a real dump, concatenated). Whatever
 * happens, it is read or refused with one line, the peak RSS grows by at
 * most four times the input's bytes (inflated bytes for gzip: at most what
 * the caps let through) plus a fixed allowance, and it ends in bounded time.
 */
test('hostile inputs: read or refused within memory that follows the input, in bounded time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'leakscan-fuzz-'));
  const zeros64 = gzipSync(Buffer.alloc(64 << 20), { level: 9 });
  const realDump = gzipSync(Buffer.concat(Array.from({ length: 24 }, () => textDumps[0]!)), { level: 9 });
  const distinct = (blocks: number) => {
    const parts: string[] = [];
    for (let n = 0; n < blocks; n++) {
      let block = `goroutine ${n + 1} [select]:\n`;
      for (let f = 0; f < 8; f++) block += `main.h${n}_${f}(0x1)\n\t/src/p${n % 97}/f${f}.go:${100 + f} +0x1d\n`;
      parts.push(`${block}\n`);
    }
    return Buffer.from(parts.join(''));
  };
  // Described by kind and size, built in the property: a counterexample prints as a line, not as its bytes.
  // What each input inflates to (gzip), or its size.
  const inflated: Record<string, (n: number, bytes: Buffer) => number> = {
    'gzip bomb (members of 64 MiB of zeros)': (members) => members * (64 << 20),
    'gzip members of a real dump': (members) => members * 24 * textDumps[0]!.length,
  };
  const build: Record<string, (n: number) => Buffer> = {
    'distinct frames (goroutines)': distinct,
    'a line that never ends (MiB)': (mib) => Buffer.alloc(mib << 20, 0x61),
    'JSON cut short (MiB)': (mib) => Buffer.concat([Buffer.from('{"format": "leakscan.snapshot", "tasks": ['), Buffer.alloc(mib << 20, 0x20)]),
    'gzip bomb (members of 64 MiB of zeros)': (members) => Buffer.concat(Array.from({ length: members }, () => zeros64)),
    'gzip members of a real dump': (members) => Buffer.concat(Array.from({ length: members }, () => realDump)),
  };
  const input = fc.oneof(
    fc.tuple(fc.constant('distinct frames (goroutines)'), fc.integer({ min: 10_000, max: 120_000 })),
    fc.tuple(fc.constant('a line that never ends (MiB)'), fc.integer({ min: 2, max: 48 })),
    fc.tuple(fc.constant('JSON cut short (MiB)'), fc.integer({ min: 1, max: 48 })),
    fc.tuple(fc.constant('gzip bomb (members of 64 MiB of zeros)'), fc.integer({ min: 2, max: 40 })),
    fc.tuple(fc.constant('gzip members of a real dump'), fc.integer({ min: 20, max: 400 })),
  );
  try {
    await fc.assert(
      fc.asyncProperty(input, async ([what, n]) => {
        const kind = `${what}: ${n}`;
        const bytes = build[what]!(n);
        const file = join(dir, 'input');
        writeFileSync(file, bytes);
        const child = spawnSync(process.execPath, [join(repoRoot, 'dist', 'test', 'helpers', 'parse-in-child.js'), file], {
          encoding: 'utf8',
          timeout: 60_000,
        });
        assert.equal(child.status, 0, `${kind}: ${child.stderr}`);
        const run = JSON.parse(child.stdout) as { outcome: string; message: string; startRss: number; peakRss: number; peakHeap: number; ms: number };
        assert.notEqual(run.outcome, 'crashed', `${kind}: ${run.message}`);
        assert.doesNotMatch(run.message, /\n/, 'one line');
        // The bytes leakscan may read: the file, or what it inflates to up to
        // the caps (64 MiB free, then 100 times the compressed bytes, 1 GiB).
        const readable = Math.min(inflated[what]?.(n, bytes) ?? bytes.length, (inflated[what] ? 100 * bytes.length : Infinity) + (64 << 20), 1 << 30);
        const allowed = 4 * readable + (160 << 20);
        const grew = run.peakRss - run.startRss;
        assert.ok(
          grew <= allowed,
          `${kind} (${(readable / 2 ** 20).toFixed(1)} MiB readable): RSS grew ${(grew / 2 ** 20).toFixed(0)} MiB, allowed ${(allowed / 2 ** 20).toFixed(0)}`,
        );
        assert.ok(run.ms < 30_000, `${kind}: ${run.ms} ms`);
      }),
      { seed: SEED, numRuns: Number(process.env.LEAKSCAN_FUZZ_HOSTILE_RUNS ?? 12) },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
