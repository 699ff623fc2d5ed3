/**
 * Finds the net/http/pprof endpoint of a Go process from its pid: every TCP
 * port it listens on is asked for /debug/pprof/, in parallel, with a short
 * timeout. Nothing is sent to the process but these HTTP requests.
 */
import { listeningSockets } from '../proc.js';
import { TargetError } from '../../util/errors.js';

export const PPROF_HOW_TO =
  'import _ "net/http/pprof" and serve http.DefaultServeMux on a port (e.g. go http.ListenAndServe("127.0.0.1:6060", nil)), or pass --url';

export async function discoverPprof(pid: number, timeoutMs = 2000): Promise<string> {
  const sockets = await listeningSockets(pid);
  if (sockets.length === 0) {
    throw new TargetError(`Go process ${pid} listens on no TCP port, so it serves no pprof endpoint: ${PPROF_HOW_TO}`);
  }
  const bases = sockets.map((s) => `http://${s.host}:${s.port}`);
  const answers = await Promise.all(bases.map((base) => isPprof(base, timeoutMs)));
  const found = bases.filter((_, i) => answers[i]);
  if (found.length === 0) {
    const ports = sockets.map((s) => s.port).join(', ');
    throw new TargetError(`Go process ${pid} listens on port${sockets.length > 1 ? 's' : ''} ${ports}, but none serves /debug/pprof/: ${PPROF_HOW_TO}`);
  }
  // Prefer loopback: it is the address a pprof listener is usually bound to.
  return found.find((b) => b.includes('127.0.0.1') || b.includes('[::1]')) ?? found[0]!;
}

async function isPprof(base: string, timeoutMs: number): Promise<boolean> {
  try {
    // Closed after the answer: a kept-alive connection would be a goroutine
    // of the target in its first snapshot (pprof-client.ts says why).
    const response = await fetch(`${base}/debug/pprof/`, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual', headers: { connection: 'close' } });
    if (!response.ok) {
      await response.body?.cancel();
      return false;
    }
    const text = (await response.text()).slice(0, 64 * 1024);
    return text.includes('goroutine') && text.includes('/debug/pprof/');
  } catch {
    return false;
  }
}
