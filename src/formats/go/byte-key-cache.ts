/**
 * A small map from byte strings to values, looked up straight from a
 * buffer: no string is made for the key. Used for goroutine headers, which
 * repeat in a dump once their id is cut off ("[chan receive, 5 minutes]:").
 *
 * Lookups compare the whole key, so a hit is exact. The key found last is
 * tried first, without hashing: goroutines of one site tend to be printed
 * one after another with the same header. The cache stops growing
 * at `capacity` keys and keeps none longer than `maxKeyBytes`: headers that
 * never repeat (a crash dump's "gp=0x... m=..." addresses, long unique
 * labels) cost a miss each, not memory.
 */
interface Slot<T> {
  key: Buffer;
  value: T;
}

export class ByteKeyCache<T> {
  private readonly buckets = new Map<number, Slot<T>[]>();
  private size = 0;
  private last: Slot<T> | null = null;

  constructor(
    private readonly capacity: number,
    private readonly maxKeyBytes: number,
  ) {}

  get(buf: Buffer, start: number, end: number): T | undefined {
    if (this.last !== null && sameBytes(this.last.key, buf, start, end)) return this.last.value;
    const bucket = this.buckets.get(hashBytes(buf, start, end));
    if (bucket === undefined) return undefined;
    for (const slot of bucket) {
      if (sameBytes(slot.key, buf, start, end)) {
        this.last = slot;
        return slot.value;
      }
    }
    return undefined;
  }

  set(buf: Buffer, start: number, end: number, value: T): void {
    if (this.size >= this.capacity || end - start > this.maxKeyBytes) return;
    this.size++;
    const hash = hashBytes(buf, start, end);
    const slot = { key: Buffer.from(buf.subarray(start, end)), value };
    const bucket = this.buckets.get(hash);
    if (bucket === undefined) this.buckets.set(hash, [slot]);
    else bucket.push(slot);
  }
}

/** FNV-1a, kept to 30 bits so V8 stores it unboxed: no heap number per lookup. */
function hashBytes(buf: Buffer, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h & 0x3fffffff;
}

/**
 * Whether buf[start, end) holds the bytes of `key`. A plain loop: for keys of
 * a few dozen bytes, Buffer#compare spends more on validating its offsets
 * than on comparing.
 */
export function sameBytes(key: Buffer, buf: Buffer, start: number, end: number): boolean {
  const length = key.length;
  if (length !== end - start) return false;
  for (let i = 0; i < length; i++) {
    if (key[i] !== buf[start + i]) return false;
  }
  return true;
}
