/**
 * Runs the hook-free census (census.ts) in a Node target over the
 * inspector and turns what it finds into plain data: groups of live timers,
 * listeners, sockets and servers with the code line of their function,
 * the number of pending promises, and the async id clock.
 *
 * What it costs the target is charged to the agent's budget: the time the
 * target stood still for the census is measured at every snapshot, and the
 * number of objects read at the next one is scaled so that this time stays
 * within `budget` of the time between snapshots (the heap walks themselves
 * cannot be made shorter; they are said in a warning when they alone go over).
 */
import type { CdpSession } from './cdp.js';
import type { CensusGroup, CensusPart } from './census.js';
import { EMITTER_CENSUS, HANDLE_CENSUS, ID_CLOCK, PROMISE_CENSUS, TIMEOUT_PROTOTYPE, TIMER_CENSUS } from './census.js';

/** Where a group's function was written, as the inspector says. */
export interface CodeLocation {
  fn: string;
  file: string;
  /** 1-based. */
  line: number;
}

export interface LocatedGroup extends CensusGroup {
  location?: CodeLocation;
}

export interface IdClock {
  newestId: number;
  startedAt: number;
  now: number;
}

export interface CensusFindings {
  groups: LocatedGroup[];
  /** Pending promises (estimated when `promisesRead` < total). */
  promises?: { pending: number; total: number; read: number };
  /** Other active handles and requests the agent does not track: [asyncId, type]. */
  handles: [number | null, string][];
  clock: IdClock;
  /** Plain-words notes for the snapshot (sampling, cost). */
  warnings: string[];
  /** How long the target stood still for the census, in ms (measured from outside). */
  stallMs: number;
}

const GROUP = 'leakscan-census';
const PROTOTYPES = 'leakscan-census-prototypes';
/** At most this many objects of each kind are read per snapshot, however large the budget. */
export const MAX_READ = 100_000;
/** And at least this many, however small: below it estimates say too little. */
const MIN_READ = 2_000;
/** Async ids listed one by one per snapshot (the rest are counts): enough to follow what lives on. */
const ID_LIMIT = 20_000;
/** Functions located per snapshot; the rest wait for the next. */
const LOCATE_LIMIT = 200;

interface Prototypes {
  promise: string;
  timeout: string;
  emitter: string;
}

export class CensusReader {
  private prototypes: Prototypes | undefined;
  private readonly located = new Map<string, CodeLocation | null>();
  private readonly scriptUrls = new Map<string, string>();
  private limit = 20_000;
  private lastTakenAt: number | undefined;

  constructor(
    private readonly session: CdpSession,
    private readonly options: { promises: boolean; budget: number; timeoutMs: number },
  ) {}

  private send<T>(method: string, params: Record<string, unknown>, group = GROUP): Promise<T> {
    return this.session.send<T>(method, { ...params, objectGroup: group }, this.options.timeoutMs);
  }

  /** Finds the prototypes to query (once per attach). Call before `query`. */
  async prepare(): Promise<void> {
    if (this.prototypes) return;
    const objectOf = async (expression: string) => (await this.send<{ result: { objectId: string } }>('Runtime.evaluate', { expression, silent: true }, PROTOTYPES)).result.objectId;
    this.prototypes = {
      promise: await objectOf('Promise.prototype'),
      timeout: await objectOf(TIMEOUT_PROTOTYPE),
      emitter: await objectOf(`process.getBuiltinModule('node:events').EventEmitter.prototype`),
    };
  }

  /**
   * Sends the heap queries at once (the inspector answers them back to back
   * without running the program in between), so they describe one instant,
   * the same instant as whatever is sent right after this call.
   */
  query(): Promise<{ promises?: string; timers: string; emitters: string; handles: [number | null, string][]; clock: IdClock; stallMs: number }> {
    const prototypes = this.prototypes!;
    const started = performance.now();
    const objects = (prototypeObjectId: string) =>
      this.send<{ objects: { objectId: string } }>('Runtime.queryObjects', { prototypeObjectId }).then((r) => r.objects.objectId);
    const value = <T>(expression: string) =>
      this.send<{ result: { value: T } }>('Runtime.evaluate', { expression, returnByValue: true, silent: true }).then((r) => r.result.value);
    const promises = this.options.promises ? objects(prototypes.promise) : Promise.resolve(undefined);
    const timers = objects(prototypes.timeout);
    const emitters = objects(prototypes.emitter);
    const handles = value<[number | null, string][]>(HANDLE_CENSUS);
    const clock = value<IdClock>(ID_CLOCK);
    return Promise.all([promises, timers, emitters, handles, clock]).then(([p, t, e, h, c]) => ({
      ...(p !== undefined ? { promises: p } : {}),
      timers: t,
      emitters: e,
      handles: h,
      clock: c,
      stallMs: performance.now() - started,
    }));
  }

  /** Reads what `query` found, locates new functions, and releases everything found. */
  async read(found: Awaited<ReturnType<CensusReader['query']>>): Promise<CensusFindings> {
    const warnings: string[] = [];
    let stallMs = found.stallMs;
    try {
      const limit = this.limit;
      const call = <T>(objectId: string, functionDeclaration: string, args: unknown[]) =>
        this.send<{ result: { value: T }; exceptionDetails?: unknown }>('Runtime.callFunctionOn', {
          objectId,
          functionDeclaration,
          arguments: args.map((value) => ({ value })),
          returnByValue: true,
          silent: true,
        }).then((r) => r.result.value);
      const readStarted = performance.now();
      const [timersJson, emittersJson, promises] = await Promise.all([
        call<string>(found.timers, TIMER_CENSUS, [limit, ID_LIMIT]),
        call<string>(found.emitters, EMITTER_CENSUS, [limit, ID_LIMIT]),
        found.promises !== undefined ? call<{ pending: number; total: number; read: number; ms: number }>(found.promises, PROMISE_CENSUS, [limit]) : undefined,
      ]);
      const timers = JSON.parse(timersJson) as CensusPart;
      const emitters = JSON.parse(emittersJson) as CensusPart;
      const targetMs = timers.ms + emitters.ms + (promises?.ms ?? 0);
      stallMs += Math.min(targetMs, performance.now() - readStarted);
      const groups: LocatedGroup[] = [];
      const located: { group: LocatedGroup; list: string }[] = [];
      for (const [part, list] of [[timers, found.timers], [emitters, found.emitters]] as const) {
        for (const g of part.groups) {
          groups.push({ ...g });
          if (g.rep >= 0) located.push({ group: groups[groups.length - 1]!, list });
        }
        if (part.read < part.live) {
          warnings.push(`the census read a sample of the live ${part === timers ? 'timers' : 'event emitters'} (${part.read} of ${part.live}); their counts are estimates`);
        }
      }
      if (promises && promises.read < promises.total) {
        warnings.push(`the census read the state of a sample of the promises (${promises.read} of ${promises.total}); the pending count is an estimate`);
      }
      await this.locate(located);
      this.charge(stallMs, found.clock.now);
      return {
        groups,
        ...(promises ? { promises: { pending: promises.pending, total: promises.total, read: promises.read } } : {}),
        handles: found.handles,
        clock: found.clock,
        warnings,
        stallMs,
      };
    } finally {
      await this.release();
    }
  }

  /**
   * Scales the number of objects read next time so the census costs the
   * target at most `budget` of the time between snapshots.
   */
  private charge(stallMs: number, now: number): void {
    const since = this.lastTakenAt === undefined ? undefined : now - this.lastTakenAt;
    this.lastTakenAt = now;
    if (since === undefined || since <= 0) return;
    const allowed = this.options.budget * since;
    const factor = stallMs > 0 ? allowed / stallMs : 2;
    this.limit = Math.round(Math.max(MIN_READ, Math.min(MAX_READ, this.limit * Math.min(2, Math.max(0.25, factor)))));
  }

  /** Fills in the code location of each group's function, from the cache or the inspector. */
  private async locate(items: { group: LocatedGroup; list: string }[]): Promise<void> {
    const unknown = items.filter(({ group }) => !this.located.has(group.key)).slice(0, LOCATE_LIMIT);
    const found = await Promise.all(
      unknown.map(async ({ group, list }) => {
        try {
          const fn = await this.send<{ result: { objectId?: string } }>('Runtime.callFunctionOn', {
            objectId: list,
            functionDeclaration: 'function (i) { return this.reps[i]; }',
            arguments: [{ value: group.rep }],
            silent: true,
          });
          let objectId = fn.result.objectId;
          // A bound function has no location of its own: its target has.
          for (let hops = 0; objectId !== undefined && hops < 3; hops++) {
            const props = await this.send<{ internalProperties?: { name: string; value?: { objectId?: string; value?: { scriptId: string; lineNumber: number } } }[] }>('Runtime.getProperties', {
              objectId,
              ownProperties: true,
            });
            const where = props.internalProperties?.find((p) => p.name === '[[FunctionLocation]]')?.value?.value;
            if (where && typeof where.scriptId === 'string' && typeof where.lineNumber === 'number') return where;
            objectId = props.internalProperties?.find((p) => p.name === '[[TargetFunction]]')?.value?.objectId;
          }
          return undefined;
        } catch {
          return undefined;
        }
      }),
    );
    if (found.some((where) => where !== undefined && !this.scriptUrls.has(where.scriptId))) await this.learnScripts();
    unknown.forEach(({ group }, i) => {
      const where = found[i];
      const url = where ? this.scriptUrls.get(where.scriptId) : undefined;
      this.located.set(group.key, where && url !== undefined ? { fn: group.fn, file: normalizeFile(url), line: where.lineNumber + 1 } : null);
    });
    for (const { group } of items) {
      const location = this.located.get(group.key);
      if (location) group.location = location;
    }
  }

  /**
   * Script ids to URLs. Only the Debugger domain tells them: enabling it
   * announces every script. It is enabled and disabled in one burst, which
   * the inspector handles back to back, so the program never runs with a
   * debugger enabled (a `debugger;` statement could not pause it).
   */
  private async learnScripts(): Promise<void> {
    const stop = this.session.on('Debugger.scriptParsed', (params) => {
      const { scriptId, url } = params as { scriptId?: unknown; url?: unknown };
      if (typeof scriptId === 'string' && typeof url === 'string') this.scriptUrls.set(scriptId, url);
    });
    try {
      await Promise.all([
        this.session.send('Debugger.enable', {}, this.options.timeoutMs),
        this.session.send('Debugger.disable', {}, this.options.timeoutMs),
      ]);
    } catch {
      /* without URLs the groups keep their resource names */
    } finally {
      stop();
    }
  }

  /** Frees what the last `query` found (also done by `read`). */
  release(): Promise<void> {
    return this.session.send('Runtime.releaseObjectGroup', { objectGroup: GROUP }, this.options.timeoutMs).then(() => undefined, () => undefined);
  }

  /** Frees the prototypes held since `prepare`; call at detach. */
  close(): Promise<void> {
    this.prototypes = undefined;
    return this.session.send('Runtime.releaseObjectGroup', { objectGroup: PROTOTYPES }, 5000).then(() => undefined, () => undefined);
  }
}

function normalizeFile(url: string): string {
  if (!url.startsWith('file://')) return url;
  try {
    return decodeURIComponent(url.slice('file://'.length));
  } catch {
    return url.slice('file://'.length);
  }
}
