/**
 * The word-at-a-time comparisons the traceback parser relies on must answer
 * exactly as a byte-by-byte loop would, at every alignment of the buffer and
 * of the position, up to the last byte of the buffer. Checked on the lines
 * of a real dump, with keys taken from it and keys one byte off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PackedKey, WordView, holdsKey, indexOfEither } from '../src/formats/go/word-compare.js';
import { dumpsDir } from './helpers/paths.js';

const dump = readFileSync(join(dumpsDir, 'go1.26.8-debug2.txt')).subarray(0, 2000);

/** `bytes` copied to each of the four alignments of a fresh memory block. */
function atEveryAlignment(bytes: Buffer): Buffer[] {
  return [0, 1, 2, 3].map((offset) => {
    const block = Buffer.alloc(bytes.length + 8);
    bytes.copy(block, offset);
    return block.subarray(offset, offset + bytes.length);
  });
}

function holdsByteByByte(buf: Buffer, at: number, key: Buffer): boolean {
  if (at + key.length > buf.length) return false;
  for (let i = 0; i < key.length; i++) if (buf[at + i] !== key[i]) return false;
  return true;
}

function indexOfEitherByteByByte(buf: Buffer, from: number, a: number, b: number): number {
  for (let i = from; i < buf.length; i++) if (buf[i] === a || buf[i] === b) return i;
  return buf.length;
}

test('holdsKey answers as a byte-by-byte comparison', () => {
  for (const buf of atEveryAlignment(dump)) {
    const view = new WordView(buf);
    for (let at = 0; at < buf.length; at += 7) {
      for (const length of [0, 1, 3, 4, 5, 8, 13, 31, 64]) {
        const same = Buffer.from(buf.subarray(at, at + length));
        const keys = [same];
        if (same.length > 0) {
          const changed = Buffer.from(same);
          changed[changed.length - 1]! ^= 1; // differs in the last byte only
          keys.push(changed);
        }
        for (const bytes of keys) {
          for (const where of [at, at + 1, buf.length - bytes.length, buf.length - bytes.length + 1]) {
            if (where < 0) continue;
            assert.equal(
              holdsKey(view, where, new PackedKey(bytes)),
              holdsByteByByte(buf, where, bytes),
              `offset ${buf.byteOffset & 3}, at ${where}, length ${bytes.length}`,
            );
          }
        }
      }
    }
  }
});

test('indexOfEither finds the first of two bytes as a byte-by-byte scan does', () => {
  for (const buf of atEveryAlignment(dump)) {
    const view = new WordView(buf);
    for (let from = 0; from <= buf.length; from++) {
      assert.equal(indexOfEither(view, from, 0x0a, 0x28), indexOfEitherByteByByte(buf, from, 0x0a, 0x28), `offset ${buf.byteOffset & 3}, from ${from}`);
      assert.equal(indexOfEither(view, from, 0x3a, 0xff), indexOfEitherByteByByte(buf, from, 0x3a, 0xff));
    }
  }
});
