/**
 * leakscan's programmatic API. The CLI is the main way in; this is for
 * tests that want to fail on leaked async resources in their own process.
 */
export { leakCheck, assertNoLeaks } from './api/leak-check.js';
export type { Leak, LeakCheckOptions, LeakReport } from './api/leak-check.js';
