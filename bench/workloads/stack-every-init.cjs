// Preload for bench/node-overhead: what Jest's detectOpenHandles and similar
// tools do, a formatted stack (new Error().stack) captured at every async init.
const { createHook } = require('node:async_hooks');
const stacks = new Map();
createHook({
  init(asyncId) {
    stacks.set(asyncId, new Error().stack);
  },
  destroy(asyncId) {
    stacks.delete(asyncId);
  },
  promiseResolve(asyncId) {
    stacks.delete(asyncId);
  },
}).enable();
