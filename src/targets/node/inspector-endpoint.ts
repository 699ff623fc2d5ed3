/**
 * Reading a Node inspector's address from its HTTP endpoint, as untrusted
 * data: the answer comes from the target (or from whatever holds the port),
 * so it is bounded in size, checked for shape, and its WebSocket URL is used
 * only if it points at the very socket leakscan asked, one the target owns.
 */
import type { ListeningSocket } from '../proc.js';
import { isLoopbackAddress } from '../proc.js';
import { CdpSession } from './cdp.js';

export interface InspectorEndpoint {
  /** Where leakscan connects (loopback for a wildcard listener). */
  host: string;
  port: number;
  /** The WebSocket URL to connect to. It holds the inspector's UUID: never written anywhere. */
  webSocketUrl: string;
}

/** The inspector as written in snapshots, reports and progress lines: without its UUID. */
export function describeInspector(endpoint: { host: string; port: number }): string {
  return `inspector ${endpoint.host}:${endpoint.port}`;
}

/** The most an inspector's /json/list answer is read: a few hundred bytes per target. */
const MAX_LIST_BYTES = 64 * 1024;

export type InspectorAnswer = { kind: 'inspector'; endpoint: InspectorEndpoint } | { kind: 'not-inspector'; why: string };

/**
 * Asks the listening socket `socket` (owned by the target) for /json/list.
 * The WebSocket URL in the answer must name that same port on an address
 * the socket accepts; leakscan then connects to the socket itself, never to
 * a host taken from the answer.
 */
export async function askInspector(socket: ListeningSocket, timeoutMs: number): Promise<InspectorAnswer> {
  let text: string;
  try {
    const response = await fetch(`http://${socket.host}:${socket.port}/json/list`, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    if (!response.ok) return { kind: 'not-inspector', why: `it answered HTTP ${response.status}` };
    text = await readBounded(response, MAX_LIST_BYTES);
  } catch (error) {
    return { kind: 'not-inspector', why: `no inspector answer (${(error as Error).message.slice(0, 120)})` };
  }
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    return { kind: 'not-inspector', why: 'its answer is not JSON' };
  }
  if (!Array.isArray(list)) return { kind: 'not-inspector', why: 'its answer is not a list of targets' };
  const entry = list.find(
    (t): t is { webSocketDebuggerUrl: string } =>
      typeof t === 'object' && t !== null && typeof (t as Record<string, unknown>).webSocketDebuggerUrl === 'string',
  );
  if (entry === undefined) return { kind: 'not-inspector', why: 'its answer names no WebSocket URL' };
  let url: URL;
  try {
    url = new URL(entry.webSocketDebuggerUrl);
  } catch {
    return { kind: 'not-inspector', why: 'its WebSocket URL is not a URL' };
  }
  const port = url.port === '' ? 80 : Number(url.port);
  const sameSocket = url.protocol === 'ws:' && port === socket.port && acceptsHost(socket, url.hostname) && url.username === '' && url.search === '';
  if (!sameSocket) {
    return {
      kind: 'not-inspector',
      why: `its WebSocket URL points at ${url.protocol}//${url.host}, not at this socket (${socket.bound}:${socket.port}); leakscan connects to nothing else`,
    };
  }
  if (!/^\/[A-Za-z0-9-]{1,64}$/.test(url.pathname)) return { kind: 'not-inspector', why: 'its WebSocket URL has an unexpected path' };
  return { kind: 'inspector', endpoint: { host: socket.host, port: socket.port, webSocketUrl: `ws://${socket.host}:${socket.port}${url.pathname}` } };
}

/** Whether a URL host names this socket: its own address, or loopback / the wildcard for a wildcard listener. */
function acceptsHost(socket: ListeningSocket, hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const bound = socket.bound.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === bound) return true;
  const wildcard = bound === '0.0.0.0' || bound === '::';
  if (wildcard) return isLoopbackAddress(host) || host === '0.0.0.0' || host === '::';
  return isLoopbackAddress(bound) && isLoopbackAddress(host) && host === 'localhost';
}

async function readBounded(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > limit) {
    await response.body?.cancel();
    throw new Error(`answer of ${declared} bytes`);
  }
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
    if (done || value === undefined) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new Error(`answer over ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Closes an inspector leakscan opened, when no agent is there to do it (the
 * agent could not be installed, or was refused). Works on Node versions
 * without process.getBuiltinModule: the inspector's command-line API has
 * `require`. The close runs a moment later, once this session has gone
 * (inspector.close() waits for connected sessions).
 */
export async function closeInspector(endpoint: InspectorEndpoint, timeoutMs = 3000): Promise<boolean> {
  let session: CdpSession | undefined;
  try {
    session = await CdpSession.connect(endpoint.webSocketUrl, timeoutMs, describeInspector(endpoint));
    const done = await session.send<{ result?: { value?: unknown } }>(
      'Runtime.evaluate',
      {
        expression: `(() => { const inspector = typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule('node:inspector') : require('inspector'); setTimeout(() => inspector.close(), 100).unref(); return true; })()`,
        includeCommandLineAPI: true,
        returnByValue: true,
        silent: true,
      },
      timeoutMs,
    );
    return done?.result?.value === true;
  } catch {
    return false;
  } finally {
    await session?.close();
  }
}
