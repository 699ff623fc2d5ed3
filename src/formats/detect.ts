/**
 * Turns bytes of unknown kind into a Snapshot, deciding by content, never by
 * file name: a leakscan snapshot (JSON, maybe gzipped), a Go goroutine dump
 * (debug=2, a panic or runtime.Stack dump), a debug=1 count profile, or a
 * gzipped profile.proto (debug=0).
 */
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { SnapshotBuilder } from '../model/builder.js';
import type { Snapshot, SnapshotSource } from '../model/format.js';
import { snapshotFromJson } from '../model/file.js';
import { InputError } from '../util/errors.js';
import { TracebackParser } from './go/traceback.js';
import { parseDebug1, parseProfileProto } from './go/countprofile.js';

/**
 * Inputs bigger than this (after decompression) are refused rather than
 * read. The Go runtime cuts a debug=2 dump at 64 MiB; a crash dump of a
 * million goroutines or a long Node series can be larger, but not this.
 */
export const MAX_INPUT_BYTES = 2 ** 30;

/**
 * Gzip inflates goroutine dumps and snapshots 10 to 50 times; zeros inflate
 * 1000 times. Past a first 64 MiB, the inflated bytes may be at most this
 * many times the compressed bytes read so far, checked as they come out.
 */
export const MAX_GZIP_RATIO = 100;
const GZIP_FREE_BYTES = 64 << 20;

export interface DetectOptions {
  /** Where the bytes came from: copied into the snapshot's source. */
  source: SnapshotSource;
  /** Used in messages: a file name or URL. */
  name: string;
  /** Time the data was taken; defaults to now. */
  takenAt?: number;
  maxBytes?: number;
}

export async function snapshotFromChunks(chunks: AsyncIterable<Buffer>, options: DetectOptions): Promise<Snapshot> {
  const reader = new PeekReader(chunks[Symbol.asyncIterator](), options.maxBytes ?? MAX_INPUT_BYTES, options.name);
  const head = await reader.peek(2);
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    return snapshotFromChunks(gunzip(reader.rest(), options.name, options.maxBytes ?? MAX_INPUT_BYTES), options);
  }
  return fromPlainBytes(reader, options);
}

async function fromPlainBytes(reader: PeekReader, options: DetectOptions): Promise<Snapshot> {
  const head = await reader.peek(512);
  const text = head
    .toString('latin1')
    .replace(/^\uFEFF/, '')
    .trimStart();
  const { name } = options;
  if (head.length === 0) throw new InputError(`${name}: the input is empty`);
  if (text.startsWith('{')) {
    const all = await reader.readAll();
    let value: unknown;
    try {
      value = JSON.parse(all.toString('utf8'));
    } catch {
      throw new InputError(`${name}: not valid JSON (a truncated or damaged snapshot file?)`);
    }
    return snapshotFromJson(value, name);
  }
  if (/^<(!doctype|html|\?xml|head|body)/i.test(text)) {
    throw new InputError(`${name}: this is an HTML page, not a goroutine dump (is the URL a pprof endpoint?)`);
  }
  const countHeader = /^(goroutine|goroutineleak) profile: total \d+/.exec(text);
  if (countHeader) {
    const builder = new SnapshotBuilder('go', { ...options.source, profile: `${countHeader[1] === 'goroutine' ? '' : 'goroutineleak?'}debug=1` });
    const text = (await reader.readAll()).toString('utf8');
    named(name, () => parseDebug1(text, builder));
    return builder.build(options.takenAt);
  }
  if (looksBinary(head)) {
    const builder = new SnapshotBuilder('go', { ...options.source });
    const bytes = await reader.readAll();
    const summary = named(name, () => parseProfileProto(bytes, builder));
    builder.source.profile = `${summary.profileName === 'goroutine' ? '' : 'goroutineleak?'}debug=0`;
    return builder.build(options.takenAt);
  }
  const builder = new SnapshotBuilder('go', { ...options.source });
  const parser = new TracebackParser(builder);
  for await (const chunk of reader.rest()) named(name, () => parser.push(chunk));
  const summary = named(name, () => parser.end());
  // A debug=2 dump with "(leaked)" marks came from the goroutineleak profile.
  const leakMarked = builder.tasks.some((task) => task.leaked);
  builder.source.profile ??= summary.isCrash ? 'traceback' : leakMarked ? 'goroutineleak?debug=2' : 'debug=2';
  return builder.build(options.takenAt);
}

/** Runs a parsing step; its InputError says which input it is about. */
function named<T>(name: string, step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof InputError) throw new InputError(`${name}: ${error.message}`);
    throw error;
  }
}

/** Text dumps are ASCII/UTF-8; a NUL or many control bytes mean binary data. */
function looksBinary(head: Buffer): boolean {
  let control = 0;
  for (const byte of head) {
    if (byte === 0) return true;
    if (byte < 0x09 || (byte > 0x0d && byte < 0x20)) control++;
  }
  return control > head.length / 10;
}

/**
 * Inflates as it is read, never ahead of the reader (zlib hands out 16 KiB
 * at a time), and counts what comes out: a gzip bomb is refused at `maxBytes`
 * of output, or once past 64 MiB it inflates more than MAX_GZIP_RATIO times
 * the compressed bytes read, not after buffering it. A failure of the compressed source (a
 * cut or stalled HTTP body) ends the stream as that failure, never as an
 * unhandled stream error; damaged gzip data is one InputError.
 */
async function* gunzip(chunks: AsyncIterable<Buffer>, name: string, maxBytes: number): AsyncGenerator<Buffer> {
  let sourceError: unknown;
  let compressed = 0;
  async function* source(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of chunks) {
        compressed += chunk.length;
        yield chunk;
      }
    } catch (error) {
      sourceError = error;
      throw error;
    }
  }
  const inflater = createGunzip();
  // pipeline() forwards an error of either side to the other and to the
  // reader below; pipe() would leave the source's error unhandled.
  pipeline(source(), inflater, () => {});
  let inflated = 0;
  try {
    for await (const chunk of inflater) {
      inflated += (chunk as Buffer).length;
      if (inflated > maxBytes) throw new InputError(tooLarge(name, maxBytes));
      if (inflated > GZIP_FREE_BYTES && inflated > compressed * MAX_GZIP_RATIO) {
        throw new InputError(`${name}: gzip data inflates more than ${MAX_GZIP_RATIO} times (a gzip bomb?); refusing to read on`);
      }
      yield chunk as Buffer;
    }
  } catch (error) {
    if (sourceError !== undefined) throw sourceError instanceof Error ? sourceError : new InputError(`${name}: the input failed while it was read`);
    if (error instanceof InputError) throw error;
    throw new InputError(`${name}: truncated or corrupt gzip data`);
  } finally {
    inflater.destroy();
  }
}

function tooLarge(name: string, maxBytes: number): string {
  return `${name}: input is larger than ${Math.round(maxBytes / 2 ** 20)} MiB; refusing to read it`;
}

/** Reads ahead of an async byte stream without losing what it read. */
class PeekReader {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private total = 0;
  private done = false;

  constructor(
    private readonly source: AsyncIterator<Buffer>,
    private readonly maxBytes: number,
    private readonly name: string,
  ) {}

  private async pull(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.source.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    this.total += chunk.length;
    if (this.total > this.maxBytes) {
      throw new InputError(tooLarge(this.name, this.maxBytes));
    }
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    return true;
  }

  async peek(bytes: number): Promise<Buffer> {
    while (this.bufferedBytes < bytes && (await this.pull()));
    return Buffer.concat(this.buffered).subarray(0, bytes);
  }

  async readAll(): Promise<Buffer> {
    while (await this.pull());
    return Buffer.concat(this.buffered);
  }

  async *rest(): AsyncGenerator<Buffer> {
    for (;;) {
      while (this.buffered.length > 0) {
        const chunk = this.buffered.shift()!;
        this.bufferedBytes -= chunk.length;
        yield chunk;
      }
      if (!(await this.pull())) return;
    }
  }
}
