/**
 * A minimal Chrome DevTools Protocol client over the inspector's WebSocket:
 * commands with ids and timeouts; nothing else is needed to evaluate code in
 * a Node target.
 */
import type WebSocket from 'ws';
import { lazyModule } from '../../util/lazy-module.js';
import { TargetError } from '../../util/errors.js';

const ws = lazyModule<typeof WebSocket>('ws');

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class CdpSession {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, Set<(params: unknown) => void>>();
  private closedError: Error | undefined;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => this.onMessage(messageText(data)));
    socket.on('close', () => this.failAll(new TargetError('the inspector connection closed')));
    socket.on('error', (error) => this.failAll(new TargetError(`inspector connection failed: ${error.message}`)));
  }

  /** `label` names the inspector in errors: the URL holds its UUID, which is never shown. */
  static connect(url: string, timeoutMs: number, label: string): Promise<CdpSession> {
    return new Promise((resolve, reject) => {
      // The inspector refuses connections with an Origin header it does not expect; send none.
      const socket = new (ws())(url, { handshakeTimeout: timeoutMs, perMessageDeflate: false, maxPayload: 512 * 1024 * 1024 });
      socket.once('open', () => resolve(new CdpSession(socket)));
      socket.once('error', (error) => reject(new TargetError(`cannot connect to the ${label}: ${error.message.replaceAll(url, label)}`)));
    });
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new TargetError(`the target did not answer ${method} within ${timeoutMs / 1000}s`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /**
   * Evaluates an expression in the target and returns its value (JSON).
   * A thrown exception in the target becomes a TargetError with its message.
   */
  async evaluate<T = unknown>(expression: string, timeoutMs = 30_000): Promise<T> {
    const result = await this.send<{ result: { value?: T; type: string }; exceptionDetails?: { text: string; exception?: { description?: string } } }>(
      'Runtime.evaluate',
      { expression, returnByValue: true, awaitPromise: true, includeCommandLineAPI: false, silent: true },
      timeoutMs,
    );
    // The answer is the target's: its shape is checked, never assumed.
    if (typeof result !== 'object' || result === null) throw new TargetError('the inspector answered Runtime.evaluate with something that is not an object');
    if (result.exceptionDetails) {
      const details = result.exceptionDetails as { text?: unknown; exception?: { description?: unknown } };
      const description =
        typeof details.exception?.description === 'string' ? details.exception.description : typeof details.text === 'string' ? details.text : 'an exception';
      throw new TargetError(`code leakscan ran in the target failed: ${description.split('\n')[0]!.slice(0, 200)}`);
    }
    if (typeof result.result !== 'object' || result.result === null) throw new TargetError('the inspector answered Runtime.evaluate without a result');
    return result.result.value as T;
  }

  /** Calls `fn` with the params of every `method` event until the returned function is called. */
  on(method: string, fn: (params: unknown) => void): () => void {
    let set = this.listeners.get(method);
    if (set === undefined) this.listeners.set(method, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  close(): Promise<void> {
    if (this.socket.readyState === ws().CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
      setTimeout(() => {
        this.socket.terminate();
        resolve();
      }, 2000).unref();
    });
  }

  private onMessage(text: string): void {
    let message: { id?: unknown; method?: unknown; params?: unknown; result?: unknown; error?: { message?: unknown } };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return; // noise
    if (typeof message.id !== 'number') {
      // An event: only the methods a caller listens for reach anyone.
      if (typeof message.method === 'string') for (const fn of this.listeners.get(message.method) ?? []) fn(message.params);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.error) {
      const why = typeof message.error.message === 'string' ? message.error.message.slice(0, 200) : 'unknown';
      pending.reject(new TargetError(`inspector error: ${why}`));
    } else pending.resolve(message.result);
  }

  private failAll(error: Error): void {
    this.closedError ??= error;
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
  }
}

/** The text of an inspector message, however ws delivered it (one buffer, fragments, or an ArrayBuffer). */
function messageText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}
