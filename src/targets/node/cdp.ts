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
    socket.on('message', (data) => this.onMessage(String(data)));
    socket.on('close', () => this.failAll(new TargetError('the inspector connection closed')));
    socket.on('error', (error) => this.failAll(new TargetError(`inspector connection failed: ${error.message}`)));
  }

  static connect(url: string, timeoutMs: number): Promise<CdpSession> {
    return new Promise((resolve, reject) => {
      // The inspector refuses connections with an Origin header it does not expect; send none.
      const socket = new (ws())(url, { handshakeTimeout: timeoutMs, perMessageDeflate: false, maxPayload: 512 * 1024 * 1024 });
      socket.once('open', () => resolve(new CdpSession(socket)));
      socket.once('error', (error) => reject(new TargetError(`cannot connect to the inspector at ${url}: ${error.message}`)));
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
    if (result.exceptionDetails) {
      const description = result.exceptionDetails.exception?.description ?? result.exceptionDetails.text;
      throw new TargetError(`code leakscan ran in the target failed: ${description.split('\n')[0]}`);
    }
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
    let message: { id?: number; method?: string; params?: unknown; result?: unknown; error?: { message: string } };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.id === undefined) {
      if (typeof message.method === 'string') for (const fn of this.listeners.get(message.method) ?? []) fn(message.params);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.error) pending.reject(new TargetError(`inspector error: ${message.error.message}`));
    else pending.resolve(message.result);
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
