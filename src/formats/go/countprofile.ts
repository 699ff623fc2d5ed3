/**
 * Parsers for Go's aggregated goroutine profiles: counts per distinct stack
 * (and label set), with no goroutine ids, wait reasons or creators.
 *
 * - debug=1 text (runtime/pprof printCountProfile + printStackRecord):
 *
 *     goroutine profile: total 7
 *     2 @ 0x43a1d6 0x4069bb 0x4a1f65 0x46e6e1
 *     # labels: {"handler":"checkout", "tenant":"acme"}
 *     #	0x4a1f64	main.worker+0x44	/src/app/main.go:12
 *
 *   The columns are aligned by text/tabwriter with tabs, so a run of tabs
 *   separates them. Leading runtime frames are hidden by the runtime.
 *
 * - debug=0: gzipped profile.proto, decoded with pprof-format.
 */
import { isGoRuntimeFunction } from '../../model/runtime-frames.js';
import { Profile } from 'pprof-format';
import { SnapshotBuilder } from '../../model/builder.js';
import { InputError } from '../../util/errors.js';
import { normalizeFunctionName } from './traceback.js';
import { unquoteGoText } from './header.js';
import { emptyDictionary } from '../../model/dictionary.js';

export interface CountProfileSummary {
  /** "goroutine" or "goroutineleak". */
  profileName: string;
  /** Total tasks the profile stands for. */
  total: number;
}

/** Reads debug=1 text. Every task is marked leaked when the profile is goroutineleak. */
export function parseDebug1(text: string, builder: SnapshotBuilder): CountProfileSummary {
  const lines = text.split('\n');
  const headerMatch = /^(\w+) profile: total (\d+)\s*$/.exec(lines[0] ?? '');
  if (headerMatch === null) throw new InputError('not a goroutine profile: missing "goroutine profile: total N"');
  const profileName = headerMatch[1]!;
  const leaked = profileName === 'goroutineleak';
  let total = 0;
  let i = 1;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '') {
      i++;
      continue;
    }
    const countMatch = /^(\d+) @/.exec(line);
    if (countMatch === null) throw new InputError(`not a goroutine profile: unexpected line ${i + 1}: ${clip(line)}`);
    const count = Number.parseInt(countMatch[1]!, 10);
    i++;
    let labels: Record<string, string> | undefined;
    const frames: number[] = [];
    for (; i < lines.length && lines[i]!.startsWith('#'); i++) {
      const entry = lines[i]!;
      if (entry.startsWith('# labels: ')) {
        labels = parseDebug1Labels(entry.slice('# labels: '.length));
        continue;
      }
      // "#\t0xPC\tfn+0xOFF\tfile:line", tab runs between columns; or "#\t0xPC" when unsymbolized.
      const columns = entry.split(/\t+/);
      const fnColumn = columns[2];
      if (fnColumn === undefined) {
        frames.push(builder.frame(columns[1] ?? '?', '', 0));
        continue;
      }
      const plus = fnColumn.lastIndexOf('+0x');
      const fn = normalizeFunctionName(plus > 0 ? fnColumn.slice(0, plus) : fnColumn);
      const location = columns.slice(3).join('\t');
      const colon = location.lastIndexOf(':');
      const lineNo = colon > 0 ? Number.parseInt(location.slice(colon + 1), 10) : 0;
      frames.push(builder.frame(fn, colon > 0 ? location.slice(0, colon) : location, Number.isFinite(lineNo) ? lineNo : 0));
    }
    total += count;
    builder.addTask({
      kind: 'goroutine',
      state: 'unknown',
      stack: builder.stack(frames),
      count,
      ...(labels ? { labels } : {}),
      ...(leaked ? { leaked: true as const } : {}),
      // One address and no frame line: the stack was runtime.goexit alone,
      // which ends every goroutine's stack (Task.notStarted says why).
      ...(frames.length === 0 && pcCount(line) === 1 ? { notStarted: true as const } : {}),
    });
  }
  refuseEmptyProfile(profileName, total, Number(headerMatch[2]));
  return { profileName, total };
}

/**
 * A goroutine profile of a live process always lists the goroutine that
 * wrote it (the one serving the request, or the one calling
 * runtime/pprof), so one with no goroutines is not a real dump: a stub or a
 * cut answer, which would otherwise read as "the service holds 0
 * goroutines". The goroutineleak profile lists only leaked goroutines and
 * may be empty, but not while its header counts some.
 */
function refuseEmptyProfile(profileName: string, listed: number, headerTotal = listed): void {
  if (listed > 0) return;
  if (headerTotal > 0) throw new InputError(`${profileName} profile says total ${headerTotal} but lists no goroutines: not a complete dump`);
  if (profileName === 'goroutine') throw new InputError('goroutine profile holds no goroutines: not a complete dump');
}

/** The addresses after "N @" in a debug=1 record's first line. */
function pcCount(line: string): number {
  return line
    .slice(line.indexOf('@') + 1)
    .trim()
    .split(/\s+/)
    .filter((pc) => pc !== '').length;
}

/** `{"k":"v", "k2":"v2"}`: Go %q-quoted keys and values. */
function parseDebug1Labels(text: string): Record<string, string> {
  // Keys are the target's: "__proto__" or "constructor" must be plain keys.
  const labels = emptyDictionary<string>();
  const pair = /"((?:[^"\\]|\\.)*)":"((?:[^"\\]|\\.)*)"/g;
  for (let m = pair.exec(text); m !== null; m = pair.exec(text)) {
    labels[unquoteGoText(`"${m[1]}"`)] = unquoteGoText(`"${m[2]}"`);
  }
  return labels;
}

/** Reads a decompressed profile.proto of a goroutine or goroutineleak profile. */
export function parseProfileProto(bytes: Uint8Array, builder: SnapshotBuilder): CountProfileSummary {
  let profile: Profile;
  try {
    profile = Profile.decode(bytes);
  } catch {
    // The decoder's own words ("Unrecognized value type: 7") speak of wire
    // types, not of the file: what the user needs is that it is not a profile.
    throw new InputError('not a valid profile.proto (a damaged file, or not a pprof profile)');
  }
  const strings = profile.stringTable.strings;
  const str = (index: number | bigint): string => strings[Number(index)] ?? '';
  const sampleType = profile.sampleType[0];
  const profileName = sampleType ? str(sampleType.type) : '';
  if (profileName !== 'goroutine' && profileName !== 'goroutineleak') {
    throw new InputError(
      // The name comes from the input: quoted and clipped, so a damaged one stays on one line.
      `profile.proto holds a ${profileName ? JSON.stringify(clip(profileName)) : 'nameless'} profile, not a goroutine profile`,
    );
  }
  const leaked = profileName === 'goroutineleak';

  const functions = new Map<string, { name: string; file: string }>();
  for (const fn of profile.function) {
    functions.set(String(fn.id), { name: normalizeFunctionName(str(fn.name)), file: str(fn.filename) });
  }
  // A location holds the inlined calls at one pc, innermost first.
  const locations = new Map<string, number[]>();
  for (const location of profile.location) {
    const frames: number[] = [];
    for (const line of location.line) {
      const fn = functions.get(String(line.functionId));
      frames.push(builder.frame(fn?.name ?? '?', fn?.file ?? '', Number(line.line)));
    }
    locations.set(String(location.id), frames);
  }

  let total = 0;
  for (const sample of profile.sample) {
    const count = Number(sample.value[0] ?? 0);
    const frames: number[] = [];
    for (const locationId of sample.locationId) {
      const locationFrames = locations.get(String(locationId));
      if (locationFrames === undefined) throw new InputError(`profile.proto refers to a missing location ${locationId}`);
      frames.push(...locationFrames);
    }
    // Drop runtime.goexit and the leading runtime frames, as the text formats do.
    const stack = trimRuntimeFrames(frames, builder);
    // runtime.goexit alone, a goroutine not yet run (Task.notStarted): the
    // runtime writes such a stack with no location (runtime/pprof proto.go,
    // appendLocsForStack), or with goexit's.
    const notStarted = frames.every((id) => builder.frames[id]!.fn === 'runtime.goexit');
    let labels: Record<string, string> | undefined;
    for (const label of sample.label) {
      const key = str(label.key);
      if (key === '') continue;
      labels ??= emptyDictionary<string>();
      labels[key] = Number(label.str) !== 0 ? str(label.str) : String(label.num);
    }
    total += count;
    builder.addTask({
      kind: 'goroutine',
      state: 'unknown',
      stack: builder.stack(stack),
      count,
      ...(labels ? { labels } : {}),
      ...(leaked ? { leaked: true as const } : {}),
      ...(notStarted ? { notStarted: true as const } : {}),
    });
  }
  refuseEmptyProfile(profileName, total);
  return { profileName, total };
}

function trimRuntimeFrames(frames: number[], builder: SnapshotBuilder): number[] {
  const isRuntime = (id: number) => isGoRuntimeFunction(builder.frames[id]!.fn);
  let end = frames.length;
  while (end > 0 && builder.frames[frames[end - 1]!]!.fn === 'runtime.goexit') end--;
  let start = 0;
  while (start < end && isRuntime(frames[start]!)) start++;
  return start === end ? frames.slice(0, end) : frames.slice(start, end);
}

function clip(line: string): string {
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}
