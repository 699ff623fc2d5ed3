/**
 * The census of a Node target that needs no hooks: the active handles and
 * requests (sockets, servers, timers) with what can be learned of them, and
 * the number of pending promises. It sees what existed before leakscan
 * attached, which the agent cannot. Runs as code evaluated in the target.
 */

/** Evaluated in the target: untracked active handles and requests as [asyncId|null, type, detail]. */
export const HANDLE_CENSUS = `(() => {
  const agent = globalThis[Symbol.for('leakscan.agent')];
  const asyncIdOf = (h) => {
    try {
      if (h && h._handle && typeof h._handle.getAsyncId === 'function') return h._handle.getAsyncId();
      if (h && typeof h.getAsyncId === 'function') return h.getAsyncId();
      for (const symbol of Object.getOwnPropertySymbols(h || {})) {
        if (symbol.description === 'async_id_symbol') return h[symbol];
      }
    } catch {}
    return null;
  };
  const describe = (h) => {
    try {
      const type = h && h.constructor ? h.constructor.name : typeof h;
      if (type === 'Socket' || type === 'TLSSocket') {
        return h.remoteAddress ? h.localAddress + ':' + h.localPort + ' -> ' + h.remoteAddress + ':' + h.remotePort : 'socket ' + (h.localPort || '');
      }
      if (type === 'Server' && typeof h.address === 'function') {
        const a = h.address();
        return a && typeof a === 'object' ? 'listening on ' + a.address + ':' + a.port : 'listening ' + String(a);
      }
      if (type === 'Timeout') {
        const fn = h._onTimeout;
        return (h._repeat ? 'setInterval ' : 'setTimeout ') + h._idleTimeout + ' ms, calls ' + ((fn && fn.name) || '(anonymous)');
      }
      return '';
    } catch { return ''; }
  };
  const out = [];
  for (const h of [...process._getActiveHandles(), ...process._getActiveRequests()]) {
    const id = asyncIdOf(h);
    if (id !== null && agent && agent.isTracked(id)) continue;
    out.push([id, h && h.constructor ? h.constructor.name : typeof h, describe(h)]);
  }
  return out;
})()`;

/**
 * Called on the array of live promises that Runtime.queryObjects returned:
 * how many are pending. util.inspect is the one public way to read a
 * promise's state from JavaScript.
 */
export const COUNT_PENDING = `function () {
  const util = process.getBuiltinModule('node:util');
  let pending = 0;
  for (const promise of this) {
    // customInspect off: formatting must not run the program's own code.
    if (/^[^{]*[{] <pending>/.test(util.inspect(promise, { depth: 0, customInspect: false }))) pending++;
  }
  return { pending, total: this.length };
}`;
