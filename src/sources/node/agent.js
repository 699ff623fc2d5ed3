// The leakscan agent, run inside a Node.js target: injected through the
// inspector (Runtime.evaluate, where `require` does not exist: built-ins come
// from process.getBuiltinModule), or preloaded with `node --require` by
// `leakscan run`. Plain script, no imports; evaluates to the agent's status.
//
// It records async resources created after it starts (async_hooks init) with
// a creation stack, and forgets them when they are destroyed or, for
// promises, resolved. It never keeps a reference to a resource: only its
// async id, so nothing it watches is kept alive by watching (the "destroy"
// trap in Node's async_hooks docs). Memory is bounded: past `maxTracked`
// live records the oldest are folded into per-site counts.
//
// It removes itself (hooks disabled, state dropped, the inspector closed if
// leakscan opened it) when told to, or when leakscan has not been heard from
// for `watchdogMs` (the CLI was killed).
(function leakscanAgent(options) {
  'use strict';
  const KEY = Symbol.for('leakscan.agent');
  const existing = globalThis[KEY];
  if (existing) {
    existing.ping();
    return existing.status();
  }
  const asyncHooks = process.getBuiltinModule('node:async_hooks');
  const settings = Object.assign({ maxTracked: 200000, foldAfterMs: 30000, stackDepth: 16, promiseSampleEvery: 1, watchdogMs: 15000, closeInspector: false }, options || {});

  const types = [];
  const typeIds = new Map();
  const frames = []; // [fn, file, line]
  const frameIds = new Map();
  const stacks = []; // [frameId...], innermost first
  const stackIds = new Map();
  const live = new Map(); // asyncId -> [typeId, stackId, triggerAsyncId, createdAt, lineage links]
  const folded = new Map(); // "typeId,stackId" -> count of records evicted past maxTracked
  let promiseCounter = 0;
  let untracked = 0; // resources not tracked because the table was full of young ones
  // Preloaded by `leakscan run`, the agent waits up to a minute for leakscan
  // to connect before the watchdog may remove it.
  let lastPing = Date.now() + (settings.preloaded ? 60000 : 0);
  let installed = true;

  function typeId(type) {
    let id = typeIds.get(type);
    if (id === undefined) {
      id = types.length;
      types.push(type);
      typeIds.set(type, id);
    }
    return id;
  }

  // Structured call sites, no string formatting: V8 hands prepareStackTrace
  // the frames as objects.
  const structured = (_, callsites) => callsites;
  function captureStack() {
    const previousLimit = Error.stackTraceLimit;
    const previousPrepare = Error.prepareStackTrace;
    Error.stackTraceLimit = settings.stackDepth + 2; // + the two async_hooks frames dropped below
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
      let file = callsite.getFileName() || '';
      // The hook machinery that called init says nothing about the resource.
      if (skipping && file === 'node:internal/async_hooks') continue;
      skipping = false;
      if (file.startsWith('file://')) file = decodeURIComponent(file.slice(7));
      const line = callsite.getLineNumber() || 0;
      const fn = callsite.getFunctionName() || '';
      const key = fn + '\u0000' + file + '\u0000' + line;
      let id = frameIds.get(key);
      if (id === undefined) {
        id = frames.length;
        frames.push([fn, file, line]);
        frameIds.set(key, id);
      }
      ids.push(id);
    }
    const stackKey = ids.join(',');
    let stackId = stackIds.get(stackKey);
    if (stackId === undefined) {
      stackId = stacks.length;
      stacks.push(ids);
      stackIds.set(stackKey, stackId);
    }
    return stackId;
  }

  // Resources that live for one turn of the event loop at most: never a
  // leak, and the most frequent of all (every process.nextTick).
  const SHORT_LIVED = new Set(['TickObject', 'Microtask']);

  function init(asyncId, type, triggerAsyncId) {
    if (SHORT_LIVED.has(type)) return;
    if (type === 'PROMISE' && settings.promiseSampleEvery > 1 && ++promiseCounter % settings.promiseSampleEvery !== 0) return;
    if (live.size >= settings.maxTracked && !foldOldest()) {
      untracked++;
      return;
    }
    const stackId = captureStack();
    const place = placeOf(stackId);
    // Lineage: a resource made at the same place as one of its ancestors (a
    // retry timer scheduled, after an await, from the previous timer's
    // callback) continues that ancestor's chain: one logical task, however
    // short each link lives. Each record keeps a short persistent list of
    // (place, lineage) links inherited from its trigger.
    const parent = live.get(triggerAsyncId);
    let inherited = parent === undefined ? recentLinks.get(triggerAsyncId) || null : parent[4];
    let lineage = asyncId;
    for (let link = inherited, depth = 0; link !== null && depth < 8; link = link.next, depth++) {
      if (place !== -1 && link.place === place) {
        lineage = link.lineage;
        break;
      }
    }
    if (depthOf(inherited) >= 8) inherited = null; // keep the lists short
    live.set(asyncId, [typeId(type), stackId, triggerAsyncId, Date.now(), place === -1 ? inherited : { place, lineage, next: inherited }]);
  }

  function depthOf(link) {
    let depth = 0;
    for (; link !== null && depth < 8; link = link.next) depth++;
    return depth;
  }

  function lineageOf(record, asyncId) {
    const link = record[4];
    return link !== null && link.place === placeOf(record[1]) ? link.lineage : asyncId;
  }

  /** The innermost frame outside Node's own code: where in the program a stack was made. */
  const places = new Map();
  function placeOf(stackId) {
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
  }

  // A promise is forgotten when it resolves, just before the code awaiting it
  // runs and may create the next link of its chain: keep the links of the
  // last few thousand forgotten resources for that moment.
  const recentLinks = new Map();
  const RECENT_LINKS = 4096;
  function forget(asyncId) {
    const record = live.get(asyncId);
    if (record === undefined) return;
    live.delete(asyncId);
    if (record[4] !== null) {
      recentLinks.set(asyncId, record[4]);
      if (recentLinks.size > RECENT_LINKS) recentLinks.delete(recentLinks.keys().next().value);
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
    let folded_ = 0;
    for (const [asyncId, record] of live) {
      if (record[3] > oldEnough) break; // Map order is creation order: the rest are younger
      const key = record[0] + ',' + record[1];
      folded.set(key, (folded.get(key) || 0) + 1);
      live.delete(asyncId);
      folded_++;
      if (--n === 0) break;
    }
    return folded_ > 0;
  }

  // The watchdog's own timer is made before the hook starts, so it is not recorded.
  const watchdog = setInterval(() => {
    if (Date.now() - lastPing > settings.watchdogMs) agent.uninstall('leakscan went away');
  }, 1000);
  watchdog.unref();

  const hook = asyncHooks.createHook({ init, destroy: forget, promiseResolve: forget });
  hook.enable();

  const agent = {
    version: 1,
    ping() {
      lastPing = Date.now();
      return true;
    },
    isTracked(asyncId) {
      return live.has(asyncId);
    },
    status() {
      return { installed, pid: process.pid, tracked: live.size, folded: [...folded.values()].reduce((a, b) => a + b, 0), untracked, settings };
    },
    /** Everything tracked, interned, in one JSON value. */
    snapshot() {
      lastPing = Date.now();
      const now = Date.now();
      const tasks = [];
      for (const [asyncId, record] of live) tasks.push([asyncId, record[0], record[1], record[2], now - record[3], lineageOf(record, asyncId)]);
      const foldedTasks = [];
      for (const [key, count] of folded) {
        const [t, s] = key.split(',').map(Number);
        foldedTasks.push([t, s, count]);
      }
      // Copies: uninstall empties the tables, and an in-process caller may still hold this.
      return { pid: process.pid, now, types: types.slice(), frames: frames.slice(), stacks: stacks.slice(), tasks, folded: foldedTasks, untracked, maxTracked: settings.maxTracked, promiseSampleEvery: settings.promiseSampleEvery };
    },
    uninstall(reason) {
      if (!installed) return false;
      installed = false;
      hook.disable();
      clearInterval(watchdog);
      live.clear();
      folded.clear();
      frames.length = 0;
      stacks.length = 0;
      frameIds.clear();
      stackIds.clear();
      places.clear();
      recentLinks.clear();
      delete globalThis[KEY];
      if (settings.closeInspector) {
        // Later, so the session that asked can get its answer and disconnect first.
        setTimeout(() => {
          try {
            process.getBuiltinModule('node:inspector').close();
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
