/**
 * Interns Go frames straight from the bytes of a dump, so the parser creates
 * strings only for frames it has not seen before. A 100k-goroutine dump has
 * about a million frame lines but a few hundred distinct frames.
 *
 * Lookup: a hash of the lengths and the last bytes of the function name and
 * the location (where distinct frames differ: file name, line number), then a
 * byte comparison of the whole key against each candidate.
 */
interface Entry {
  fn: Buffer;
  location: Buffer;
  id: number;
}

/** Bytes hashed from the end of each part. */
const TAIL = 24;

export class FrameTable {
  private readonly buckets = new Map<number, Entry[]>();

  /** `create` turns the raw (latin1) name and "file:line" of a new frame into a frame index. */
  constructor(private readonly create: (fn: string, location: string) => number) {}

  intern(fnBuf: Buffer, fnStart: number, fnEnd: number, locBuf: Buffer, locStart: number, locEnd: number): number {
    let h = Math.imul((fnEnd - fnStart) * 31 + (locEnd - locStart), 0x9e3779b1);
    for (let i = Math.max(fnStart, fnEnd - TAIL); i < fnEnd; i++) h = Math.imul(h ^ fnBuf[i]!, 0x01000193);
    for (let i = Math.max(locStart, locEnd - TAIL); i < locEnd; i++) h = Math.imul(h ^ locBuf[i]!, 0x01000193);
    const bucket = this.buckets.get(h);
    if (bucket !== undefined) {
      for (const entry of bucket) {
        if (sameBytes(entry.location, locBuf, locStart, locEnd) && sameBytes(entry.fn, fnBuf, fnStart, fnEnd)) {
          return entry.id;
        }
      }
    }
    const fn = Buffer.from(fnBuf.subarray(fnStart, fnEnd));
    const location = Buffer.from(locBuf.subarray(locStart, locEnd));
    const id = this.create(fn.toString('latin1'), location.toString('latin1'));
    const entry = { fn, location, id };
    if (bucket === undefined) this.buckets.set(h, [entry]);
    else bucket.push(entry);
    return id;
  }
}


/**
 * Whether buf[start, end) holds the bytes of `key`. A plain loop: for keys of
 * a few dozen bytes, Buffer#compare spends more on validating its offsets
 * than on comparing.
 */
function sameBytes(key: Buffer, buf: Buffer, start: number, end: number): boolean {
  const length = key.length;
  if (length !== end - start) return false;
  for (let i = 0; i < length; i++) {
    if (key[i] !== buf[start + i]) return false;
  }
  return true;
}
