/**
 * The Go traceback parser reads most lines of a big dump by prediction
 * (line-match.ts: the frame that followed the previous frame last time) and
 * the rest by the full parse. The prediction must only ever confirm what
 * the full parse reads: with it turned off (`predictLines: false`), every
 * dump, and every mutation of one, must give the same snapshot, or the same
 * error. Property test: fast-check, fixed seed, LEAKSCAN_FUZZ_RUNS to try more.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { SnapshotBuilder } from '../../src/model/builder.js';
import { TracebackParser } from '../../src/formats/go/traceback.js';
import { dumpsDir } from '../helpers/paths.js';

const SEED = 20261202;
const RUNS = Number(process.env.LEAKSCAN_FUZZ_RUNS ?? 100);

// Every text dump with goroutine blocks (debug=1 count profiles are another parser).
const dumps = readdirSync(dumpsDir)
  .filter((f) => f.endsWith('.txt'))
  .sort()
  .map((f) => ({ name: f, text: readFileSync(join(dumpsDir, f), 'latin1') }))
  .filter((d) => /^goroutine \d+ .*\[/m.test(d.text));

type Outcome = { snapshot: unknown; truncated: boolean } | { error: string };

function parse(bytes: Buffer, chunkSize: number, predictLines: boolean): Outcome {
  const builder = new SnapshotBuilder('go');
  const parser = new TracebackParser(builder, { predictLines });
  try {
    for (let i = 0; i < bytes.length; i += chunkSize) parser.push(bytes.subarray(i, i + chunkSize));
    const { truncated } = parser.end();
    return { snapshot: builder.build(0), truncated };
  } catch (error) {
    return { error: error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error) };
  }
}

function assertSame(bytes: Buffer, predictedChunk: number, fullChunk: number, message?: string): void {
  assert.deepStrictEqual(parse(bytes, predictedChunk, true), parse(bytes, fullChunk, false), message);
}

/** The dump with its goroutine blocks repeated under new ids: the repeats are what prediction reads. */
function repeated(text: string, times: number): string {
  let next = 1_000_000;
  const blocks = text.split('\n\n');
  const out = [...blocks];
  for (let t = 1; t < times; t++) {
    for (const block of blocks) if (block.startsWith('goroutine ')) out.push(block.replace(/^goroutine \d+/, () => `goroutine ${next++}`));
  }
  return out.join('\n\n');
}

test('every captured dump: prediction on and off read the same snapshot', () => {
  assert.ok(dumps.length > 40, `${dumps.length} dumps`);
  for (const { name, text } of dumps) {
    const bytes = Buffer.from(repeated(text, 2), 'latin1');
    assertSame(bytes, 1 << 20, 4096, name);
  }
});

test('near misses: a repeat whose every frame is one digit or character longer than the frame predicted', () => {
  // A few dumps of different Go versions and shapes: every frame of each is tried.
  const kinds = ['go1.19.13-debug2.txt', 'go1.21.13-debug2.txt', 'go1.26.8-debug2.txt', 'go1.27.4-debug2.txt', 'go1.26.8-panic-gotraceback-system.txt'];
  for (const { name, text } of dumps.filter((d) => kinds.includes(d.name))) {
    const [first, second] = [text, repeated(text, 2).slice(text.length)];
    for (const extra of ['9', ':', 'x', ' ']) {
      const longerLine = second.replace(/^(\t.*:\d+)/gm, `$1${extra}`);
      const longerName = second.replace(/^([^\t\n].*)\(/gm, `$1${extra}(`);
      const longerCreator = second.replace(/^(created by \S+)/gm, `$1${extra}`);
      for (const variant of [longerLine, longerName, longerCreator])
        assertSame(Buffer.from(first + variant, 'latin1'), 1 << 20, 1 << 20, `${name} + ${JSON.stringify(extra)}`);
    }
  }
});

const chunkSize = fc.oneof(fc.integer({ min: 7, max: 200 }), fc.integer({ min: 201, max: 70_000 }));
// Unbiased: fast-check favours small numbers, which would mutate only the first lines (never predicted).
const line = fc.tuple(fc.noBias(fc.nat()), fc.noBias(fc.nat()));
const mutation = fc.record({
  dump: fc.integer({ min: 0, max: dumps.length - 1 }),
  repeats: fc.integer({ min: 1, max: 3 }),
  ops: fc.array(fc.tuple(fc.constantFrom('swap', 'drop', 'dup', 'digit', 'byte', 'cut', 'tab', 'cr', 'line-number', 'name'), line), { maxLength: 10 }),
});

test('mutated dumps: prediction on and off read the same snapshot, or refuse with the same error', () => {
  fc.assert(
    fc.property(mutation, chunkSize, chunkSize, ({ dump, repeats, ops }, a, b) => {
      const lines = repeated(dumps[dump]!.text, repeats).split('\n');
      for (const [op, [x, y]] of ops) {
        const i = x % lines.length;
        const j = y % lines.length;
        const l = lines[i]!;
        const at = l.length > 0 ? y % l.length : 0;
        if (op === 'swap') [lines[i], lines[j]] = [lines[j]!, l];
        else if (op === 'drop') lines.splice(i, 1);
        else if (op === 'dup') lines.splice(i, 0, lines[j]!);
        // One more digit, a changed byte, a cut line: what a near-miss of a predicted frame looks like.
        else if (op === 'digit') lines[i] = `${l.slice(0, at)}${y % 10}${l.slice(at)}`;
        else if (op === 'byte') lines[i] = `${l.slice(0, at)}${String.fromCharCode(32 + (y % 95))}${l.slice(at + 1)}`;
        else if (op === 'cut') lines[i] = l.slice(0, at);
        else if (op === 'tab') lines[i] = `\t${l}`;
        // A frame seen before but one digit longer in its line number, or in its name.
        else if (op === 'line-number') lines[i] = l.replace(/^(\t.*:\d+)/, `$1${y % 10}`);
        else if (op === 'name') lines[i] = l.replace(/^([^\t].*)\(/, `$1${'x.:9'[y % 4]}(`);
        else lines[i] = `${l}\r`;
      }
      assertSame(Buffer.from(lines.join('\n'), 'latin1'), a, b);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});
