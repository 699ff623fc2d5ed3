/**
 * Fetches goroutine dumps from a Go process's net/http/pprof endpoint.
 *
 * Order of preference for one snapshot:
 *  1. /debug/pprof/goroutineleak?debug=2 (Go 1.26 with
 *     GOEXPERIMENT=goroutineleakprofile, default from 1.27): every goroutine,
 *     as debug=2 prints it, with the ones the GC proved leaked marked
 *     "(leaked)". It runs one leak-detecting GC cycle first.
 *  2. /debug/pprof/goroutine?debug=2: every goroutine, no leak marks.
 * When the dump carries no pprof labels (Go before 1.26, or 1.26 without
 * GODEBUG=tracebacklabels=1), the labels are taken from ?debug=0 and
 * matched to goroutines by stack (labels.ts).
 */
import type { Snapshot } from '../../model/format.js';
import { TargetError, InputError } from '../../util/errors.js';
import { snapshotFromChunks } from '../../formats/detect.js';
import { attachProfileLabels } from '../../formats/go/labels.js';
import { GO_DUMP_LIMIT_BYTES } from '../../formats/go/traceback.js';

export interface PprofOptions {
  /** Whole-request timeout for each fetch, body included. */
  timeoutMs: number;
  /** Skip the goroutineleak profile (it costs the target one extra GC cycle). */
  leakProfile: boolean;
  /** Fetch ?debug=0 for labels when the dump has none. */
  labels: boolean;
  pid?: number;
}

/**
 * The Go runtime cuts a debug=2 dump at 64 MiB, and debug=0 and debug=1
 * profiles are far smaller: an answer four times that long is not a Go
 * runtime's (an endless stream is refused here, not at the file cap).
 */
export const MAX_PPROF_ANSWER_BYTES = 4 * GO_DUMP_LIMIT_BYTES;

export const defaultPprofOptions: PprofOptions = { timeoutMs: 30_000, leakProfile: true, labels: true };

/**
 * The address answered, or refused, in a way no readable pprof endpoint
 * does: nothing listening, no such host, an HTTP error, or an answer that is
 * not a goroutine profile. Mid-attach it can be a restart, worth a retry; as
 * the first answer it means the address is wrong.
 */
export class NotPprofError extends TargetError {
  constructor(message: string) {
    super(message);
    this.name = 'NotPprofError';
  }
}

/**
 * The pprof base ("http://host:port/debug/pprof/") of what the user typed:
 * "host:port", ":port" (this machine, as go tool pprof reads it),
 * "http://host:port", ".../debug/pprof", or a profile URL.
 */
export function pprofBase(input: string): URL {
  const hostPort = input.startsWith(':') ? `localhost${input}` : input;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(hostPort) ? hostPort : `http://${hostPort}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new InputError(`not a URL: ${input}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InputError(`not an http(s) URL: ${input}`);
  const at = url.pathname.indexOf('/debug/pprof');
  const prefix = at >= 0 ? url.pathname.slice(0, at) : url.pathname.replace(/\/+$/, '');
  return new URL(`${prefix}/debug/pprof/`, url.origin);
}

/**
 * An explicit goroutine profile URL ("/debug/pprof/goroutine?debug=1",
 * ".../goroutineleak?debug=0"): the user chose the format, so it is fetched
 * as it is, with nothing added.
 */
export function explicitProfileUrl(input: string): URL | undefined {
  if (!/^https?:\/\//i.test(input)) return undefined;
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new InputError(`not a URL: ${input}`);
  }
  return /\/debug\/pprof\/(goroutine|goroutineleak)$/.test(url.pathname) ? url : undefined;
}

export async function snapshotFromPprof(input: string, options: PprofOptions = defaultPprofOptions): Promise<Snapshot> {
  const explicit = explicitProfileUrl(input);
  if (explicit !== undefined) {
    const response = await get(explicit, options.timeoutMs, { allowNotFound: false });
    const debug = explicit.searchParams.get('debug') ?? '0';
    const name = explicit.pathname.endsWith('goroutineleak') ? 'goroutineleak?' : '';
    return readDump(response!, explicit, source(explicit, `${name}debug=${debug}`, options.pid), options);
  }
  const base = pprofBase(input);
  let snapshot: Snapshot | undefined;
  if (options.leakProfile) {
    const leakUrl = new URL('goroutineleak?debug=2', base);
    const response = await get(leakUrl, options.timeoutMs, { allowNotFound: true });
    if (response !== null) snapshot = await readDump(response, leakUrl, source(leakUrl, 'goroutineleak?debug=2', options.pid), options);
  }
  if (snapshot === undefined) {
    const url = new URL('goroutine?debug=2', base);
    const response = await get(url, options.timeoutMs, { allowNotFound: false });
    snapshot = await readDump(response!, url, source(url, 'debug=2', options.pid), options);
  }
  if (options.labels && !snapshot.tasks.some((task) => task.labels !== undefined)) {
    const url = new URL('goroutine?debug=0', base);
    const response = await get(url, options.timeoutMs, { allowNotFound: true });
    if (response !== null) {
      const profile = await readDump(response, url, { url: url.href }, options);
      attachProfileLabels(snapshot, profile);
    }
  }
  return snapshot;
}

/** One profile as fetched, with the time its first byte took (a bound on the pause it caused). */
export interface FetchedProfile {
  snapshot: Snapshot;
  firstByteMs: number;
}

/**
 * Fetches one profile under the pprof base, e.g. "goroutine?debug=1".
 * Returns null when the endpoint answers 404 and `allowNotFound` is set.
 */
export async function fetchProfile(base: URL, path: string, options: PprofOptions, allowNotFound = false): Promise<FetchedProfile | null> {
  const url = new URL(path, base);
  const started = performance.now();
  const response = await get(url, options.timeoutMs, { allowNotFound });
  if (response === null) return null;
  const firstByteMs = performance.now() - started;
  const profile = path.replace(/^goroutine\?/, '');
  return { snapshot: await readDump(response, url, source(url, profile, options.pid), options), firstByteMs };
}

function source(url: URL, profile: string, pid?: number): Snapshot['source'] {
  return { url: url.href, profile, ...(pid !== undefined ? { pid } : {}) };
}

async function readDump(response: Response, url: URL, src: Snapshot['source'], options: PprofOptions): Promise<Snapshot> {
  const takenAt = Date.now();
  try {
    return await snapshotFromChunks(bodyChunks(response), { name: url.href, source: src, takenAt, maxBytes: MAX_PPROF_ANSWER_BYTES });
  } catch (error) {
    if (error instanceof InputError) throw new NotPprofError(error.message);
    throw asTargetError(error, url, options.timeoutMs);
  }
}

async function* bodyChunks(response: Response): AsyncGenerator<Buffer> {
  if (response.body === null) return;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}

/** GET with a whole-request timeout. Returns null on 404 when allowed. */
async function get(url: URL, timeoutMs: number, { allowNotFound }: { allowNotFound: boolean }): Promise<Response | null> {
  let response: Response;
  try {
    // A redirect is never followed: it could send leakscan to another port,
    // host or scheme than the one the user named (the answer is the target's).
    // Each request closes its connection: a kept-alive one is a goroutine of
    // the target (net/http.(*conn).serve waiting for the next request), and
    // the next request of a snapshot comes before it is idle for reuse, so
    // the full dump taken right after the count profile counted the count
    // profile's own connection as one goroutine more than the count did.
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual', headers: { connection: 'close' } });
  } catch (error) {
    throw asTargetError(error, url, timeoutMs);
  }
  if (response.status === 404) {
    await response.body?.cancel();
    if (allowNotFound) return null;
    throw new NotPprofError(`${url.href} answered 404: no pprof endpoint there (the service needs import _ "net/http/pprof" and an HTTP listener)`);
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel();
    throw new NotPprofError(`${url.href} answered ${response.status} (a redirect); leakscan does not follow redirects from a pprof endpoint`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new NotPprofError(`${url.href} answered ${response.status} ${response.statusText}`.trimEnd());
  }
  return response;
}

function asTargetError(error: unknown, url: URL, timeoutMs: number): TargetError {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') {
    return new TargetError(`no complete answer from ${url.href} within ${timeoutMs / 1000}s (raise --timeout?)`);
  }
  const code = e.cause?.code;
  if (code === 'ECONNREFUSED') return new NotPprofError(`cannot connect to ${url.host}: connection refused`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new NotPprofError(`cannot resolve host ${url.hostname}`);
  // A body cut short: reset, closed mid-body, or (on a connection marked to close) fewer bytes than its Content-Length.
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
    return new TargetError(`${url.host} closed the connection before the dump was complete`);
  }
  if (e instanceof TargetError) return e;
  return new NotPprofError(`cannot read ${url.href}: ${e.cause?.message ?? e.message}`);
}
