/**
 * The stacks of one Node leak, as the agent records them: a payments
 * consumer whose `await once(shipper, 'flush')` never returns
 * (fixtures/node/listener-promise.mjs, written by hand). Used by the tests
 * of the fold into one suspect (test/unit/chains.test.ts) and of check's
 * text output (test/check-text.test.ts).
 */
import type { Frame } from '../../src/model/format.js';

export const START = 1_700_000_000_000;
export const APP = '/srv/payments/consumer.mjs';
export const frame = (fn: string, file: string, line: number): Frame => ({ fn, file, line });

export const CALLERS = [frame('(anonymous)', APP, 109), frame('publish', APP, 85), frame('(anonymous)', APP, 128)];
/** onPayment's own promise, placed at the function's first line. */
export const OWN = [frame('onPayment', APP, 99), ...CALLERS];
/** The promise `once()` returns, through Node's code, awaited at line 103. */
export const AWAITED = [frame('once', 'node:events', 1002), frame('onPayment', APP, 103), ...CALLERS];
