/**
 * The instances of a fleet: from Prometheus's active targets (filtered by
 * --job or by the series a --selector matches), or from a file in
 * Prometheus's file_sd JSON format for users without Prometheus. Each
 * instance knows its labels, its scrape address, and where its pprof
 * endpoint is (the scrape address by default, or --pprof's template).
 */
import { readFile } from 'node:fs/promises';
import { InputError } from '../util/errors.js';
import type { Labels, PrometheusApi, ScrapeTarget } from './prometheus-api.js';

export interface FleetInstance {
  job: string;
  /** Prometheus's instance label (host:port of the scrape target by default). */
  instance: string;
  labels: Labels;
  /** host:port that Prometheus scrapes. */
  address: string;
  scheme: 'http' | 'https';
  /** Prometheus's last word on the target, when it came from Prometheus. */
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

/** One key per instance: two jobs may scrape the same address. */
export function instanceKey(i: { job: string; instance: string }): string {
  return `${i.job}\u0000${i.instance}`;
}

export interface InstanceFilter {
  job?: string;
  /** A PromQL label matcher list, `{a="b",c=~"d"}` (the braces are optional). */
  selector?: string;
}

/** `job="api"` or `{job="api"}` -> `{job="api"}`; the job filter is added to it. */
export function matcherFor(filter: InstanceFilter): string {
  const parts: string[] = [];
  if (filter.selector !== undefined) {
    const s = filter.selector.trim();
    const inner = s.startsWith('{') && s.endsWith('}') ? s.slice(1, -1).trim() : s;
    if (/[{}]/.test(inner)) throw new InputError(`--selector takes label matchers only, like '{job="api",env="prod"}': ${filter.selector}`);
    if (inner !== '') parts.push(inner);
  }
  if (filter.job !== undefined) parts.push(`job=${JSON.stringify(filter.job)}`);
  return `{${parts.join(',')}}`;
}

/** Prometheus's active targets that match the filter. */
export async function instancesFromPrometheus(api: PrometheusApi, filter: InstanceFilter): Promise<FleetInstance[]> {
  const targets = await api.activeTargets();
  let wanted: Set<string> | undefined;
  if (filter.selector !== undefined) {
    // The selector is PromQL: Prometheus itself says which (job, instance) pairs it matches.
    const series = await api.query(`count by (job, instance) (up${matcherFor(filter)})`);
    wanted = new Set(series.map((s) => instanceKey({ job: s.metric.job ?? '', instance: s.metric.instance ?? '' })));
  }
  const instances = new Map<string, FleetInstance>();
  for (const target of targets) {
    const instance = fromTarget(target);
    if (instance === undefined) continue;
    if (filter.job !== undefined && instance.job !== filter.job) continue;
    if (wanted !== undefined && !wanted.has(instanceKey(instance))) continue;
    instances.set(instanceKey(instance), instance);
  }
  return [...instances.values()].sort(byJobAndInstance);
}

function fromTarget(target: ScrapeTarget): FleetInstance | undefined {
  let url: URL;
  try {
    url = new URL(target.scrapeUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return {
    job: target.labels.job ?? target.scrapePool,
    instance: target.labels.instance ?? url.host,
    labels: target.labels,
    address: url.host,
    scheme: url.protocol === 'https:' ? 'https' : 'http',
    health: target.health,
    lastError: target.lastError,
  };
}

/**
 * Prometheus file_sd JSON: `[{"targets": ["host:port", ...], "labels": {...}}]`.
 * `__scheme__` in the labels is honoured; the job is the `job` label, or the
 * file's name when there is none.
 */
export async function instancesFromFileSd(file: string, filter: InstanceFilter): Promise<FleetInstance[]> {
  if (filter.selector !== undefined) throw new InputError('--selector needs --prometheus; with --targets use --job');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read --targets ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let groups: unknown;
  try {
    groups = JSON.parse(text);
  } catch {
    throw new InputError(`--targets ${file} is not JSON (expected Prometheus file_sd: [{"targets": ["host:port"], "labels": {...}}])`);
  }
  if (!Array.isArray(groups)) throw new InputError(`--targets ${file}: expected a list of {"targets": [...], "labels": {...}}`);
  const instances = new Map<string, FleetInstance>();
  groups.forEach((group: unknown, g) => {
    const where = `--targets ${file}, group ${g + 1}`;
    if (typeof group !== 'object' || group === null) throw new InputError(`${where}: not an object`);
    const { targets, labels = {} } = group as { targets?: unknown; labels?: unknown };
    if (!Array.isArray(targets) || !targets.every((t) => typeof t === 'string'))
      throw new InputError(`${where}: "targets" must be a list of "host:port" strings`);
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels) || !Object.values(labels).every((v) => typeof v === 'string')) {
      throw new InputError(`${where}: "labels" must map names to strings`);
    }
    const groupLabels = labels as Labels;
    const scheme = groupLabels.__scheme__ === 'https' ? 'https' : 'http';
    for (const address of targets as string[]) {
      if (!/^[A-Za-z0-9.\-_]+:\d{1,5}$|^\[[0-9A-Fa-f:.]+\]:\d{1,5}$/.test(address))
        throw new InputError(`${where}: "${address.slice(0, 100)}" is not host:port`);
      const visible = Object.fromEntries(Object.entries(groupLabels).filter(([k]) => !k.startsWith('__')));
      const instance: FleetInstance = {
        job: visible.job ?? 'file_sd',
        instance: visible.instance ?? address,
        labels: { ...visible, instance: visible.instance ?? address },
        address,
        scheme,
        health: 'unknown',
        lastError: '',
      };
      if (filter.job !== undefined && instance.job !== filter.job) continue;
      instances.set(instanceKey(instance), instance);
    }
  });
  return [...instances.values()].sort(byJobAndInstance);
}

/**
 * Where an instance's pprof endpoint is: its scrape address by default, or
 * the --pprof template with {host}, {port} and {instance} filled in
 * (e.g. 'http://{host}:6060/debug/pprof/' when pprof has its own port).
 */
export function pprofUrlOf(instance: FleetInstance, template: string | undefined): string {
  const { host, port } = splitAddress(instance.address);
  if (template === undefined) return `${instance.scheme}://${instance.address}/debug/pprof/`;
  return template.replace(/\{(host|port|instance)\}/g, (_, name: string) => (name === 'host' ? host : name === 'port' ? port : instance.instance));
}

/** Checks a --pprof template before any request is made. */
export function checkPprofTemplate(template: string): void {
  const unknown = /\{(?!host\}|port\}|instance\})[^}]*\}/.exec(template);
  if (unknown) throw new InputError(`--pprof: unknown placeholder ${unknown[0]} (use {host}, {port}, {instance})`);
  const sample = template.replace(/\{(host|port|instance)\}/g, (_, n: string) => (n === 'port' ? '6060' : 'example.com'));
  let url: URL;
  try {
    url = new URL(/^[a-z]+:\/\//i.test(sample) ? sample : `http://${sample}`);
  } catch {
    throw new InputError(`--pprof is not a URL template: ${template}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InputError(`--pprof must be an http(s) URL template: ${template}`);
}

function splitAddress(address: string): { host: string; port: string } {
  const at = address.lastIndexOf(':');
  if (at < 0) return { host: address, port: '' };
  return { host: address.slice(0, at), port: address.slice(at + 1) };
}

function byJobAndInstance(a: FleetInstance, b: FleetInstance): number {
  return a.job.localeCompare(b.job) || a.instance.localeCompare(b.instance, undefined, { numeric: true });
}
