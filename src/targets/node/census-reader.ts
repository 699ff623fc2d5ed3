/**
 * Runs the hook-free census (census.ts) in a Node target over the
 * inspector and turns what it finds into plain data: groups of live timers,
 * listeners, sockets and servers with the code line of their function,
 * the number of pending promises, and the async id clock.
 *
 * What it costs the target follows `--agent-budget`: the time the target
 * stood still for the census is measured on the target's own clock at every
 * snapshot; the number of objects read next is scaled to what the budget
 * leaves after the heap walks, and a walk longer than a second (which
 * cannot be made shorter) is repeated only as often as the budget pays for
 * it, the snapshots in between repeating what it found (said in a warning).
 * The agent keeps its own budget: taking the census's share out of it made
 * the agent sample quiet services, whose scaled estimates read as growth.
 */
import type { CdpSession } from './cdp.js';
import { TargetError } from '../../util/errors.js';
import type { CensusGroup, CensusPart } from './census.js';
import { activeHandles, censusPart, clockMark, idClock, objectHandle, promiseCount } from './census-answers.js';
import { EMITTER_CENSUS, HANDLE_CENSUS, HANDLE_CENSUS_ALL, ID_CLOCK, MARK, PROMISE_CENSUS, TIMEOUT_PROTOTYPE, TIMER_CENSUS } from './census.js';

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
  /** The target's performance.now() when the clock was read. */
  mark: number;
}

export interface CensusFindings {
  /** The heap was walked for this snapshot (else its promises and listeners repeat the last walk). */
  walked: boolean;
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
/**
 * A heap walk that stalls the target no longer than a second is taken at
 * every snapshot, as leakscan always did (on a loaded machine even a small
 * heap's walk takes hundreds of milliseconds); longer ones (heaps of
 * millions of objects) only as often as the budget pays for them.
 */
const SHORT_WALK_MS = 1000;
/** Functions located per snapshot; the rest wait for the next. */
const LOCATE_LIMIT = 200;

interface Prototypes {
  promise: string;
  emitter: string;
  /** Node's timer lists, when found; else the Timeout prototype to query. */
  timers: { lists: string } | { prototype: string };
}

type Found = Awaited<ReturnType<CensusReader['query']>>;

export class CensusReader {
  private prototypes: Prototypes | undefined;
  private readonly located = new Map<string, CodeLocation | null>();
  private readonly scriptUrls = new Map<string, string>();
  private limit = 20_000;
  private lastTakenAt: number | undefined;
  /** When the heap was last walked, and how long the target stood still for it. */
  private lastWalk: { at: number; ms: number } | undefined;
  /** What the last walk found, repeated until the next one. */
  private carried: { groups: LocatedGroup[]; promises?: CensusFindings['promises']; warnings: string[] } | undefined;

  constructor(
    private readonly session: CdpSession,
    private readonly options: { heap: boolean; budget: number; timeoutMs: number },
  ) {}

  private send<T>(method: string, params: Record<string, unknown>, group = GROUP): Promise<T> {
    return this.session.send<T>(method, { ...params, objectGroup: group }, this.options.timeoutMs);
  }

  /** Finds what to query (once per attach). Call before `query`. */
  async prepare(): Promise<void> {
    if (this.prototypes) return;
    const objectOf = async (expression: string) =>
      (await this.send<{ result: { objectId: string } }>('Runtime.evaluate', { expression, silent: true }, PROTOTYPES)).result.objectId;
    const lists = await this.timerLists();
    this.prototypes = {
      promise: await objectOf('Promise.prototype'),
      emitter: await objectOf(
        `(globalThis[Symbol.for('leakscan.agent')]?.builtin ?? ((name) => process.getBuiltinModule(name)))('node:events').EventEmitter.prototype`,
      ),
      timers: lists !== undefined ? { lists } : { prototype: await objectOf(TIMEOUT_PROTOTYPE) },
    };
  }

  /**
   * Node's map of armed timers (`timerListMap`), a variable of node:timers
   * that `setTimeout` closes over: the inspector shows a function's
   * closure. Walking it finds every timer without a heap walk and the
   * garbage collection that comes with one.
   */
  private async timerLists(): Promise<string | undefined> {
    try {
      type Props = {
        result?: { name: string; value?: { objectId?: string; type?: string } }[];
        internalProperties?: { name: string; value?: { objectId?: string } }[];
      };
      const setTimeoutFn = await this.send<{ result: { objectId?: string } }>(
        'Runtime.evaluate',
        {
          expression: `(globalThis[Symbol.for('leakscan.agent')]?.builtin ?? ((name) => process.getBuiltinModule(name)))('node:timers').setTimeout`,
          silent: true,
        },
        PROTOTYPES,
      );
      if (!setTimeoutFn.result.objectId) return undefined;
      const fn = await this.send<Props>('Runtime.getProperties', { objectId: setTimeoutFn.result.objectId, ownProperties: true }, PROTOTYPES);
      const scopes = fn.internalProperties?.find((p) => p.name === '[[Scopes]]')?.value?.objectId;
      if (!scopes) return undefined;
      const list = await this.send<Props>('Runtime.getProperties', { objectId: scopes, ownProperties: true }, PROTOTYPES);
      for (const scope of list.result ?? []) {
        if (!scope.value?.objectId) continue;
        const vars = await this.send<Props>('Runtime.getProperties', { objectId: scope.value.objectId, ownProperties: true }, PROTOTYPES);
        const map = vars.result?.find((v) => v.name === 'timerListMap')?.value;
        if (map?.objectId && map.type === 'object') return map.objectId;
      }
    } catch {
      /* not this Node's layout: query the heap instead */
    }
    return undefined;
  }

  /**
   * Sends the heap queries and the timer census at once (the inspector
   * answers them back to back without running the program in between), so
   * they describe one instant, the same instant as whatever is sent right
   * after this call.
   */
  query(): Promise<{
    walked: boolean;
    promises?: string;
    timers: { lists: string } | { array: string };
    emitters?: string;
    handles: [number | null, string][];
    clock: IdClock;
    stallMs: number;
  }> {
    const prototypes = this.prototypes!;
    const objects = (prototypeObjectId: string) =>
      this.send<{ objects?: { objectId?: unknown } }>('Runtime.queryObjects', { prototypeObjectId }).then((r) =>
        objectHandle(r.objects?.objectId, 'a heap query'),
      );
    // Everything evaluated there is checked before use (census-answers.ts).
    const value = (expression: string) =>
      this.send<{ result?: { value?: unknown } }>('Runtime.evaluate', { expression, returnByValue: true, silent: true }).then((r) => r.result?.value);
    // The target's clock before and after: how long it stood still, without the network's share.
    const before = value(MARK).then(clockMark);
    // A walk costs the target a garbage collection and a pass over the
    // heap, a second or more on a heap of millions of objects. A short one
    // is taken at every snapshot: the collection it runs is also what ends
    // the agent's records of resources only the collector ends (its weak
    // references). A long one, as often as the budget pays for it.
    const walk =
      this.options.heap &&
      (this.lastWalk === undefined || this.lastWalk.ms <= SHORT_WALK_MS || (Date.now() - this.lastWalk.at) * this.options.budget >= this.lastWalk.ms);
    const promises = walk ? objects(prototypes.promise) : Promise.resolve(undefined);
    const timers: Promise<{ lists: string } | { array: string }> =
      'lists' in prototypes.timers
        ? this.census(prototypes.timers.lists, TIMER_CENSUS).then((lists) => ({ lists }))
        : objects(prototypes.timers.prototype).then((array) => ({ array }));
    const emitters = walk ? objects(prototypes.emitter) : Promise.resolve(undefined);
    const handles = value(this.options.heap ? HANDLE_CENSUS : HANDLE_CENSUS_ALL).then(activeHandles);
    const clock = value(ID_CLOCK).then(idClock);
    return Promise.all([before, promises, timers, emitters, handles, clock]).then(([b, p, t, e, h, c]) => ({
      walked: walk,
      ...(p !== undefined ? { promises: p } : {}),
      timers: t,
      ...(e !== undefined ? { emitters: e } : {}),
      handles: h,
      clock: c,
      stallMs: Math.max(0, c.mark - b),
    }));
  }

  /** Runs a census function on `objectId`; answers a handle on its `{json, reps}`. */
  private census(objectId: string, functionDeclaration: string): Promise<string> {
    return this.send<{ result?: { objectId?: unknown }; exceptionDetails?: { text?: unknown } }>('Runtime.callFunctionOn', {
      objectId,
      functionDeclaration,
      arguments: [{ value: this.limit }, { value: ID_LIMIT }],
      silent: true,
    }).then((r) => {
      if (r.result?.objectId === undefined) {
        const why = typeof r.exceptionDetails?.text === 'string' ? r.exceptionDetails.text.slice(0, 200) : 'no result';
        throw new TargetError(`the census failed in the target: ${why}`);
      }
      return objectHandle(r.result.objectId, 'a census');
    });
  }

  /** The JSON text a census left in the target, checked (`what` names it in a message). */
  private json(objectId: string, what: string): Promise<CensusPart> {
    return this.send<{ result?: { value?: unknown } }>('Runtime.callFunctionOn', {
      objectId,
      functionDeclaration: 'function () { return this.json; }',
      returnByValue: true,
      silent: true,
    }).then((r) => censusPart(r.result?.value, what));
  }

  /** Reads what `query` found, locates new functions, and releases everything found. */
  async read(found: Found): Promise<CensusFindings> {
    const warnings: string[] = [];
    let stallMs = found.stallMs;
    try {
      const [timerResult, emitterResult, promises] = await Promise.all([
        'lists' in found.timers ? found.timers.lists : this.census(found.timers.array, TIMER_CENSUS),
        found.emitters !== undefined ? this.census(found.emitters, EMITTER_CENSUS) : undefined,
        found.promises !== undefined
          ? this.send<{ result?: { value?: unknown } }>('Runtime.callFunctionOn', {
              objectId: found.promises,
              functionDeclaration: PROMISE_CENSUS,
              arguments: [{ value: this.limit }],
              returnByValue: true,
              silent: true,
            }).then((r) => promiseCount(r.result?.value))
          : undefined,
      ]);
      const [timers, emitters] = await Promise.all([
        this.json(timerResult, 'its timers'),
        emitterResult !== undefined ? this.json(emitterResult, 'its event emitters') : { groups: [], live: 0, read: 0, ms: 0 },
      ]);
      const readMs = timers.ms + emitters.ms + (promises?.ms ?? 0);
      // The timer lists were read within the walk's burst, so their time is in it already.
      stallMs += readMs - ('lists' in found.timers ? timers.ms : 0);
      const timerGroups: LocatedGroup[] = timers.groups.map((g) => ({ ...g }));
      const heapGroups: LocatedGroup[] = emitters.groups.map((g) => ({ ...g }));
      const located = [
        ...timerGroups.filter((g) => g.rep >= 0).map((group) => ({ group, result: timerResult })),
        ...(emitterResult !== undefined ? heapGroups.filter((g) => g.rep >= 0).map((group) => ({ group, result: emitterResult })) : []),
      ];
      if (timers.read < timers.live)
        warnings.push(`the census read a sample of the live timers (${timers.read} of ${timers.live}); their counts are estimates`);
      const heapWarnings: string[] = [];
      if (emitters.read < emitters.live)
        heapWarnings.push(`the census read a sample of the live event emitters (${emitters.read} of ${emitters.live}); their counts are estimates`);
      if (promises && promises.read < promises.total) {
        heapWarnings.push(`the census read the state of a sample of the promises (${promises.read} of ${promises.total}); the pending count is an estimate`);
      }
      await this.locate(located);
      let pending = promises ? { pending: promises.pending, total: promises.total, read: promises.read } : undefined;
      let groups = [...timerGroups, ...heapGroups];
      if (found.walked) {
        this.lastWalk = { at: Date.now(), ms: stallMs };
        this.carried = { groups: heapGroups, ...(pending ? { promises: pending } : {}), warnings: heapWarnings };
        warnings.push(...heapWarnings);
      } else if (this.carried) {
        groups = [...timerGroups, ...this.carried.groups];
        pending = this.carried.promises;
        warnings.push(...this.carried.warnings);
        // No count in the text, so a series of snapshots repeats it once.
        warnings.push(
          'the census walked the heap (promises, listeners, sockets) only as often as --agent-budget pays for it; in between, a snapshot repeats what the last walk found',
        );
      }
      this.charge(stallMs - readMs, readMs, found.clock.now);
      return {
        walked: found.walked,
        groups,
        ...(pending ? { promises: pending } : {}),
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
   * Scales the number of objects read next time so that reading costs the
   * target at most what the budget leaves after the heap walks (which
   * cannot be shortened), and at least a quarter of the budget.
   */
  private charge(walkMs: number, readMs: number, now: number): void {
    const since = this.lastTakenAt === undefined ? undefined : now - this.lastTakenAt;
    this.lastTakenAt = now;
    if (since === undefined || since <= 0) return;
    const allowed = Math.max(this.options.budget * since - walkMs, (this.options.budget * since) / 4);
    const factor = readMs > 0 ? allowed / readMs : 2;
    this.limit = Math.round(Math.max(MIN_READ, Math.min(MAX_READ, this.limit * Math.min(2, Math.max(0.25, factor)))));
  }

  /** Fills in the code location of each group's function, from the cache or the inspector. */
  private async locate(items: { group: LocatedGroup; result: string }[]): Promise<void> {
    const unknown = items.filter(({ group }) => !this.located.has(group.key)).slice(0, LOCATE_LIMIT);
    const found = await Promise.all(
      unknown.map(async ({ group, result }) => {
        try {
          const fn = await this.send<{ result: { objectId?: string } }>('Runtime.callFunctionOn', {
            objectId: result,
            functionDeclaration: 'function (i) { return this.reps[i]; }',
            arguments: [{ value: group.rep }],
            silent: true,
          });
          let objectId = fn.result.objectId;
          // A bound function has no location of its own: its target has.
          for (let hops = 0; objectId !== undefined && hops < 3; hops++) {
            const props = await this.send<{
              internalProperties?: { name: string; value?: { objectId?: string; value?: { scriptId: string; lineNumber: number } } }[];
            }>('Runtime.getProperties', {
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
      await Promise.all([this.session.send('Debugger.enable', {}, this.options.timeoutMs), this.session.send('Debugger.disable', {}, this.options.timeoutMs)]);
    } catch {
      /* without URLs the groups keep their resource names */
    } finally {
      stop();
    }
  }

  /** Frees what the last `query` found (also done by `read`). */
  release(): Promise<void> {
    return this.session.send('Runtime.releaseObjectGroup', { objectGroup: GROUP }, this.options.timeoutMs).then(
      () => undefined,
      () => undefined,
    );
  }

  /** Frees the prototypes held since `prepare`; call at detach. */
  close(): Promise<void> {
    this.prototypes = undefined;
    return this.session.send('Runtime.releaseObjectGroup', { objectGroup: PROTOTYPES }, 5000).then(
      () => undefined,
      () => undefined,
    );
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
