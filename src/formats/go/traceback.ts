/**
 * Streaming parser for Go goroutine tracebacks: `/debug/pprof/goroutine?debug=2`,
 * `/debug/pprof/goroutineleak?debug=2`, `runtime.Stack(buf, true)` output and
 * the goroutine part of a panic or fatal-error dump.
 *
 * The format is printed by the Go runtime (runtime/traceback.go, functions
 * goroutineheader, traceback2, printcreatedby1, tracebackothers). One block
 * per goroutine, blocks separated by a blank line:
 *
 *   goroutine 42 [chan receive, 3 minutes, locked to thread]: {handler: checkout}
 *   main.(*server).wait(0xc000010000, {0x0, 0x0})
 *   	/src/app/server.go:88 +0x5c
 *   ...12 frames elided...
 *   created by main.(*server).start in goroutine 1
 *   	/src/app/server.go:40 +0x1b4
 *
 * Input arrives in chunks and is consumed line by line; only the bytes of one
 * unfinished line are carried between chunks, so a 64 MiB dump is never
 * copied whole. Each distinct frame is decoded to a string once: lines are
 * read as latin1 (a byte-for-byte copy, cheap) and only first-seen frames are
 * re-decoded as UTF-8.
 *
 * Two ways through a line. Most lines of a big dump repeat a frame already
 * seen after the same previous frame, so the parser first compares the line
 * with the frames that followed it before (`predictedLine`, FrameTable,
 * line-match.ts): a hit reads the line in one pass and creates nothing. Any
 * other line, or a line cut by a chunk boundary, takes the full parse
 * (`line`), which decides everything; the prediction only ever confirms what
 * the full parse would have read, and can be turned off (`predictLines`).
 *
 * Headers, labels and Go-quoted strings are read by header.ts.
 */
import type { Frame, Task } from '../../model/format.js';
import { SnapshotBuilder } from '../../model/builder.js';
import { InputError } from '../../util/errors.js';
import { FrameTable, promote } from './frame-table.js';
import type { FrameEntry } from './frame-table.js';
import { CREATED_BY, IN_GOROUTINE, matchCreatedByLine, matchFunctionLine, matchLocationLine } from './line-match.js';
import { ByteKeyCache } from './byte-key-cache.js';
import { WordView } from './word-compare.js';
import { copyDictionary } from '../../model/dictionary.js';
import { parseHeader } from './header.js';
import type { GoroutineHeader } from './header.js';
import { decodeLatin1AsUtf8 } from './utf8.js';

/** `writeGoroutineStacks` in runtime/pprof gives up growing its buffer here. */
export const GO_DUMP_LIMIT_BYTES = 64 << 20;

/** A line longer than this is not something the Go runtime prints. */
const MAX_LINE_BYTES = 1 << 20;
/** Distinct frames allowed whatever the size (see checkFrameBudget). */
const FRAME_BUDGET_BASE = 50_000;
/** Past the base, one more distinct frame per this many bytes read. */
const BYTES_PER_EXTRA_FRAME = 1024;

const NEWLINE = 0x0a;
const TAB = 0x09;
const CR = 0x0d;
/** Distinct header tails remembered (a dump of 25 sites has a few dozen), and the longest: 4 MiB at most. */
const HEADER_CACHE_SIZE = 4096;
const HEADER_CACHE_MAX_TAIL_BYTES = 1024;

export interface TracebackSummary {
  goroutines: number;
  /** The input ended inside a goroutine block (a cut dump). */
  truncated: boolean;
  /** Saw `panic:` or `fatal error:` before the goroutines. */
  isCrash: boolean;
  bytes: number;
}

/** A goroutine whose block is being read: its header, then what the block adds. */
interface PendingGoroutine extends GoroutineHeader {
  createdBy?: number;
  creatorId?: string;
  /** Frames the runtime left out ("...N frames elided..."; 1 for "...additional frames elided..."). */
  elided: number;
  stackUnavailable?: true;
}

export interface TracebackOptions {
  /**
   * Read lines the stack so far predicts with the byte matchers
   * (line-match.ts) before the full parse. On by default; off, every line
   * takes the full parse, which decides the same (test/traceback-prediction.test.ts
   * checks both ways agree).
   */
  predictLines?: boolean;
}

const enum Expect {
  /** Between blocks, or in the text before the first goroutine. */
  Header,
  /** Inside a block: a function line, `created by`, an elision marker or a blank line. */
  FrameOrEnd,
  /** The tab-indented `file:line` line after a function line. */
  Location,
  /** The tab-indented `file:line` line after `created by`. */
  CreatorLocation,
  /** Inside an `[originating from goroutine N]` ancestor section: skipped. */
  Ancestor,
}

export class TracebackParser {
  private readonly builder: SnapshotBuilder;
  private carry: Buffer | null = null;
  private expect: Expect = Expect.Header;
  private current: PendingGoroutine | null = null;
  /** Where the name of the function line just read lies: its location line comes next. */
  private pendingFnBuf: Buffer = Buffer.alloc(0);
  private pendingFnStart = 0;
  private pendingFnEnd = 0;
  private readonly frameTable: FrameTable;
  /** The last frame added to the current stack: its successors are the likely next frames. */
  private previousFrame: FrameEntry | null = null;
  /**
   * Index, among the candidates after previousFrame, of the entry whose name
   * the last function or "created by" line matched; -1 when that line was
   * read by `line`.
   */
  private predicted = -1;
  private readonly stackFrames: number[] = [];
  private readonly creatorStacks = new Map<FrameEntry, number>();
  /** Parsed headers by their text after the goroutine id, which repeats across a dump. */
  private readonly headerTails = new ByteKeyCache<GoroutineHeader>(HEADER_CACHE_SIZE, HEADER_CACHE_MAX_TAIL_BYTES);
  private goroutines = 0;
  private bytes = 0;
  private sawCrashPreamble = false;
  private finished = false;
  private readonly predictLines: boolean;

  constructor(builder: SnapshotBuilder, options: TracebackOptions = {}) {
    this.builder = builder;
    this.predictLines = options.predictLines ?? true;
    this.frameTable = new FrameTable((fn, location) => {
      this.checkFrameBudget(builder.frames.length + 1);
      const frame = parseFrame(fn, location);
      return builder.frame(frame.fn, frame.file, frame.line);
    });
  }

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    let start = 0;
    if (this.carry !== null) {
      const nl = chunk.indexOf(NEWLINE);
      if (nl < 0) {
        this.carry = Buffer.concat([this.carry, chunk]);
        this.checkLineLength(this.carry.length);
        return;
      }
      const joined = Buffer.concat([this.carry, chunk.subarray(0, nl)]);
      this.carry = null;
      this.line(joined, 0, joined.length);
      start = nl + 1;
    }
    start = this.readLines(new WordView(chunk), start);
    if (start < chunk.length) {
      // Copy: the caller may reuse its chunk buffer.
      this.carry = Buffer.from(chunk.subarray(start));
      this.checkLineLength(this.carry.length);
    }
  }

  /**
   * Reads the complete lines of view.buf from `start`; returns where its
   * unfinished last line starts. A loop of its own, so that the code V8
   * optimizes while the first chunk is read holds nothing that has not run
   * yet (what push does after the loop would throw it away).
   */
  private readLines(view: WordView, start: number): number {
    const chunk = view.buf;
    const predict = this.predictLines;
    for (;;) {
      const predicted = predict ? this.predictedLine(view, start) : -1;
      if (predicted >= 0) {
        start = predicted + 1;
        continue;
      }
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl < 0) return start;
      this.line(chunk, start, nl);
      start = nl + 1;
    }
  }

  /**
   * Each distinct frame costs the parser about a kilobyte (its bytes, its
   * successors, its strings), and a hostile dump can make every frame
   * distinct at 80 bytes each. Real dumps repeat their frames: a program
   * has a few thousand places where goroutines wait. So distinct frames may
   * grow with the input, one per KiB read past the first 50,000, which keeps
   * the parser's memory within a small multiple of the bytes read.
   */
  private checkFrameBudget(frames: number): void {
    const budget = FRAME_BUDGET_BASE + Math.floor(this.bytes / BYTES_PER_EXTRA_FRAME);
    if (frames > budget) {
      throw new InputError(
        `more distinct frames than a goroutine dump of this size holds (over ${budget.toLocaleString('en-US')} in the first ${(this.bytes / 2 ** 20).toFixed(1)} MiB); refusing to read on`,
      );
    }
  }

  /** Finish the input; returns what was read. Throws InputError when nothing was. */
  end(): TracebackSummary {
    if (this.finished) throw new Error('TracebackParser.end called twice');
    this.finished = true;
    // The runtime's own cut (runtime/pprof writeGoroutineStacks) is exact.
    let truncated = this.bytes === GO_DUMP_LIMIT_BYTES;
    if (this.carry !== null) {
      // Go ends every line with a newline: a last line without one, inside a
      // goroutine block, means the dump was cut there, and the line is a
      // fragment not worth reading.
      const rest = this.carry;
      this.carry = null;
      if (this.expect !== Expect.Header) truncated = true;
      else this.line(rest, 0, rest.length);
    }
    if (this.expect === Expect.Location || this.expect === Expect.CreatorLocation) truncated = true;
    if (this.current !== null) {
      if (truncated) {
        this.current = null; // its stack is incomplete: a wrong site is worse than none
      } else {
        this.finishGoroutine();
      }
    }
    if (this.goroutines === 0) {
      throw new InputError(this.bytes === 0 ? 'the input is empty' : 'no goroutine found: this is not a Go goroutine dump');
    }
    if (truncated) {
      this.builder.warn(
        this.bytes === GO_DUMP_LIMIT_BYTES
          ? `dump truncated at 64 MiB by the Go runtime: ${this.goroutines} goroutines were read, the rest are missing`
          : `dump ends mid-goroutine: ${this.goroutines} complete goroutines were read, the last one was dropped`,
      );
    }
    return { goroutines: this.goroutines, truncated, isCrash: this.sawCrashPreamble, bytes: this.bytes };
  }

  private checkLineLength(length: number): void {
    if (length > MAX_LINE_BYTES) {
      throw new InputError('not a goroutine dump: a line is longer than 1 MiB');
    }
  }

  /**
   * Reads the line at `start` if it is the line the stack so far predicts
   * (see FrameTable): a function line, a "created by" line, or the location
   * line after one of them. Returns the index of its newline, or -1 to leave
   * the line to `line`.
   */
  private predictedLine(view: WordView, start: number): number {
    // At the end of the chunk: reading past it would make V8 drop its
    // optimized code for this function once per process.
    if (start >= view.buf.length) return -1;
    switch (this.expect) {
      case Expect.FrameOrEnd:
        if (view.buf[start] === NEWLINE) {
          // The blank line after a goroutine: read here, it is one per goroutine.
          this.finishGoroutine();
          this.expect = Expect.Header;
          return start;
        }
        return this.predictedFunctionLine(view, start);
      case Expect.Location:
        return this.predicted < 0 ? -1 : this.predictedLocationLine(this.frameTable.successors(this.previousFrame), view, start);
      case Expect.CreatorLocation:
        return this.predicted < 0 ? -1 : this.predictedLocationLine(this.frameTable.creators(this.previousFrame), view, start);
      default:
        return -1;
    }
  }

  private predictedFunctionLine(view: WordView, start: number): number {
    const buf = view.buf;
    const frames = this.frameTable.successors(this.previousFrame);
    // The candidate loops advance their index at the top of each pass: the
    // first candidate usually matches, and an increment V8 has never seen
    // run costs a deoptimization the first time a later one is tried.
    for (let next = 0; next < frames.length;) {
      const i = next++;
      const fn = frames[i]!.fn;
      const nl = matchFunctionLine(fn, view, start, MAX_LINE_BYTES);
      if (nl >= 0) {
        this.setPendingFn(buf, start, start + fn.length, i);
        this.expect = Expect.Location;
        return nl;
      }
    }
    if (buf[start] !== 0x63 /* c */) return -1;
    const creators = this.frameTable.creators(this.previousFrame);
    for (let next = 0; next < creators.length;) {
      const i = next++;
      const fn = creators[i]!.fn;
      const nl = matchCreatedByLine(fn, view, start, MAX_LINE_BYTES);
      if (nl >= 0) {
        const fnStart = start + CREATED_BY.length;
        const idStart = fnStart + fn.length + IN_GOROUTINE.length;
        this.current!.creatorId = digitsToString(buf, idStart, buf[nl - 1] === CR ? nl - 1 : nl);
        this.setPendingFn(buf, fnStart, fnStart + fn.length, i);
        this.expect = Expect.CreatorLocation;
        return nl;
      }
    }
    return -1;
  }

  /**
   * The location line of the function or creator matched at index
   * `predicted` of `candidates`. Entries of one function share its name
   * buffer and none before that index has it, so the search starts there.
   */
  private predictedLocationLine(candidates: FrameEntry[], view: WordView, start: number): number {
    const fn = candidates[this.predicted]!.fn;
    for (let next = this.predicted; next < candidates.length;) {
      const i = next++;
      const entry = candidates[i]!;
      if (entry.fn !== fn) continue;
      const nl = matchLocationLine(entry.location, view, start, MAX_LINE_BYTES);
      if (nl >= 0) {
        promote(candidates, i);
        this.predicted = -1;
        if (this.expect === Expect.Location) {
          this.stackFrames.push(entry.id);
          this.previousFrame = entry;
        } else {
          this.current!.createdBy = this.creatorStack(entry);
        }
        this.expect = Expect.FrameOrEnd;
        return nl;
      }
    }
    return -1;
  }

  /** The one-frame stack of a "created by" frame, remembered per frame. */
  private creatorStack(entry: FrameEntry): number {
    let stack = this.creatorStacks.get(entry);
    if (stack === undefined) {
      stack = this.builder.stack([entry.id]);
      this.creatorStacks.set(entry, stack);
    }
    return stack;
  }

  /**
   * The name of the function or creator whose location line comes next,
   * and where among the candidates it was predicted (-1: read by `line`).
   * Set together, so a prediction never outlives its line.
   */
  private setPendingFn(buf: Buffer, start: number, end: number, predicted: number): void {
    this.pendingFnBuf = buf;
    this.pendingFnStart = start;
    this.pendingFnEnd = end;
    this.predicted = predicted;
  }

  private line(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === CR) end--;
    if (end - start > MAX_LINE_BYTES) this.checkLineLength(end - start);
    switch (this.expect) {
      case Expect.Location:
        if (buf[start] === TAB) {
          this.addFrame(buf, start + 1, end);
          this.expect = Expect.FrameOrEnd;
          return;
        }
        // A function line without its location: keep the frame, unlocated.
        this.addFrameWithoutLocation();
        this.expect = Expect.FrameOrEnd;
        this.blockLine(buf, start, end);
        return;
      case Expect.CreatorLocation:
        if (buf[start] === TAB) {
          const creator = this.internFrame(buf, start + 1, end);
          this.frameTable.followAsCreator(this.previousFrame, creator);
          this.current!.createdBy = this.creatorStack(creator);
          this.expect = Expect.FrameOrEnd;
          return;
        }
        this.expect = Expect.FrameOrEnd;
        this.blockLine(buf, start, end);
        return;
      case Expect.FrameOrEnd:
        this.blockLine(buf, start, end);
        return;
      case Expect.Ancestor:
        if (start === end) {
          this.finishGoroutine();
          this.expect = Expect.Header;
        } else if (startsWith(buf, start, end, 'goroutine ')) {
          this.finishGoroutine();
          this.expect = Expect.Header;
          this.headerLine(buf, start, end);
        }
        return;
      case Expect.Header:
        this.headerLine(buf, start, end);
        return;
    }
  }

  private headerLine(buf: Buffer, start: number, end: number): void {
    if (startsWith(buf, start, end, 'goroutine ')) {
      const header = this.readHeader(buf, start, end);
      if (header !== null) {
        this.startGoroutine(header);
        this.expect = Expect.FrameOrEnd;
        return;
      }
    }
    if (
      startsWith(buf, start, end, 'panic: ') ||
      startsWith(buf, start, end, 'fatal error: ') ||
      // "SIGQUIT: quit", "SIGSEGV: segmentation violation"
      (buf[start] === 0x53 /* S */ && /^SIG[A-Z]+: /.test(buf.toString('latin1', start, Math.min(end, start + 16))))
    ) {
      this.sawCrashPreamble = true;
    }
    // Anything else outside a block (a panic message, register dumps, the
    // "goroutine profile: total N" of other formats) is not ours to read.
  }

  private blockLine(buf: Buffer, start: number, end: number): void {
    if (start === end) {
      this.finishGoroutine();
      this.expect = Expect.Header;
      return;
    }
    const first = buf[start];
    if (first === TAB) {
      // The one tab line that stands without a function line before it.
      if (startsWith(buf, start + 1, end, 'goroutine running on other thread')) {
        this.current!.stackUnavailable = true;
      }
      return;
    }
    if (startsWith(buf, start, end, CREATED_BY)) {
      this.parseCreatedBy(buf, start + CREATED_BY.length, end);
      this.expect = Expect.CreatorLocation;
      return;
    }
    if (first === 0x2e /* . */ && startsWith(buf, start, end, '...')) {
      // "...N frames elided..." or "...additional frames elided..."
      const n = Number.parseInt(buf.toString('latin1', start + 3, end), 10);
      this.current!.elided += Number.isFinite(n) ? n : 1;
      return;
    }
    if (first === 0x5b /* [ */ && startsWith(buf, start, end, '[originating from goroutine')) {
      // GODEBUG=tracebackancestors: the stacks of the creators, not of this goroutine.
      this.expect = Expect.Ancestor;
      return;
    }
    if (startsWith(buf, start, end, 'goroutine ')) {
      // A new header without the blank line: treat the previous block as complete.
      const header = this.readHeader(buf, start, end);
      if (header !== null) {
        this.finishGoroutine();
        this.startGoroutine(header);
        return;
      }
    }
    // A function line always ends with its arguments: "pkg.fn(args)" or
    // "pkg.fn(...)". Anything else (a register dump, a "-----" thread
    // separator of a crash dump) means the block ended without a blank line.
    if (buf[end - 1] !== 0x29 /* ) */) {
      this.finishGoroutine();
      this.expect = Expect.Header;
      this.headerLine(buf, start, end);
      return;
    }
    // The arguments are the last parenthesised group (method receivers like
    // "(*T)" come before it).
    let nameEnd = end;
    const open = buf.lastIndexOf(0x28 /* ( */, end - 1);
    if (open > start) nameEnd = open;
    this.setPendingFn(buf, start, nameEnd, -1);
    this.expect = Expect.Location;
  }

  /**
   * The header at buf[start, end), which starts with "goroutine ". What
   * parseHeader makes of a header depends on nothing before the end of the
   * id, so the result for the rest of the line is kept and copied for the
   * next goroutine with the same rest.
   */
  private readHeader(buf: Buffer, start: number, end: number): PendingGoroutine | null {
    const idStart = start + 'goroutine '.length;
    let idEnd = idStart;
    while (idEnd < end && buf[idEnd]! >= 0x30 && buf[idEnd]! <= 0x39) idEnd++;
    const seen = idEnd > idStart ? this.headerTails.get(buf, idEnd, end) : undefined;
    if (seen !== undefined) return copyHeader(seen, digitsToString(buf, idStart, idEnd));
    const header = parseHeader(buf.toString('latin1', start, end));
    if (header === null) return null;
    const pending = copyHeader(header, header.id);
    this.headerTails.set(buf, idEnd, end, copyHeader(header, ''));
    return pending;
  }

  /** "main.start in goroutine 1" (Go 1.21+) or "main.start" (older), from `start`. */
  private parseCreatedBy(buf: Buffer, start: number, end: number): void {
    let digits = end;
    while (digits > start && buf[digits - 1]! >= 0x30 && buf[digits - 1]! <= 0x39) digits--;
    const marker = digits - IN_GOROUTINE.length;
    if (digits < end && marker > start && startsWith(buf, marker, digits, IN_GOROUTINE)) {
      this.current!.creatorId = digitsToString(buf, digits, end);
      this.setPendingFn(buf, start, marker, -1);
    } else {
      this.setPendingFn(buf, start, end, -1);
    }
  }

  private addFrame(buf: Buffer, start: number, end: number): void {
    const entry = this.internFrame(buf, start, end);
    this.stackFrames.push(entry.id);
    this.frameTable.follow(this.previousFrame, entry);
    this.previousFrame = entry;
  }

  private addFrameWithoutLocation(): void {
    const name = this.pendingFnBuf.toString('latin1', this.pendingFnStart, this.pendingFnEnd);
    this.stackFrames.push(this.builder.frame(decodeLatin1AsUtf8(normalizeFunctionName(name)), '', 0));
    this.previousFrame = null; // not in the frame table: nothing to predict from
  }

  /**
   * Frame index for the pending function at the location line buf[start, end):
   * "/path/file.go:123 +0x1d" or "/path/file.go:123" (inlined) or
   * "/path/file.go:123 +0x1d fp=0x... sp=0x... pc=0x..." (GOTRACEBACK=system).
   */
  private internFrame(buf: Buffer, start: number, end: number): FrameEntry {
    // The line number follows the line's last colon (what comes after it,
    // " +0x1d fp=0x.. sp=0x.. pc=0x..", has none); file paths may hold
    // colons and spaces of their own. Scanned by hand: a native indexOf would
    // run past the line to the end of the chunk.
    let colon = end - 1;
    while (colon >= start && buf[colon] !== 0x3a) colon--;
    let locEnd = end;
    if (colon >= start) {
      locEnd = colon + 1;
      while (locEnd < end && buf[locEnd]! >= 0x30 && buf[locEnd]! <= 0x39) locEnd++;
    }
    return this.frameTable.intern(this.pendingFnBuf, this.pendingFnStart, this.pendingFnEnd, buf, start, locEnd);
  }

  private startGoroutine(header: PendingGoroutine): void {
    this.current = header;
    if (this.stackFrames.length !== 0) this.stackFrames.length = 0; // already empty after a finished goroutine
    this.previousFrame = null;
    this.predicted = -1;
  }

  private finishGoroutine(): void {
    const g = this.current;
    if (g === null) return;
    this.current = null;
    this.goroutines++;
    const stack = this.builder.stack(this.stackFrames);
    let task: Task;
    if (g.createdBy !== undefined && g.creatorId !== undefined) {
      // The usual goroutine, in one literal: V8 keeps all its fields inside
      // the object instead of adding a property array per task.
      task = { id: g.id, kind: 'goroutine', state: g.state, stack, createdBy: g.createdBy, creatorId: g.creatorId };
    } else {
      task = { id: g.id, kind: 'goroutine', state: g.state, stack };
      if (g.createdBy !== undefined) task.createdBy = g.createdBy;
      if (g.creatorId !== undefined) task.creatorId = g.creatorId;
    }
    if (g.waitMinutes !== undefined) task.waitMinutes = g.waitMinutes;
    if (g.labels !== undefined) task.labels = g.labels;
    if (g.bubble !== undefined) {
      const labels = copyDictionary(task.labels);
      labels['synctest.bubble'] = g.bubble;
      task.labels = labels;
    }
    if (g.leaked) task.leaked = true;
    if (g.lockedToThread) task.lockedToThread = true;
    if (g.elided > 0) task.elidedFrames = g.elided;
    if (g.stackUnavailable) task.stackUnavailable = true;
    this.builder.addTask(task);
    this.stackFrames.length = 0;
  }
}

/**
 * The decimal digits buf[start, end) as a string, as toString('latin1')
 * would give them, made from their value when that spells them the same
 * (no leading zero, exact as a double): cheaper than a native call per id.
 */
function digitsToString(buf: Buffer, start: number, end: number): string {
  const length = end - start;
  if (length === 0 || length > 15 || (buf[start] === 0x30 && length > 1)) return buf.toString('latin1', start, end);
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + (buf[i]! - 0x30);
  return String(value);
}

/** A fresh goroutine from a parsed header, with another id: each goroutine gets its own labels object. */
function copyHeader(header: GoroutineHeader, id: string): PendingGoroutine {
  const copy: PendingGoroutine = { id, state: header.state, elided: 0 };
  if (header.waitMinutes !== undefined) copy.waitMinutes = header.waitMinutes;
  if (header.leaked) copy.leaked = true;
  if (header.lockedToThread) copy.lockedToThread = true;
  if (header.labels !== undefined) copy.labels = copyDictionary(header.labels);
  if (header.bubble !== undefined) copy.bubble = header.bubble;
  return copy;
}

/** Function names as the model stores them: generic type arguments folded. */
export function normalizeFunctionName(fn: string): string {
  // Go prints "pkg.F[...]" in tracebacks but "pkg.F[go.shape.int]" in
  // profiles; both mean the same code site.
  if (fn.indexOf('[') < 0) return fn;
  return fn.replace(/\[[^\]]*\]/g, '[...]');
}

function parseFrame(fnLatin1: string, locationLatin1: string): Frame {
  const fn = normalizeFunctionName(decodeLatin1AsUtf8(fnLatin1));
  const location = decodeLatin1AsUtf8(locationLatin1);
  const colon = location.lastIndexOf(':');
  if (colon > 0) {
    const line = Number.parseInt(location.slice(colon + 1), 10);
    if (Number.isFinite(line)) return { fn, file: location.slice(0, colon), line };
  }
  return { fn, file: location, line: 0 };
}

function startsWith(buf: Buffer, start: number, end: number, prefix: string): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (buf[start + i] !== prefix.charCodeAt(i)) return false;
  }
  return true;
}
