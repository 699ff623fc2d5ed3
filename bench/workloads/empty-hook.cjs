// Preload for bench/node-overhead: an async hook that does nothing, with the
// same callbacks leakscan's agent registers. What async_hooks itself costs,
// before any work in the callbacks: the floor for any hook-based tracker.
require('node:async_hooks')
  .createHook({ init() {}, destroy() {}, promiseResolve() {} })
  .enable();
