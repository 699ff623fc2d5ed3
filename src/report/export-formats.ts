/**
 * Snapshots in formats other tools open:
 * - pprof: a goroutine profile (profile.proto, gzipped) as Go's own
 *   /debug/pprof/goroutine?debug=0 is, for `go tool pprof`, Pyroscope and
 *   speedscope. Each sample is one stack with its task count; labels are
 *   the task's pprof labels, plus its state (`-tagfocus state=...`).
 * - collapsed: Brendan Gregg's folded stacks ("root;...;leaf count"), for
 *   flamegraph.pl, inferno and most flamegraph tools.
 * - speedscope: speedscope's JSON file format, one profile per snapshot, so
 *   a whole series opens as a list of profiles.
 * Stacks are what the snapshot holds: Go, where each goroutine is now; Node,
 * where each resource was created.
 */
import { gzipSync } from 'node:zlib';
import { Function as PprofFunction, Label, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import type { Frame, Snapshot, Task } from '../model/format.js';
import { functionName, shortPath } from '../model/site.js';

export const EXPORT_FORMATS = ['pprof', 'collapsed', 'speedscope'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Which tasks go out: all, or those a predicate keeps (one site). */
export type TaskFilter = (task: Task) => boolean;

const keepAll: TaskFilter = () => true;

/** Tasks per (stack, labels): aggregated input carries `count`. */
function* weightedTasks(snapshot: Snapshot, keep: TaskFilter): Generator<[Task, number]> {
  for (const task of snapshot.tasks) if (keep(task)) yield [task, task.count ?? 1];
}

export function pprofProfile(snapshot: Snapshot, keep: TaskFilter = keepAll): Buffer {
  const strings = new StringTable();
  const functionIds = new Map<number, number>();
  const functions: PprofFunction[] = [];
  const locations: Location[] = [];
  // One location per frame, one function per (name, file): what pprof expects.
  const functionOf = new Map<string, number>();
  const locationOf = (frameIndex: number): number => {
    let id = functionIds.get(frameIndex);
    if (id !== undefined) return id;
    const frame = snapshot.frames[frameIndex]!;
    const fnKey = `${frame.fn}\0${frame.file}`;
    let functionId = functionOf.get(fnKey);
    if (functionId === undefined) {
      functionId = functions.length + 1;
      const name = strings.dedup(functionName(frame));
      functions.push(new PprofFunction({ id: functionId, name, systemName: name, filename: strings.dedup(frame.file) }));
      functionOf.set(fnKey, functionId);
    }
    id = locations.length + 1;
    locations.push(new Location({ id, line: [new Line({ functionId, line: frame.line })] }));
    functionIds.set(frameIndex, id);
    return id;
  };

  const unit = snapshot.runtime === 'go' ? 'goroutine' : 'resource';
  const samples = new Map<string, Sample>();
  for (const [task, weight] of weightedTasks(snapshot, keep)) {
    const labels: [string, string][] = Object.entries(task.labels ?? {});
    if (task.state !== 'unknown') labels.push(['state', task.state]);
    if (snapshot.runtime === 'node') labels.push(['kind', task.kind]);
    labels.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const key = `${task.stack}\0${JSON.stringify(labels)}`;
    const sample = samples.get(key);
    if (sample !== undefined) {
      sample.value[0] = Number(sample.value[0]) + weight;
      continue;
    }
    const stack = snapshot.stacks[task.stack] ?? [];
    samples.set(
      key,
      new Sample({
        locationId: stack.map(locationOf),
        value: [weight],
        label: labels.map(([k, v]) => new Label({ key: strings.dedup(k), str: strings.dedup(v) })),
      }),
    );
  }
  const profile = new Profile({
    sampleType: [new ValueType({ type: strings.dedup(unit), unit: strings.dedup('count') })],
    periodType: new ValueType({ type: strings.dedup(unit), unit: strings.dedup('count') }),
    period: 1,
    timeNanos: BigInt(Math.round(snapshot.takenAt)) * 1_000_000n,
    sample: [...samples.values()],
    location: locations,
    function: functions,
    stringTable: strings,
  });
  return gzipSync(profile.encode());
}

/** A frame's name in folded stacks: no ";" (the separator) and no line breaks. */
function foldedName(frame: Frame, runtime: Snapshot['runtime']): string {
  const name = runtime === 'node' ? `${functionName(frame)}${frame.file ? ` ${shortPath(frame.file)}:${frame.line}` : ''}` : frame.fn || '(unknown)';
  return name.replace(/[;\r\n]/g, '_');
}

export function collapsedStacks(snapshot: Snapshot, keep: TaskFilter = keepAll): string {
  const counts = new Map<number, number>();
  for (const [task, weight] of weightedTasks(snapshot, keep)) counts.set(task.stack, (counts.get(task.stack) ?? 0) + weight);
  const lines = new Map<string, number>();
  for (const [stackIndex, count] of counts) {
    const stack = snapshot.stacks[stackIndex] ?? [];
    const folded =
      stack.length === 0
        ? '(no stack)'
        : [...stack]
            .reverse()
            .map((i) => foldedName(snapshot.frames[i]!, snapshot.runtime))
            .join(';');
    lines.set(folded, (lines.get(folded) ?? 0) + count);
  }
  return [...lines].map(([folded, count]) => `${folded} ${count}\n`).join('');
}

interface SpeedscopeFrame {
  name: string;
  file?: string;
  line?: number;
}

/** speedscope's file format (https://www.speedscope.app/file-format-schema.json): frames shared by every snapshot's profile. */
export function speedscopeDocument(snapshots: readonly { snapshot: Snapshot; name: string; keep?: TaskFilter }[], exporter: string): string {
  const frames: SpeedscopeFrame[] = [];
  const frameIds = new Map<string, number>();
  const frameId = (frame: Frame): number => {
    const key = `${frame.fn}\0${frame.file}\0${frame.line}`;
    let id = frameIds.get(key);
    if (id === undefined) {
      id = frames.length;
      frames.push({ name: functionName(frame), ...(frame.file ? { file: frame.file } : {}), ...(frame.line > 0 ? { line: frame.line } : {}) });
      frameIds.set(key, id);
    }
    return id;
  };
  const profiles = snapshots.map(({ snapshot, name, keep = keepAll }) => {
    const counts = new Map<number, number>();
    for (const [task, weight] of weightedTasks(snapshot, keep)) counts.set(task.stack, (counts.get(task.stack) ?? 0) + weight);
    const samples: number[][] = [];
    const weights: number[] = [];
    let total = 0;
    for (const [stackIndex, count] of counts) {
      const stack = snapshot.stacks[stackIndex] ?? [];
      samples.push([...stack].reverse().map((i) => frameId(snapshot.frames[i]!)));
      weights.push(count);
      total += count;
    }
    return { type: 'sampled', name, unit: 'none', startValue: 0, endValue: total, samples, weights };
  });
  return JSON.stringify({
    $schema: 'https://www.speedscope.app/file-format-schema.json',
    shared: { frames },
    profiles,
    name: snapshots.length === 1 ? snapshots[0]!.name : `${snapshots.length} snapshots`,
    activeProfileIndex: Math.max(0, profiles.length - 1),
    exporter,
  });
}
