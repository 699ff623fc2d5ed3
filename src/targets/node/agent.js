// The leakscan agent, run inside a Node.js target: injected through the
// inspector (Runtime.evaluate, where `require` does not exist: built-ins come
// from process.getBuiltinModule), or preloaded with `node --require` by
// `leakscan run`. Plain script, no imports; evaluates to the agent's status.
//
// It records async resources created after it starts (async_hooks init) with
// a creation stack, and forgets them when they are destroyed or, for
// promises, resolved. It never keeps a strong reference to a resource (its
// async id, and in adaptive mode a WeakRef), so nothing it watches is kept
// alive by watching. Memory is bounded: past `maxTracked` live records the
// long-lived ones are folded into per-site counts.
//
// Cost is bounded too. An async hook makes every promise and every callback
// of the process pay, whatever the hook does (async_hooks' promise tracking
// alone takes most of a promise-heavy service's throughput), so in the
// default `adaptive` mode the agent watches in windows: while watching costs
// less than `budget` (a share of one core) it never stops, which is the case
// for most services; when it costs more, it stops watching for as long as
// keeps its average cost under the budget, then watches again. A resource
// seen in a window stands for those created while the agent was not
// watching (its weight), and since its end may have gone unseen, it is
// checked when a snapshot is taken (`stillLive`). `track: "all"` watches all
// the time.
//
// Stacks come from the native addon when leakscan hands one over that was
// built for this process's Node ABI (`native`), else from V8's structured
// call sites in JavaScript. `status().capture` says which, and why.
//
// It removes itself (hooks disabled, state dropped, the inspector closed if
// leakscan opened it) when told to, or when leakscan has not been heard from
// for `watchdogMs` (the CLI was killed).
(function leakscanAgent(options) {
  'use strict';
  // Built-in modules: process.getBuiltinModule (Node 20.16+, 22.3+), else the
  // module's own `require` when preloaded by `leakscan run` (older Node).
  const builtin =
    typeof process.getBuiltinModule === 'function'
      ? (name) => process.getBuiltinModule(name)
      : typeof require === 'function'
        ? require
        : () => {
            throw new Error(`process.getBuiltinModule is missing in Node ${process.version} (it needs 20.16+ or 22.3+)`);
          };
  const KEY = Symbol.for('leakscan.agent');
  const existing = globalThis[KEY];
  if (existing) {
    existing.ping();
    return existing.status();
  }
  // Worker threads inherit the preload (NODE_OPTIONS --require), but leakscan
  // reads the main thread's agent only, through the process's inspector: in a
  // worker an agent would cost the worker's every promise, keep stacks nobody
  // reads, and share the native addon with the main thread. Workers run
  // without it.
  if (!builtin('node:worker_threads').isMainThread) return { installed: false, reason: 'not the main thread' };
  const asyncHooks = builtin('node:async_hooks');
  // The whole set, always: leakscan builds it from agent-settings.json
  // (agent-settings.ts describes each setting); the agent keeps no defaults.
  const settings = options;
  if (!settings || typeof settings.maxTracked !== 'number') {
    return { installed: false, reason: 'no settings: leakscan passes them (LEAKSCAN_AGENT_OPTIONS when preloaded)' };
  }
  const adaptive = settings.track !== 'all';
  // The cost model, calibrated with bench/node-overhead: what async_hooks
  // costs per event beyond our callbacks (its own bookkeeping and, for
  // promises, V8's slow path), and how much a capture costs beyond the time
  // measured around it (the garbage collection of the frames it allocates):
  // about as much again.
  const DISPATCH_MS_PER_EVENT = 0.003;
  const CAPTURE_COST_FACTOR = 2;
  const clock = performance;

  const types = [];
  const typeIds = new Map();

  /**
   * What the agent keeps per live resource. One constructor, so every record
   * has the same shape (V8 stores the fields in the object itself: smaller
   * than an array of the same values).
   */
  function Tracked(type, stack, trigger, createdAt, links, ref, gaps, weight) {
    this.type = type; // index into `types`
    this.stack = stack; // index into the capture's stacks, -1: none
    this.trigger = trigger; // triggerAsyncId
    this.createdAt = createdAt; // Date.now() when made
    this.links = links; // (place, lineage) links inherited from its trigger, or null
    this.ref = ref; // WeakRef to the resource (adaptive mode), or null
    this.gaps = gaps; // `gaps` when last known live: a later gap may have hidden its end
    this.weight = weight; // resources this one stands for (1 when always watching)
  }

  // The snapshot's tables, by column: leakscan reads them by these names
  // (agent-records.ts), so a column can be added or moved here alone.
  const COLUMNS = Object.freeze({
    frames: ['fn', 'file', 'line'],
    tasks: ['asyncId', 'type', 'stack', 'trigger', 'ageMs', 'lineage', 'weight'],
    folded: ['type', 'stack', 'count'],
  });

  const live = new Map(); // asyncId -> Tracked
  const folded = new Map(); // "typeId,stackId" -> count (weighted) of records evicted past maxTracked
  let untracked = 0; // resources not tracked because the table was full of young ones
  // Preloaded by `leakscan run`, the agent waits for leakscan to connect
  // (as long as `run --wait` looks for the program) before the watchdog may
  // remove it. Child Node processes of the program inherit the preload and
  // the inspector flag; leakscan reads one process, so in the others the
  // agent removes itself, and closes their inspector, once that time is up.
  let lastPing = Date.now() + (settings.preloaded ? (settings.preloadWaitMs ?? 60000) : 0);
  let installed = true;
  let claimed = false;

  /**
   * Preloaded: from the moment leakscan has connected (or given up), the
   * program's environment is its own again, so the processes it starts from
   * then on get neither the agent nor an inspector.
   */
  function restoreEnvironment() {
    if (!settings.preloaded) return;
    if (typeof settings.nodeOptions === 'string') process.env.NODE_OPTIONS = settings.nodeOptions;
    else delete process.env.NODE_OPTIONS;
    delete process.env.LEAKSCAN_AGENT_OPTIONS;
  }

  /** The id of `key` in a table (`list` of values, `ids` from key to index), added if new. */
  function intern(ids, list, key, value) {
    let id = ids.get(key);
    if (id === undefined) {
      id = list.length;
      list.push(value);
      ids.set(key, id);
    }
    return id;
  }

  function typeId(type) {
    return intern(typeIds, types, type, type);
  }

  // ---- Stacks -------------------------------------------------------------

  const capture = loadNativeCapture() || jsCapture();

  /**
   * The addon, if leakscan offered a directory of builds and one was built
   * for this process's Node ABI (node-pre-gyp names them node-v<ABI>-...):
   * an addon built for another ABI would crash or refuse to load.
   */
  function loadNativeCapture() {
    const offered = settings.native;
    if (!offered || !offered.dir) return null;
    const path = builtin('node:path');
    const file = path.join(offered.dir, `node-v${process.versions.modules}-${process.platform}-${process.arch}`, 'leakscan_native.node');
    let reason;
    if (!builtin('node:fs').existsSync(file)) {
      reason = `no addon built for this process's Node ABI ${process.versions.modules} (${process.version})`;
    } else {
      try {
        const module = { exports: {} };
        process.dlopen(module, file);
        const addon = module.exports;
        addon.reset();
        return {
          kind: 'native',
          reason: `addon loaded from ${file}`,
          stack: () => addon.capture(settings.stackDepth),
          place: (stackId) => addon.place(stackId),
          symbols() {
            const { frames, stacks } = addon.symbols();
            return { frames: frames.map(([fn, file, line]) => [fn, normalizeFile(file), line]), stacks }; // COLUMNS.frames
          },
          isPending: (promise) => addon.promiseState(promise) === 0,
          reset: () => addon.reset(),
        };
      } catch (error) {
        reason = `the addon did not load: ${(error && error.message) || error}`;
      }
    }
    const fallback = jsCapture();
    fallback.reason = reason;
    return fallback;
  }

  function normalizeFile(file) {
    return file.startsWith('file://') ? decodeURIComponent(file.slice(7)) : file;
  }

  /** Structured call sites, no string formatting: V8 hands prepareStackTrace the frames as objects. */
  function jsCapture() {
    const frames = []; // COLUMNS.frames: [fn, file, line]
    const frameIds = new Map();
    const stacks = []; // [frameId...], innermost first
    const stackIds = new Map();
    const places = new Map();
    const structured = (_, callsites) => callsites;
    const util = builtin('node:util');
    return {
      kind: 'js',
      reason: settings.native ? undefined : 'no addon offered',
      stack() {
        const previousLimit = Error.stackTraceLimit;
        const previousPrepare = Error.prepareStackTrace;
        Error.stackTraceLimit = settings.stackDepth + 3; // + the async_hooks frames dropped below
        Error.prepareStackTrace = structured;
        const holder = {};
        Error.captureStackTrace(holder, init);
        const callsites = holder.stack;
        Error.prepareStackTrace = previousPrepare;
        Error.stackTraceLimit = previousLimit;
        if (!Array.isArray(callsites)) return -1;
        const ids = [];
        let skipping = true;
        for (const callsite of callsites) {
          const file = normalizeFile(callsite.getFileName() || '');
          // The hook machinery that called init says nothing about the resource.
          if (skipping && file === 'node:internal/async_hooks') continue;
          skipping = false;
          const line = callsite.getLineNumber() || 0;
          // Built-ins (the Promise constructor, Array.prototype.map): V8's
          // stack API leaves them out, and they say nothing of the program.
          if (file === '' && line === 0) continue;
          if (ids.length === settings.stackDepth) break;
          const fn = callsite.getFunctionName() || '';
          const key = fn + '\u0000' + file + '\u0000' + line;
          let id = frameIds.get(key);
          if (id === undefined) id = intern(frameIds, frames, key, [fn, file, line]); // the frame's value only made when new
          ids.push(id);
        }
        return intern(stackIds, stacks, ids.join(','), ids);
      },
      /** The innermost frame outside Node's own code: where in the program a stack was made. */
      place(stackId) {
        if (stackId < 0) return -1;
        let place = places.get(stackId);
        if (place === undefined) {
          place = -1;
          for (const frameId of stacks[stackId]) {
            if (!frames[frameId][1].startsWith('node:')) {
              place = frameId;
              break;
            }
          }
          places.set(stackId, place);
        }
        return place;
      },
      symbols: () => ({ frames: frames.slice(), stacks: stacks.slice() }),
      // util.inspect is the one public way to read a promise's state from
      // JavaScript; customInspect off so no code of the target runs. A
      // promise made while an async hook was on carries its async ids as
      // properties, and inspect then breaks the line after the brace
      // ("Promise {\n  <pending>,\n  [Symbol(async_id_symbol)]: ..."):
      // exactly the promises the agent recorded.
      isPending: (promise) => /^[^{]*\{\s*<pending>/.test(util.inspect(promise, { depth: 0, customInspect: false })),
      reset() {
        frames.length = 0;
        stacks.length = 0;
        frameIds.clear();
        stackIds.clear();
        places.clear();
      },
    };
  }

  // ---- Watching -----------------------------------------------------------

  // Resources that live for one turn of the event loop at most: never a
  // leak, and the most frequent of all (every process.nextTick).
  // The census's id clock (an AsyncResource made and destroyed at once) is leakscan's own.
  const SHORT_LIVED = new Set(['TickObject', 'Microtask', 'LEAKSCAN_ID_CLOCK']);

  // Adaptive windows. `gaps` counts the times watching stopped: a record made
  // before the last gap may have ended unseen. `weight` is how many resources
  // one seen resource stands for at the current duty cycle.
  let watching = false;
  let pausing = false; // a pause is decided, and waits to be applied outside the hook's callbacks
  let gaps = 0;
  let weight = 1;
  let windowStart = 0;
  // The current window is weighed once this long: short at first, so a busy
  // process pays little before the agent knows it is busy.
  let windowLimit = Math.min(10, settings.windowMs);
  let windowCost = 0; // ms spent in our callbacks during this window
  let windowEvents = 0;
  let resumeTimer = null;
  const cost = { watchedMs: 0, pausedMs: 0, spentMs: 0, ownMs: 0, events: 0, windows: 0, pauses: 0, recorded: 0 };

  function init(asyncId, type, triggerAsyncId, resource) {
    windowEvents++;
    if (pausing || SHORT_LIVED.has(type)) return;
    const started = clock.now();
    if (live.size >= settings.maxTracked && !foldOldest()) {
      untracked += weight;
    } else {
      record(asyncId, type, triggerAsyncId, resource);
    }
    const ended = clock.now();
    windowCost += ended - started;
    if (adaptive && ended - windowStart >= windowLimit) weighWindow(ended);
  }

  function record(asyncId, type, triggerAsyncId, resource) {
    cost.recorded++;
    let stackId = capture.stack();
    let place = capture.place(stackId);
    const parent = live.get(triggerAsyncId);
    // Made by Node's or V8's own code with no frame of the program, in the
    // callback of a request the program made (a server bound after the DNS
    // lookup of `listen(port, host)`), or derived from a promise (a `.then`
    // run by V8 itself): it continues what its trigger was made for, so it
    // goes to the place its trigger was made. Not for children of a
    // long-lived handle (a socket accepted by a server): those are new work.
    if (place === -1 && parent !== undefined) {
      const parentType = types[parent.type];
      if (parentType.endsWith('REQWRAP') || (type === 'PROMISE' && parentType === 'PROMISE')) {
        const parentPlace = capture.place(parent.stack);
        if (parentPlace !== -1) {
          stackId = parent.stack;
          place = parentPlace;
        }
      }
    }
    // Lineage: a resource made at the same place as one of its ancestors (a
    // retry timer scheduled, after an await, from the previous timer's
    // callback) continues that ancestor's chain: one logical task, however
    // short each link lives. Each record keeps a short persistent list of
    // (place, lineage) links inherited from its trigger.
    let inherited = parent === undefined ? recentLinks.get(triggerAsyncId) || null : parent.links;
    let lineage = asyncId;
    for (let link = inherited, depth = 0; link !== null && depth < 8; link = link.next, depth++) {
      if (place !== -1 && link.place === place) {
        lineage = link.lineage;
        break;
      }
    }
    if (depthOf(inherited) >= 8) inherited = null; // keep the lists short
    const links = place === -1 ? inherited : { place, lineage, next: inherited };
    const ref = adaptive && typeof resource === 'object' && resource !== null ? new WeakRef(resource) : null;
    live.set(asyncId, new Tracked(typeId(type), stackId, triggerAsyncId, Date.now(), links, ref, gaps, weight));
  }

  function depthOf(link) {
    let depth = 0;
    for (; link !== null && depth < 8; link = link.next) depth++;
    return depth;
  }

  function lineageOf(record, asyncId) {
    const link = record.links;
    return link !== null && link.place === capture.place(record.stack) ? link.lineage : asyncId;
  }

  // A promise is forgotten when it resolves, just before the code awaiting it
  // runs and may create the next link of its chain: keep the links of the
  // last few thousand forgotten resources for that moment.
  const recentLinks = new Map();
  const RECENT_LINKS = 4096;
  function onEnd(asyncId) {
    windowEvents++;
    forget(asyncId);
  }

  function forget(asyncId) {
    const record = live.get(asyncId);
    if (record === undefined) return;
    live.delete(asyncId);
    if (record.links !== null) {
      recentLinks.set(asyncId, record.links);
      if (recentLinks.size > RECENT_LINKS) recentLinks.delete(recentLinks.keys().next().value);
    }
  }

  /**
   * Ends a window: if watching cost more than the budget, from then on watch
   * in one short window per `cycleMs`, as long as the budget allows at this
   * cost (many short looks rather than a few long ones: a short attach still
   * gets some, and each look stands for a second at most). The cost counts our callbacks' own time plus a per-event estimate of what
   * async_hooks costs around them.
   */
  function weighWindow(now) {
    const elapsed = now - windowStart;
    const spent = windowCost * CAPTURE_COST_FACTOR + windowEvents * DISPATCH_MS_PER_EVENT;
    const budget = settings.budget;
    cost.watchedMs += elapsed;
    cost.spentMs += spent;
    cost.ownMs += windowCost;
    cost.events += windowEvents;
    cost.windows++;
    windowStart = now;
    windowCost = 0;
    windowEvents = 0;
    if (spent <= budget * elapsed) {
      // Cheap now: watch on, and weigh again after twice as long (back to
      // watching all the time in steps, so one quiet moment in a busy
      // process does not buy a long expensive window).
      weight = 1;
      windowLimit = Math.min(settings.windowMs, windowLimit * 2);
      return;
    }
    const affordable = (budget * elapsed) / spent; // the share of time watching may take
    windowLimit = Math.min(settings.cycleMs / 2, Math.max(1, affordable * settings.cycleMs));
    const pauseMs = settings.cycleMs - windowLimit;
    weight = Math.max(1, Math.round(settings.cycleMs / windowLimit));
    // Not from inside the hook's own callback: Node 20 then leaves its
    // promise hooks installed after the disable (every promise keeps paying).
    pausing = true;
    queueMicrotask(() => pause(pauseMs));
  }

  function watch() {
    resumeTimer = null;
    if (!installed) return;
    windowStart = clock.now();
    windowCost = 0;
    windowEvents = 0;
    watching = true;
    hook.enable();
  }

  function pause(ms) {
    pausing = false;
    if (!installed) return;
    hook.disable();
    watching = false;
    gaps++;
    cost.pauses++;
    cost.pausedMs += ms;
    // Unref'd: the agent never keeps a process alive.
    resumeTimer = setTimeout(watch, ms);
    resumeTimer.unref();
  }

  /** The share of time spent watching since the agent started. */
  function dutyCycle() {
    const total = cost.watchedMs + cost.pausedMs;
    return total > 0 ? cost.watchedMs / total : 1;
  }

  /**
   * Whether a record made before a gap in watching still stands for a live
   * resource: its end may have happened while nobody was listening.
   */
  function stillLive(record, asyncId, activeIds) {
    const resource = record.ref === null ? undefined : record.ref.deref();
    if (resource === undefined) return record.ref === null; // collected: gone; never referenced: unknown, kept
    if (types[record.type] === 'PROMISE') return capture.isPending(resource);
    if (activeIds.has(asyncId)) return true;
    try {
      // A handle reused under a new async id (a keep-alive socket handed to
      // the next request): the resource this record stood for has ended.
      const handle = resource.handle && typeof resource.handle.getAsyncId === 'function' ? resource.handle : resource; // ReusedHandle wraps it
      if (typeof handle.getAsyncId === 'function' && handle.getAsyncId() !== asyncId) return false;
      if (typeof resource._destroyed === 'boolean') return !resource._destroyed; // Timeout, Immediate
      if (resource.req && typeof resource.req === 'object') return !(resource.req.destroyed || (resource.req.res && resource.req.res.complete)); // HTTP client requests
      if (resource.socket && typeof resource.socket.destroyed === 'boolean') return !resource.socket.destroyed; // HTTP parsers
      if (typeof resource.fd === 'number') return resource.fd >= 0; // stream handles (-1 once closed)
    } catch {
      /* an accessor of the target threw: fall through */
    }
    return true; // nothing tells: alive until the garbage collector says otherwise
  }

  /** Async ids of the handles and requests that keep the event loop alive now. */
  function activeAsyncIds() {
    const ids = new Set();
    for (const h of [...process._getActiveHandles(), ...process._getActiveRequests()]) {
      try {
        if (h && h._handle && typeof h._handle.getAsyncId === 'function') ids.add(h._handle.getAsyncId());
        else if (h && typeof h.getAsyncId === 'function') ids.add(h.getAsyncId());
      } catch {
        /* not ours to fix */
      }
    }
    return ids;
  }

  /** Drops the records whose resource ended while the agent was not watching. */
  function dropEndedUnseen() {
    let activeIds = null;
    for (const [asyncId, record] of live) {
      if (record.gaps === gaps) continue; // watched without a gap since it was made
      activeIds ??= activeAsyncIds();
      if (!stillLive(record, asyncId, activeIds)) forget(asyncId);
      // Live now, and if watching, its end will be seen: no need to check it
      // again until the next gap. Not while paused: it may still end unseen.
      else if (watching && !pausing) record.gaps = gaps;
    }
  }

  /**
   * Keeps memory bounded. At the cap, records that have lived longer than
   * `foldAfterMs` (likely to live on: the leak candidates) are folded into
   * per-site counts, the oldest first, up to a tenth of the cap. If none is
   * that old, the table is full of short-lived resources: the newcomer is not
   * tracked (counted in `untracked`), so churn never looks like growth.
   */
  function foldOldest() {
    let n = Math.max(1, Math.floor(settings.maxTracked / 10));
    const oldEnough = Date.now() - settings.foldAfterMs;
    let foldedNow = 0;
    for (const [asyncId, record] of live) {
      if (record.createdAt > oldEnough) break; // Map order is creation order: the rest are younger
      const key = record.type + ',' + record.stack;
      folded.set(key, (folded.get(key) || 0) + record.weight);
      live.delete(asyncId);
      foldedNow++;
      if (--n === 0) break;
    }
    return foldedNow > 0;
  }

  // The watchdog's own timer is made before the hook starts, so it is not recorded.
  // A long stand-still of the target itself (a long synchronous task, a
  // heap walk the census asked for) does not count as leakscan's silence:
  // the heartbeats that came meanwhile wait behind it in the inspector's
  // queue. Only stand-stills of seconds count (a loop merely slowed by a
  // busy machine is not one), and at most one more watchdog period in all
  // since the last heartbeat, so a gone leakscan is noticed all the same.
  let lastTick = Date.now();
  let excused = 0;
  const watchdog = setInterval(() => {
    const now = Date.now();
    const stalled = now - lastTick - 1000;
    lastTick = now;
    if (stalled > 2000) {
      const excuse = Math.min(stalled, settings.watchdogMs - excused);
      lastPing += excuse;
      excused += excuse;
    }
    if (now - lastPing > settings.watchdogMs) agent.uninstall('leakscan went away');
  }, 1000);
  watchdog.unref();

  const hook = asyncHooks.createHook({ init, destroy: onEnd, promiseResolve: onEnd });
  watch();

  const agent = {
    version: 2,
    ping() {
      lastPing = Date.now();
      excused = 0;
      if (!claimed) {
        claimed = true;
        restoreEnvironment();
      }
      return true;
    },
    isTracked(asyncId) {
      return live.has(asyncId);
    },
    /** The agent's own timers, which the census leaves out. */
    isOwn(timer) {
      return timer === watchdog || (resumeTimer !== null && timer === resumeTimer);
    },
    /** A promise's state, natively when the addon is loaded: the census reads pending promises with it. */
    isPending(promise) {
      return capture.isPending(promise);
    },
    /** Node's built-in modules as the agent reaches them (require on Node without process.getBuiltinModule, preloaded by run). */
    builtin(name) {
      return builtin(name);
    },
    status() {
      let foldedCount = 0;
      for (const count of folded.values()) foldedCount += count;
      return {
        installed,
        pid: process.pid,
        tracked: live.size,
        folded: foldedCount,
        untracked,
        capture: capture.kind,
        captureReason: capture.reason,
        watching,
        cost: { ...cost, dutyCycle: dutyCycle() },
        settings,
      };
    },
    /** Everything tracked, interned, in one JSON value. */
    snapshot() {
      lastPing = Date.now();
      excused = 0;
      if (gaps > 0) dropEndedUnseen();
      const now = Date.now();
      // A resource seen in a sampled window and made within the last cycle is
      // left out of this snapshot (it is counted in the next one if it lives
      // on). Whether a window happened to be open in the last quarter-second
      // decides whether a site's young resources count `weight` times each or
      // not at all: for short-lived work (a job's awaits, a request's timers)
      // that alone swings a count between 0 and dozens, which reads as growth.
      // A leak's older resources carry its growth.
      const madeBefore = now - settings.cycleMs;
      const tasks = [];
      for (const [asyncId, record] of live) {
        if (record.weight > 1 && record.createdAt > madeBefore) continue;
        // In the order of COLUMNS.tasks.
        tasks.push([asyncId, record.type, record.stack, record.trigger, now - record.createdAt, lineageOf(record, asyncId), record.weight]);
      }
      const foldedTasks = [];
      for (const [key, count] of folded) {
        const [t, s] = key.split(',').map(Number);
        foldedTasks.push([t, s, count]); // COLUMNS.folded
      }
      const { frames, stacks } = capture.symbols();
      // Copies: uninstall empties the tables, and an in-process caller may still hold this.
      return {
        pid: process.pid,
        now,
        columns: COLUMNS,
        types: types.slice(),
        frames,
        stacks,
        tasks,
        folded: foldedTasks,
        untracked,
        maxTracked: settings.maxTracked,
        capture: capture.kind,
        dutyCycle: gaps > 0 ? dutyCycle() : 1,
      };
    },
    uninstall(reason) {
      if (!installed) return false;
      installed = false;
      hook.disable();
      // The inspector may run this in the middle of an async hook callback
      // (it interrupts JavaScript), and Node 20 then leaves its promise hooks
      // installed after a disable. Once outside any callback, enabling and
      // disabling again recomputes them: no hook is left behind either way.
      const repair = setImmediate(() => {
        hook.enable();
        hook.disable();
      });
      repair.unref();
      watching = false;
      if (resumeTimer !== null) clearTimeout(resumeTimer);
      clearInterval(watchdog);
      live.clear();
      folded.clear();
      recentLinks.clear();
      capture.reset();
      delete globalThis[KEY];
      if (!claimed) restoreEnvironment();
      if (settings.closeInspector) {
        // Later, so the session that asked can get its answer and disconnect first.
        setTimeout(() => {
          try {
            builtin('node:inspector').close();
          } catch {
            /* already closed */
          }
        }, 200).unref();
      }
      void reason;
      return true;
    },
  };
  Object.defineProperty(globalThis, KEY, { value: agent, configurable: true, enumerable: false, writable: false });
  return agent.status();
})(typeof LEAKSCAN_AGENT_OPTIONS === 'undefined' ? JSON.parse(process.env.LEAKSCAN_AGENT_OPTIONS || '{}') : LEAKSCAN_AGENT_OPTIONS);
