/**
 * The census of a Node target that needs no hooks: what is alive on the
 * heap at one instant, found with the inspector, including everything that
 * existed before leakscan attached (which the agent, whose hooks start at
 * attach, cannot see).
 *
 * - Timers: `Runtime.queryObjects` on the Timeout prototype (Node stopped
 *   listing timers in `process._getActiveHandles()` in Node 11). Each live
 *   timer gives its callback (whose `[[FunctionLocation]]` the inspector
 *   reads: the code line), its delay, whether it repeats, and its async id.
 * - EventEmitter listeners, sockets and servers: `Runtime.queryObjects` on
 *   `EventEmitter.prototype` finds every emitter, subclasses included. Each
 *   listener is grouped by its function's location, event and emitter type;
 *   sockets and servers by address.
 * - Pending promises: `Runtime.queryObjects` on `Promise.prototype`. V8
 *   shows a promise's state but not where it was made nor what awaits it,
 *   so promises from before attach are a count without a code line.
 *
 * Cost. `Runtime.queryObjects` walks the heap after a garbage collection,
 * and the target stands still meanwhile; reading what was found costs more
 * per object (a promise's state, a function's source text). So the reading
 * is bounded: at most `limit` objects of each kind are read, spread evenly
 * over what was found, and the counts of the rest are scaled from them
 * (said in a warning). Every result stays in one object group, released
 * after each snapshot, so nothing found is kept alive by leakscan.
 *
 * The functions below run in the target (Runtime.callFunctionOn with
 * `this` bound to the array `Runtime.queryObjects` returned). They must not
 * run the program's own code: no getters of the program's objects are
 * called except Node's own fields, and nothing is formatted with custom
 * inspection.
 */

/** What the census says about the site of some live objects (one group). */
export interface CensusGroup {
  /** Tells groups apart within one census (kind, resource, and a digest of the function's source text). */
  key: string;
  /** Index into `reps` of a function whose location names the group; -1 when none. */
  rep: number;
  /** Resource kind, as async_hooks names it where it has one: "Timeout", "listener", "TCPWRAP", "TCPSERVERWRAP". */
  kind: string;
  /** What the group holds, in words: "setInterval 1000 ms", "'flush' listener on Shipper", "TCP socket to 127.0.0.1:6379". */
  resource: string;
  /** Function name of the callback or listener, "" when anonymous or none. */
  fn: string;
  /** Live objects in the group, scaled up when the census read only a sample. */
  count: number;
  /** Async ids of the objects read that the agent does not track. */
  ids: number[];
  /**
   * Listeners: the most copies of this listener one emitter holds for its
   * event, and that emitter's listener limit (its setMaxListeners, else
   * Node's default; 0 when removed). Node's MaxListenersExceededWarning is
   * the same count set against the same limit (piled-listeners.ts).
   */
  onOneEmitter?: { copies: number; limit: number };
  /**
   * Async ids of objects of this group that the agent tracks (counted there,
   * not here). For intervals, every one read (up to the id limit): the
   * agent's record of such a timer is given this group's callback frame, so
   * a leak made both before and after attach is one site. Else a few.
   */
  tracked: number[];
}

export interface CensusPart {
  groups: CensusGroup[];
  /** Live objects found. */
  live: number;
  /** Objects read (the rest were estimated from them). */
  read: number;
  /** Milliseconds spent reading in the target. */
  ms: number;
}

/**
 * Timers: `this` is Node's map of timer lists (`timerListMap` of
 * node:timers, reached through `setTimeout`'s closure by the inspector), or,
 * where that is not found, every object whose prototype chain holds
 * Timeout.prototype. Returns `{json, reps}`: a JSON string of CensusPart,
 * and the representative functions for the inspector to locate. Nothing
 * is written to the target's objects.
 */
export const TIMER_CENSUS = `function (limit, idLimit) {
  const started = performance.now();
  // Only own data properties are read: a getter is the program's (or a deprecated Node accessor's) code.
  const own = (o, k) => {
    try {
      const d = o !== null && (typeof o === 'object' || typeof o === 'function') ? Object.getOwnPropertyDescriptor(o, k) : undefined;
      return d !== undefined && 'value' in d ? d.value : undefined;
    } catch { return undefined; }
  };
  const agent = globalThis[Symbol.for('leakscan.agent')];
  const live = [];
  let asyncIdSymbol;
  const consider = (t) => {
    // Cleared or fired and not repeating: kept alive by the program, no longer a timer.
    if (own(t, '_idleTimeout') === -1 || own(t, '_destroyed') === true || typeof own(t, '_idleTimeout') !== 'number') return;
    if (agent && typeof agent.isOwn === 'function' && agent.isOwn(t)) return;
    live.push(t);
  };
  if (Array.isArray(this)) {
    for (let i = 0; i < this.length; i++) consider(this[i]);
  } else {
    // Node's own timer lists (one linked list per duration): every armed timer, no heap walk.
    for (const key of Object.keys(this)) {
      const list = own(this, key);
      let t = own(list, '_idleNext');
      for (let guard = 0; t && t !== list && guard < 1e8; guard++) {
        consider(t);
        t = own(t, '_idleNext');
      }
    }
  }
  for (const t of live) {
    for (const s of Object.getOwnPropertySymbols(t)) if (s.description === 'asyncId' || s.description === 'async_id_symbol') asyncIdSymbol = s;
    break;
  }
  const step = live.length > limit ? live.length / limit : 1;
  const scale = step;
  const groups = new Map();
  const reps = [];
  const out = [];
  let read = 0;
  let ids = 0;
  let trackedIds = 0;
  const text = Function.prototype.toString;
  for (let k = 0; k < live.length; k += step) {
    const t = live[Math.floor(k)];
    read++;
    const callback = own(t, '_onTimeout');
    const fn = typeof callback === 'function' ? callback : null;
    let source = '';
    try { source = fn ? text.call(fn) : ''; } catch {}
    const name = fn && typeof own(fn, 'name') === 'string' ? own(fn, 'name') : '';
    const repeat = own(t, '_repeat') !== null && own(t, '_repeat') !== undefined;
    // Whole milliseconds: a jittered delay (20 + Math.random() * 60) is one delay per timer to the last digit.
    const resource = (repeat ? 'setInterval ' : 'setTimeout ') + Math.round(own(t, '_idleTimeout')) + ' ms';
    const key = resource + '\\0' + name + '\\0' + source.length + '\\0' + source.slice(0, 48) + source.slice(-48);
    let g = groups.get(key);
    if (g === undefined) {
      g = { key, rep: fn ? reps.push(fn) - 1 : -1, kind: 'Timeout', resource, fn: name, count: 0, ids: [], tracked: [] };
      groups.set(key, g);
      out.push(g);
    }
    g.count += scale;
    const id = asyncIdSymbol ? own(t, asyncIdSymbol) : undefined;
    if (typeof id !== 'number') continue;
    if (agent && agent.isTracked(id)) {
      g.count -= scale;
      // Intervals: every one, for the agent's record to take this group's callback (timer-callbacks.ts). Else a few.
      if (repeat ? trackedIds < idLimit : g.tracked.length < 4) {
        g.tracked.push(id);
        if (repeat) trackedIds++;
      }
    } else if (ids < idLimit) {
      g.ids.push(id);
      ids++;
    }
  }
  for (const g of out) g.count = Math.round(g.count);
  return { json: JSON.stringify({ groups: out, live: live.length, read, ms: performance.now() - started }), reps };
}`;

/**
 * Emitters: `this` is every object whose prototype chain holds
 * EventEmitter.prototype. Listeners are grouped by function, event and
 * emitter type; sockets and servers with an open handle by address.
 * Returns `{json, reps}` as the timer census does.
 */
export const EMITTER_CENSUS = `function (limit, idLimit) {
  const started = performance.now();
  // Only own data properties are read: a getter is the program's (or a deprecated Node accessor's) code.
  const own = (o, k) => {
    try {
      const d = o !== null && (typeof o === 'object' || typeof o === 'function') ? Object.getOwnPropertyDescriptor(o, k) : undefined;
      return d !== undefined && 'value' in d ? d.value : undefined;
    } catch { return undefined; }
  };
  const ownSymbol = (o, description) => {
    try {
      const symbol = Object.getOwnPropertySymbols(o).find((s) => s.description === description);
      return symbol === undefined ? undefined : own(o, symbol);
    } catch { return undefined; }
  };
  const agent = globalThis[Symbol.for('leakscan.agent')];
  const builtin = agent?.builtin ?? ((name) => process.getBuiltinModule(name));
  const net = builtin('node:net');
  let defaultLimit = 10;
  try { defaultLimit = builtin('node:events').defaultMaxListeners; } catch {}
  // A limit of 0 or Infinity is no limit; Node's default applies where the program set none.
  const limitOf = (e) => {
    const set = own(e, '_maxListeners');
    const limit = typeof set === 'number' ? set : defaultLimit;
    return typeof limit === 'number' && Number.isFinite(limit) && limit > 0 ? limit : 0;
  };
  // Over the read limit, emitters are sampled and their counts scaled up.
  // An emitter that holds more than PILE listeners for one event is read
  // whatever the sample, at its true count: a listener leak is many copies
  // on one shared emitter among thousands of others (the requests each
  // leaked listener keeps alive are emitters too), and a sample would skip
  // it at some looks and multiply it at others.
  const PILE = 10;
  const piledOn = (e) => {
    const events = own(e, '_events');
    if (!events || typeof events !== 'object') return false;
    try {
      for (const name of Reflect.ownKeys(events)) {
        const value = own(events, name);
        if (Array.isArray(value) && value.length > PILE) return true;
      }
    } catch {}
    return false;
  };
  const whole = [];
  let list = this;
  if (list.length > limit) {
    const rest = [];
    for (const e of list) (piledOn(e) ? whole : rest).push(e);
    list = rest;
  }
  const step = list.length > limit ? list.length / limit : 1;
  const groups = new Map();
  const reps = [];
  const out = [];
  let read = 0;
  let ids = 0;
  let listeners = 0;
  const text = Function.prototype.toString;
  const group = (key, make) => {
    let g = groups.get(key);
    if (g === undefined) {
      g = make();
      groups.set(key, g);
      out.push(g);
    }
    return g;
  };
  const typeOf = (e) => {
    try {
      const c = own(Object.getPrototypeOf(e), 'constructor');
      const name = own(c, 'name');
      return typeof name === 'string' && name ? name : 'EventEmitter';
    } catch { return 'EventEmitter'; }
  };
  const asyncIdOf = (handle) => {
    try { return handle && typeof handle.getAsyncId === 'function' ? handle.getAsyncId() : undefined; } catch { return undefined; }
  };
  // Addresses from the handle itself (native), not the socket's getters.
  const addressOf = (handle, which) => {
    try {
      const out = {};
      if (typeof handle[which] !== 'function' || handle[which](out) !== 0 || typeof out.address !== 'string') return undefined;
      return (out.address.includes(':') ? '[' + out.address + ']' : out.address) + ':' + out.port;
    } catch { return undefined; }
  };
  const readEmitter = (e, scale) => {
    read++;
    const type = typeOf(e);
    // A socket keeps its handle under the symbol kHandle ('_handle' is a getter of the prototype); a server under '_handle'.
    const handle = own(e, '_handle') ?? ownSymbol(e, 'kHandle');
    const events = own(e, '_events');
    // The listeners of a socket or server are part of it (counted below, by address), not a leak of their own.
    if (!handle && events && typeof events === 'object') {
      for (const name of Reflect.ownKeys(events)) {
        const value = own(events, name);
        const fns = typeof value === 'function' ? [value] : Array.isArray(value) ? value : [];
        // Copies of one listener on this emitter for this event, per group.
        const here = new Map();
        for (const f of fns) {
          if (typeof f !== 'function') continue;
          // once() wraps the program's listener; the wrapper says nothing.
          const fn = typeof own(f, 'listener') === 'function' ? own(f, 'listener') : f;
          let source = '';
          try { source = text.call(fn); } catch {}
          const fnName = typeof own(fn, 'name') === 'string' ? own(fn, 'name') : '';
          const event = typeof name === 'symbol' ? String(name) : "'" + name + "'";
          const resource = event + ' listener on ' + type;
          const key = 'L' + resource + '\\0' + fnName + '\\0' + source.length + '\\0' + source.slice(0, 48) + source.slice(-48);
          const g = group(key, () => ({ key, rep: reps.push(fn) - 1, kind: 'listener', resource, fn: fnName, count: 0, ids: [], tracked: [] }));
          g.count += scale;
          here.set(g, (here.get(g) ?? 0) + 1);
          listeners++;
        }
        for (const [g, copies] of here) {
          if (g.onOneEmitter === undefined || copies > g.onOneEmitter.copies) g.onOneEmitter = { copies, limit: limitOf(e) };
        }
      }
    }
    // Sockets and servers that hold an open handle, by address.
    if (!handle || typeof handle !== 'object') return;
    let kind;
    let resource;
    try {
      const handleType = own(own(Object.getPrototypeOf(handle), 'constructor'), 'name');
      if (e instanceof net.Server) {
        kind = handleType === 'Pipe' ? 'PIPESERVERWRAP' : 'TCPSERVERWRAP';
        resource = kind === 'TCPSERVERWRAP' ? 'TCP server on ' + (addressOf(handle, 'getsockname') || '?') : 'pipe server';
      } else if (e instanceof net.Socket) {
        if (handleType === 'TCP') {
          kind = 'TCPWRAP';
          // An accepted socket is named after the server's address, a client one after its peer.
          const peer = addressOf(handle, 'getpeername');
          if (peer === undefined) return; // not connected (yet, or any more)
          resource = own(e, 'server') ? 'TCP socket accepted on ' + addressOf(handle, 'getsockname') : 'TCP socket to ' + peer;
        } else if (handleType === 'Pipe') {
          kind = 'PIPEWRAP';
          resource = 'pipe';
        } else return;
      } else return;
    } catch { return; }
    const g = group('H' + resource, () => ({ key: 'H' + resource, rep: -1, kind, resource, fn: '', count: 0, ids: [], tracked: [] }));
    g.count += scale;
    const id = asyncIdOf(handle);
    if (typeof id !== 'number') return;
    if (agent && agent.isTracked(id)) {
      g.count -= scale;
      if (g.tracked.length < 4) g.tracked.push(id);
    } else if (ids < idLimit) {
      g.ids.push(id);
      ids++;
    }
  };
  for (const e of whole) readEmitter(e, 1);
  for (let k = 0; k < list.length; k += step) readEmitter(list[Math.floor(k)], step);
  for (const g of out) g.count = Math.round(g.count);
  return { json: JSON.stringify({ groups: out, live: this.length, read, ms: performance.now() - started, listeners }), reps };
}`;

/**
 * Promises: `this` is every promise on the heap. Counts the pending ones,
 * reading at most `limit` states (evenly spread; the rest estimated). The
 * agent reads a state natively when its addon is loaded; otherwise
 * util.inspect is the one public way to read it from JavaScript
 * (customInspect off: formatting must not run the program's own code).
 */
export const PROMISE_CENSUS = `function (limit) {
  const started = performance.now();
  const agent = globalThis[Symbol.for('leakscan.agent')];
  const util = (globalThis[Symbol.for('leakscan.agent')]?.builtin ?? ((name) => process.getBuiltinModule(name)))('node:util');
  const isPending = agent && typeof agent.isPending === 'function'
    ? (p) => agent.isPending(p)
    : (p) => /^[^{]*[{] <pending>/.test(util.inspect(p, { depth: 0, customInspect: false }));
  const list = this;
  const step = list.length > limit ? list.length / limit : 1;
  let read = 0;
  let pending = 0;
  for (let k = 0; k < list.length; k += step) {
    read++;
    if (isPending(list[Math.floor(k)])) pending++;
  }
  return { pending: Math.round(pending * (read > 0 ? list.length / read : 0)), total: list.length, read, ms: performance.now() - started };
}`;

/**
 * The newest async id and the process's start time: ids are handed out in
 * order, so with these from each snapshot an id dates the resource that
 * holds it. An AsyncResource takes the next id; destroyed at once, so an
 * agent that sees it forgets it.
 */
export const ID_CLOCK = `(() => {
  const { AsyncResource } = (globalThis[Symbol.for('leakscan.agent')]?.builtin ?? ((name) => process.getBuiltinModule(name)))('node:async_hooks');
  const probe = new AsyncResource('LEAKSCAN_ID_CLOCK', { requireManualDestroy: true });
  const id = probe.asyncId();
  probe.emitDestroy();
  return { newestId: id, startedAt: Date.now() - process.uptime() * 1000, now: Date.now(), mark: performance.now() };
})()`;

/** Evaluated in the target just before the census: its clock, to measure how long the target stood still. */
export const MARK = `performance.now()`;

/** Evaluated in the target: a Timeout's prototype (one timer made and cleared at once). */
export const TIMEOUT_PROTOTYPE = `(() => { const t = setTimeout(() => {}, 0); clearTimeout(t); return Object.getPrototypeOf(t); })()`;

/** Evaluated in the target: untracked active handles other than timers, sockets and servers (found above), as [asyncId|null, type]. */
export const HANDLE_CENSUS = handleCensus(true);
/** The same with sockets and servers, when the heap is not walked for them. */
export const HANDLE_CENSUS_ALL = handleCensus(false);

function handleCensus(skipSockets: boolean): string {
  return `(() => {
  const agent = globalThis[Symbol.for('leakscan.agent')];
  const net = (globalThis[Symbol.for('leakscan.agent')]?.builtin ?? ((name) => process.getBuiltinModule(name)))('node:net');
  const own = (o, k) => {
    try {
      const d = o !== null && (typeof o === 'object' || typeof o === 'function') ? Object.getOwnPropertyDescriptor(o, k) : undefined;
      return d !== undefined && 'value' in d ? d.value : undefined;
    } catch { return undefined; }
  };
  const asyncIdOf = (h) => {
    try {
      const handle = own(h, '_handle');
      if (handle && typeof handle.getAsyncId === 'function') return handle.getAsyncId();
      if (h && typeof h.getAsyncId === 'function') return h.getAsyncId();
      for (const symbol of Object.getOwnPropertySymbols(h || {})) {
        if (symbol.description === 'async_id_symbol' || symbol.description === 'asyncId') return own(h, symbol);
      }
    } catch {}
    return null;
  };
  const out = [];
  for (const h of [...process._getActiveHandles(), ...process._getActiveRequests()]) {
    try {
      if (${skipSockets} && (h instanceof net.Socket || h instanceof net.Server)) continue;
      const type = own(own(Object.getPrototypeOf(h), 'constructor'), 'name') || typeof h;
      if (type === 'Timeout') continue;
      const id = asyncIdOf(h);
      if (typeof id === 'number' && agent && agent.isTracked(id)) continue;
      out.push([typeof id === 'number' ? id : null, String(type)]);
    } catch {}
  }
  return out;
})()`;
}
