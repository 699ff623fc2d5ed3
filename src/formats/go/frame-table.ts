/**
 * Interns Go frames straight from the bytes of a dump, so the parser creates
 * strings only for frames it has not seen before. A 100k-goroutine dump has
 * about a million frame lines but a few hundred distinct frames.
 *
 * Two ways in:
 * - `intern`: a hash of the lengths and the last bytes of the function name
 *   and the location (where distinct frames differ: file name, line number),
 *   then a byte comparison of the whole key against each candidate.
 * - prediction: goroutines stuck at the same site print the same frames in
 *   the same order, so each entry remembers which frames followed it
 *   (`next`), and the parser first checks the lines against those
 *   (line-match.ts). A hit costs one comparison of the line's bytes with
 *   the entry's, the same bytes the hash lookup would compare anyway, and
 *   spares finding the line end, hashing and the lookup.
 */
import { sameBytes } from './byte-key-cache.js';
import { PackedKey } from './word-compare.js';

/** One distinct frame: the raw bytes of its function line and location line. */
export interface FrameEntry {
  /** Function name bytes (latin1), shared by the entries of one function. */
  readonly fn: PackedKey;
  /** "file:line" bytes (latin1). */
  readonly location: PackedKey;
  /** Frame index in the snapshot. */
  readonly id: number;
  /** Whether the line matchers of line-match.ts decide exactly as the full parse would for it. */
  readonly predictable: boolean;
  /** Frames seen right after this one in a stack (callers), the more frequent first. */
  readonly next: FrameEntry[];
  /** Frames seen in the "created by" of goroutines whose stack ended with this one. */
  readonly creators: FrameEntry[];
}

/** Bytes hashed from the end of each part. */
const TAIL = 24;

/**
 * Successors kept per frame. A frame with more (the runtime's park function
 * under dozens of wait sites) still works, only the rarer ones go through
 * the hash lookup.
 */
const MAX_SUCCESSORS = 16;

export class FrameTable {
  private readonly buckets = new Map<number, FrameEntry[]>();
  /** Function name buffers by their text, so entries of one function share one. */
  private readonly names = new Map<string, PackedKey>();
  /** Innermost frames of the stacks seen so far: the candidates for a stack's first frame. */
  readonly firstFrames: FrameEntry[] = [];
  /** Creators of goroutines printed without frames. */
  private readonly creatorsOfEmptyStacks: FrameEntry[] = [];

  /** `create` turns the raw (latin1) name and "file:line" of a new frame into a frame index. */
  constructor(private readonly create: (fn: string, location: string) => number) {}

  intern(fnBuf: Buffer, fnStart: number, fnEnd: number, locBuf: Buffer, locStart: number, locEnd: number): FrameEntry {
    let h = Math.imul((fnEnd - fnStart) * 31 + (locEnd - locStart), 0x9e3779b1);
    for (let i = Math.max(fnStart, fnEnd - TAIL); i < fnEnd; i++) h = Math.imul(h ^ fnBuf[i]!, 0x01000193);
    for (let i = Math.max(locStart, locEnd - TAIL); i < locEnd; i++) h = Math.imul(h ^ locBuf[i]!, 0x01000193);
    // Kept to 30 bits: V8 stores such integers unboxed, so the map neither
    // allocates nor hashes a heap number per lookup.
    h &= 0x3fffffff;
    const bucket = this.buckets.get(h);
    if (bucket !== undefined) {
      for (const entry of bucket) {
        if (sameBytes(entry.location.bytes, locBuf, locStart, locEnd) && sameBytes(entry.fn.bytes, fnBuf, fnStart, fnEnd)) {
          return entry;
        }
      }
    }
    const fnText = fnBuf.toString('latin1', fnStart, fnEnd);
    let fn = this.names.get(fnText);
    if (fn === undefined) {
      fn = new PackedKey(Buffer.from(fnBuf.subarray(fnStart, fnEnd)));
      this.names.set(fnText, fn);
    }
    const location = new PackedKey(Buffer.from(locBuf.subarray(locStart, locEnd)));
    const entry: FrameEntry = {
      fn,
      location,
      id: this.create(fnText, location.bytes.toString('latin1')),
      predictable: isPredictable(fn.bytes, location.bytes),
      next: [],
      creators: [],
    };
    if (bucket === undefined) this.buckets.set(h, [entry]);
    else bucket.push(entry);
    return entry;
  }

  /** Candidates for the frame after `previous` (null: the first frame of a stack). */
  successors(previous: FrameEntry | null): FrameEntry[] {
    return previous === null ? this.firstFrames : previous.next;
  }

  /** Candidates for the "created by" frame of a stack that ended with `last` (null: no frames). */
  creators(last: FrameEntry | null): FrameEntry[] {
    return last === null ? this.creatorsOfEmptyStacks : last.creators;
  }

  /** Remembers that `entry` followed `previous`, found without prediction. */
  follow(previous: FrameEntry | null, entry: FrameEntry): void {
    remember(this.successors(previous), entry);
  }

  /** Remembers that `entry` created a goroutine whose stack ended with `last`, found without prediction. */
  followAsCreator(last: FrameEntry | null, entry: FrameEntry): void {
    remember(this.creators(last), entry);
  }
}

function remember(list: FrameEntry[], entry: FrameEntry): void {
  if (entry.predictable && list.length < MAX_SUCCESSORS && !list.includes(entry)) list.push(entry);
}

/**
 * Moves a predicted candidate one place up its list each time it is hit:
 * the lists settle with the frequent successors first, and one goroutine of
 * a rare site does not reorder them.
 */
export function promote(list: FrameEntry[], index: number): void {
  if (index === 0) return;
  const entry = list[index]!;
  list[index] = list[index - 1]!;
  list[index - 1] = entry;
}

/**
 * The line matchers assume what the full parse makes of these bytes: a
 * function line is classified by its first bytes before it is read as
 * "name(args)", and a location line's line number follows its last colon.
 * Names that start like another kind of line, and locations without a
 * colon, are left to the full parse.
 */
function isPredictable(fn: Buffer, location: Buffer): boolean {
  if (fn.length === 0 || fn[0] === 0x09 /* tab */) return false;
  const text = fn.toString('latin1', 0, 32);
  for (const prefix of ['created by ', '...', '[originating from goroutine', 'goroutine ']) {
    if (text.startsWith(prefix)) return false;
  }
  return location.lastIndexOf(0x3a /* : */) >= 0;
}
