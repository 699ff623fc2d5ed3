/**
 * Golden summaries of the parsers' output on the captured dumps
 * (fixtures/dumps/): per dump, the goroutine count, every site with its
 * count, states and labels, and the warnings. Small enough to review in a
 * diff, precise enough that a parser change shows up as one.
 *
 * Regenerate after an intended change with `npm run golden:update` and read
 * the diff; test/unit/golden.test.ts compares.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadSnapshotFile } from '../../src/formats/load.js';
import type { Snapshot } from '../../src/model/format.js';
import { SiteResolver } from '../../src/model/site.js';
import { dumpsDir, repoRoot } from './paths.js';

export const goldenDir = join(repoRoot, 'test', 'golden');

/** Every captured dump, by file name. */
export function capturedDumps(): string[] {
  return readdirSync(dumpsDir)
    .filter((f) => f.endsWith('.txt') || f.endsWith('.pb.gz'))
    .sort();
}

interface GoldenSite {
  count: number;
  states: Record<string, number>;
  leaked?: number;
  lockedToThread?: number;
  /** The most frames elided from one stack, and how many stacks the runtime did not print. */
  elidedFrames?: number;
  stackUnavailable?: number;
  labels?: string[];
}

export interface GoldenSummary {
  dump: string;
  runtime: string;
  profile?: string;
  runtimeVersion?: string;
  tasks: number;
  states: Record<string, number>;
  /** By site key, grouped by line ("fn file:line <- creator file:line"). */
  sites: Record<string, GoldenSite>;
  warnings: string[];
}

export function goldenSummary(dump: string, snapshot: Snapshot): GoldenSummary {
  const resolver = new SiteResolver(snapshot, 'line');
  const sites = new Map<string, GoldenSite & { labelSet: Set<string> }>();
  const states = new Map<string, number>();
  let tasks = 0;
  for (const task of snapshot.tasks) {
    const n = task.count ?? 1;
    tasks += n;
    states.set(task.state, (states.get(task.state) ?? 0) + n);
    const key = resolver.siteOf(task).key;
    let site = sites.get(key);
    if (site === undefined) sites.set(key, (site = { count: 0, states: {}, labelSet: new Set() }));
    site.count += n;
    site.states[task.state] = (site.states[task.state] ?? 0) + n;
    if (task.leaked) site.leaked = (site.leaked ?? 0) + n;
    if (task.lockedToThread) site.lockedToThread = (site.lockedToThread ?? 0) + n;
    if (task.elidedFrames !== undefined) site.elidedFrames = Math.max(site.elidedFrames ?? 0, task.elidedFrames);
    if (task.stackUnavailable) site.stackUnavailable = (site.stackUnavailable ?? 0) + n;
    if (task.labels !== undefined) site.labelSet.add(labelText(task.labels));
  }
  const summary: GoldenSummary = { dump, runtime: snapshot.runtime, tasks, states: sortedRecord(states), sites: {}, warnings: snapshot.warnings ?? [] };
  if (snapshot.source.profile !== undefined) summary.profile = snapshot.source.profile;
  if (snapshot.source.runtimeVersion !== undefined) summary.runtimeVersion = snapshot.source.runtimeVersion;
  for (const key of [...sites.keys()].sort()) {
    const { labelSet, ...site } = sites.get(key)!;
    site.states = sortedRecord(new Map(Object.entries(site.states)));
    summary.sites[key] = labelSet.size > 0 ? { ...site, labels: [...labelSet].sort() } : site;
  }
  return summary;
}

export async function goldenOf(dump: string): Promise<GoldenSummary> {
  return goldenSummary(dump, await loadSnapshotFile(join(dumpsDir, dump)));
}

/** JSON with one line per site, so a diff shows the sites that changed. */
export function goldenText(summary: GoldenSummary): string {
  const { sites, ...rest } = summary;
  const head = JSON.stringify({ ...rest, sites: {} }, null, 2).replace(/\n {2}"sites": \{\}\n\}$/, '');
  const lines = Object.entries(sites).map(([key, site]) => `    ${JSON.stringify(key)}: ${JSON.stringify(site)}`);
  return `${head}\n  "sites": {${lines.length > 0 ? `\n${lines.join(',\n')}\n  ` : ''}}\n}\n`;
}

export function goldenFile(dump: string): string {
  return join(goldenDir, `${dump.replace(/\.(txt|pb\.gz)$/, '')}.json`);
}

function labelText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

function sortedRecord(counts: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
}
