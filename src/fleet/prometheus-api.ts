/**
 * A small client for the Prometheus HTTP API (/api/v1/targets, /api/v1/query,
 * /api/v1/query_range). Everything Prometheus answers is treated as untrusted:
 * the body is read up to a size limit, the JSON is checked field by field,
 * label names and values are bounded, non-finite sample values are dropped,
 * and the number of series is capped, so a wrong URL, a proxy's error page or
 * a huge answer gives one clear error instead of a crash or a memory blow-up.
 *
 * Errors: Prometheus unreachable or answering garbage -> TargetError (exit 3);
 * a query Prometheus rejects as bad (HTTP 400 bad_data, e.g. a bad
 * --selector) -> InputError (exit 2).
 */
import { InputError, TargetError } from '../util/errors.js';

export interface PrometheusOptions {
  /** Whole-request timeout, body included. */
  timeoutMs: number;
  /** Largest body accepted from Prometheus. */
  maxBytes: number;
  /** Most series accepted from one query. */
  maxSeries: number;
}

export const defaultPrometheusOptions: PrometheusOptions = { timeoutMs: 30_000, maxBytes: 64 << 20, maxSeries: 20_000 };

/** Label names and values longer than this are refused: no real label is this long. */
const MAX_LABEL_LENGTH = 4096;
const MAX_LABELS = 128;

export type Labels = Record<string, string>;

export interface Sample {
  /** Unix seconds. */
  t: number;
  v: number;
}

export interface Series {
  metric: Labels;
  samples: Sample[];
}

/** One entry of /api/v1/targets' activeTargets. */
export interface ScrapeTarget {
  labels: Labels;
  scrapePool: string;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

export class PrometheusApi {
  readonly base: URL;

  constructor(
    baseUrl: string,
    private readonly options: PrometheusOptions = defaultPrometheusOptions,
  ) {
    this.base = prometheusBase(baseUrl);
  }

  async activeTargets(): Promise<ScrapeTarget[]> {
    const data = await this.get('api/v1/targets', { state: 'active' });
    const list = field(data, 'activeTargets', this.base);
    if (!Array.isArray(list)) throw this.garbage('activeTargets is not a list');
    if (list.length > this.options.maxSeries) throw this.garbage(`more than ${this.options.maxSeries} targets`);
    return list.map((entry) => {
      if (!isObject(entry)) throw this.garbage('a target is not an object');
      const health = entry.health;
      return {
        labels: this.labels(entry.labels),
        scrapePool: typeof entry.scrapePool === 'string' ? bounded(entry.scrapePool) : '',
        scrapeUrl: this.string(entry.scrapeUrl, 'scrapeUrl'),
        health: health === 'up' || health === 'down' ? health : 'unknown',
        lastError: typeof entry.lastError === 'string' ? bounded(entry.lastError).slice(0, 500) : '',
      };
    });
  }

  /** An instant query (vector result): one sample per series. */
  async query(expr: string, time?: number): Promise<Series[]> {
    const data = await this.get('api/v1/query', { query: expr, ...(time !== undefined ? { time: String(time) } : {}) });
    const type = field(data, 'resultType', this.base);
    if (type !== 'vector') throw this.garbage(`expected a vector, got ${JSON.stringify(type)}`);
    return this.seriesList(field(data, 'result', this.base), 'value');
  }

  /** A range query (matrix result). Times in Unix seconds, step in seconds. */
  async queryRange(expr: string, start: number, end: number, step: number): Promise<Series[]> {
    const data = await this.get('api/v1/query_range', { query: expr, start: String(start), end: String(end), step: String(step) });
    const type = field(data, 'resultType', this.base);
    if (type !== 'matrix') throw this.garbage(`expected a matrix, got ${JSON.stringify(type)}`);
    return this.seriesList(field(data, 'result', this.base), 'values');
  }

  private seriesList(result: unknown, key: 'value' | 'values'): Series[] {
    if (!Array.isArray(result)) throw this.garbage('result is not a list');
    if (result.length > this.options.maxSeries) {
      throw new InputError(`Prometheus returned more than ${this.options.maxSeries} series: narrow the --job or --selector`);
    }
    return result.map((entry) => {
      if (!isObject(entry)) throw this.garbage('a series is not an object');
      const raw = key === 'value' ? [entry.value] : entry.values;
      if (!Array.isArray(raw)) throw this.garbage(`a series has no ${key}`);
      const samples: Sample[] = [];
      for (const pair of raw) {
        if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'number' || typeof pair[1] !== 'string') {
          throw this.garbage('a sample is not [time, "value"]');
        }
        const v = Number(pair[1]);
        // NaN, +Inf and -Inf are valid in Prometheus but say nothing about a count.
        if (Number.isFinite(pair[0]) && Number.isFinite(v)) samples.push({ t: pair[0], v });
      }
      return { metric: this.labels(entry.metric), samples };
    });
  }

  private labels(value: unknown): Labels {
    if (!isObject(value)) throw this.garbage('labels are not an object');
    const entries = Object.entries(value);
    if (entries.length > MAX_LABELS) throw this.garbage(`a series has more than ${MAX_LABELS} labels`);
    const labels: Labels = Object.create(null) as Labels;
    for (const [name, v] of entries) {
      if (typeof v !== 'string' || name.length > MAX_LABEL_LENGTH || v.length > MAX_LABEL_LENGTH) {
        throw this.garbage('a label is not a short string');
      }
      labels[name] = v;
    }
    return labels;
  }

  private string(value: unknown, what: string): string {
    if (typeof value !== 'string' || value.length > MAX_LABEL_LENGTH) throw this.garbage(`${what} is not a short string`);
    return value;
  }

  private garbage(what: string): TargetError {
    return new TargetError(`${this.base.origin} did not answer like the Prometheus HTTP API (${what})`);
  }

  private async get(path: string, params: Record<string, string>): Promise<unknown> {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs), redirect: 'follow', headers: { accept: 'application/json' } });
    } catch (error) {
      throw unreachable(error, url, this.options.timeoutMs);
    }
    let text: string;
    try {
      text = await readLimited(response, this.options.maxBytes);
    } catch (error) {
      if (error instanceof TargetError) throw error;
      throw unreachable(error, url, this.options.timeoutMs);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new TargetError(
        `${url.origin}${url.pathname} answered ${response.status} with something that is not JSON: is --prometheus the Prometheus server's URL?`,
      );
    }
    if (!isObject(body)) throw this.garbage('the answer is not an object');
    if (body.status === 'error') {
      const kind = typeof body.errorType === 'string' ? body.errorType : 'error';
      const message = typeof body.error === 'string' ? body.error.slice(0, 500) : 'no message';
      // bad_data is Prometheus's word for a query or parameter it cannot use: the user's input.
      if (kind === 'bad_data') throw new InputError(`Prometheus rejected the query: ${message}`);
      throw new TargetError(`Prometheus answered ${response.status} (${kind}): ${message}`);
    }
    if (body.status !== 'success' || !response.ok) throw this.garbage(`status ${JSON.stringify(body.status)}, HTTP ${response.status}`);
    return body.data;
  }
}

/** The server's base URL from what the user typed ("host:9090", "http://host:9090/prometheus"). */
export function prometheusBase(input: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `http://${input}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new InputError(`--prometheus is not a URL: ${input}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InputError(`--prometheus is not an http(s) URL: ${input}`);
  // A path prefix (Prometheus behind --web.route-prefix or a proxy) is kept; a trailing /api/v1... is not.
  const path = url.pathname.replace(/\/api\/v1(\/.*)?$/, '').replace(/\/+$/, '');
  return new URL(`${path}/`, url.origin);
}

function field(data: unknown, name: string, base: URL): unknown {
  if (!isObject(data)) throw new TargetError(`${base.origin} did not answer like the Prometheus HTTP API (no data)`);
  return data[name];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bounded(text: string): string {
  return text.length > MAX_LABEL_LENGTH ? text.slice(0, MAX_LABEL_LENGTH) : text;
}

async function readLimited(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new TargetError(`Prometheus's answer is larger than ${maxBytes >> 20} MiB: narrow the --job, --selector or --window`);
  }
  if (response.body === null) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      await response.body.cancel().catch(() => undefined);
      throw new TargetError(`Prometheus's answer is larger than ${maxBytes >> 20} MiB: narrow the --job, --selector or --window`);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function unreachable(error: unknown, url: URL, timeoutMs: number): TargetError {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError')
    return new TargetError(`no complete answer from Prometheus at ${url.origin} within ${timeoutMs / 1000}s`);
  const code = e.cause?.code;
  if (code === 'ECONNREFUSED') return new TargetError(`cannot connect to Prometheus at ${url.host}: connection refused`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new TargetError(`cannot resolve Prometheus host ${url.hostname}`);
  return new TargetError(`cannot read ${url.origin}${url.pathname}: ${e.cause?.message ?? e.message}`);
}
