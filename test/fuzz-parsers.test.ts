/**
 * Property tests for every input path (fast-check, fixed seed, a bounded
 * budget): random bytes, real dumps cut anywhere, lines swapped or
 * corrupted, damaged gzip and protobuf, huge lines and unicode. Each input
 * either reads as a snapshot or fails with one InputError: never another
 * exception.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { snapshotFromChunks } from '../src/formats/detect.js';
import { InputError } from '../src/util/errors.js';
import { summarizeSnapshot } from '../src/analysis/summary.js';
import { dumpsDir } from './helpers/paths.js';

const SEED = 20261122;
const RUNS = Number(process.env.LEAKSCAN_FUZZ_RUNS ?? 300);

const textDumps = readdirSync(dumpsDir).filter((f) => f.endsWith('.txt')).map((f) => readFileSync(join(dumpsDir, f)));
const protoDumps = readdirSync(dumpsDir).filter((f) => f.endsWith('.pb.gz')).map((f) => gunzipSync(readFileSync(join(dumpsDir, f))));

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
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), chunkSize, (bytes, size) => readsOrRefuses(Buffer.from(bytes), size)), { seed: SEED, numRuns: RUNS });
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
        else if (op === 'garble') lines[i] = lines[i]!.split('').reverse().join('').replace(/[[\]:(){}"]/g, (c) => (b % 2 ? c : '\\'));
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
    fc.asyncProperty(fc.integer({ min: 0, max: protoDumps.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 16 }), fc.boolean(), (i, flips, rezip) => {
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
    }),
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
  await assert.rejects(snapshotFromChunks(chunks(), { name: 'bomb.gz', source: {}, maxBytes: 16 << 20 }), (error) => error instanceof InputError && /larger than 16 MiB/.test(error.message));
});
