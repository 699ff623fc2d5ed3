/**
 * Exact comparison of known byte strings (frame names and locations) with
 * the bytes of a chunk, and search for a line's end, four bytes at a time.
 *
 * Almost every line of a big dump is a frame the parser has seen before, so
 * most of its time goes into confirming that a line holds a known name or
 * location. JavaScript reads a buffer one byte per step; reading it as
 * 32-bit words takes a quarter of the steps. Words must be aligned, and a
 * line may start anywhere, so each key keeps its bytes as words at each of
 * the four alignments, and the bytes before the first aligned word and
 * after the last are compared one by one.
 */

/** A byte string prepared for `holdsKey`. */
export class PackedKey {
  /** `words[k]`: the bytes from offset k on, as whole 32-bit words (native byte order). */
  /**
   * Made on first use: most keys of a dump are compared never or often,
   * and one of distinct frames must not cost four arrays per frame.
   */
  private words: Int32Array[] | undefined;

  constructor(readonly bytes: Buffer) {}

  get length(): number {
    return this.bytes.length;
  }

  wordsFrom(lead: number): Int32Array {
    this.words ??= packWords(this.bytes);
    return this.words[lead]!;
  }
}

/** A chunk of input with a 32-bit word view over the same memory. */
/** The key's bytes from each of the four leads, as 32-bit words. */
function packWords(bytes: Buffer): Int32Array[] {
  const words: Int32Array[] = [];
  for (let lead = 0; lead < 4; lead++) {
    const count = Math.max(0, (bytes.length - lead) >> 2);
    const aligned = new Uint8Array(count * 4);
    aligned.set(bytes.subarray(lead, lead + count * 4));
    words.push(new Int32Array(aligned.buffer));
  }
  return words;
}

export class WordView {
  /** Where buf[0] lies from the start of `words`, in bytes (0–3). */
  readonly offset: number;
  readonly words: Int32Array;

  constructor(readonly buf: Buffer) {
    this.offset = buf.byteOffset & 3;
    this.words = new Int32Array(buf.buffer, buf.byteOffset - this.offset, (buf.length + this.offset) >> 2);
  }
}

/** Whether view.buf holds the bytes of `key` at `at`. */
export function holdsKey(view: WordView, at: number, key: PackedKey): boolean {
  const { buf } = view;
  const bytes = key.bytes;
  const length = bytes.length;
  if (at + length > buf.length) return false;
  const position = view.offset + at; // from the start of view.words
  const lead = Math.min((4 - (position & 3)) & 3, length);
  for (let i = 0; i < lead; i++) {
    if (buf[at + i] !== bytes[i]) return false;
  }
  const keyWords = key.wordsFrom(lead);
  const words = view.words;
  const first = (position + lead) >> 2;
  for (let j = 0; j < keyWords.length; j++) {
    if (words[first + j] !== keyWords[j]) return false;
  }
  for (let i = lead + keyWords.length * 4; i < length; i++) {
    if (buf[at + i] !== bytes[i]) return false;
  }
  return true;
}

/**
 * The index of the first byte at or after `from` in view.buf that is `a` or
 * `b`; buf.length when there is none. Whole words are tested at once for
 * either byte (the "has a zero byte" test on the word xor the byte repeated
 * four times, which never misses one), and the word that has one is read
 * byte by byte.
 */
export function indexOfEither(view: WordView, from: number, a: number, b: number): number {
  const { buf, words, offset } = view;
  const end = buf.length;
  let i = from;
  for (; i < end && ((offset + i) & 3) !== 0; i++) {
    const byte = buf[i];
    if (byte === a || byte === b) return i;
  }
  const repeatedA = Math.imul(a, 0x01010101);
  const repeatedB = Math.imul(b, 0x01010101);
  const lastWord = (offset + end) >> 2;
  let w = (offset + i) >> 2;
  for (; w < lastWord; w++) {
    const x = words[w]! ^ repeatedA;
    const y = words[w]! ^ repeatedB;
    if ((((x - 0x01010101) & ~x) | ((y - 0x01010101) & ~y)) & 0x80808080) break;
  }
  for (i = Math.max(i, w * 4 - offset); i < end; i++) {
    const byte = buf[i];
    if (byte === a || byte === b) return i;
  }
  return end;
}
