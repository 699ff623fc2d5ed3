/**
 * The Node agent reads a promise's state to drop the records of promises
 * that settled while it was not watching, and the census counts pending
 * promises with it. Without the native addon it reads the state from
 * JavaScript; the promises it must read are the ones made while its async
 * hook was on, which carry their async ids as properties.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInThisContext } from 'node:vm';
import { agentExpression, agentOptions, defaultAgentSettings } from '../../src/targets/node/target.js';

interface Agent {
  isPending(promise: Promise<unknown>): boolean;
  status(): { capture: string };
  uninstall(reason: string): boolean;
}

test('without the addon, the agent tells pending promises from settled ones, also those made while its hook was on', async () => {
  const before = new Promise(() => undefined);
  runInThisContext(agentExpression(agentOptions({ ...defaultAgentSettings, native: false, track: 'all' }, { watchdogMs: 60_000 })));
  const agent = (globalThis as unknown as Record<symbol, Agent>)[Symbol.for('leakscan.agent')]!;
  try {
    assert.equal(agent.status().capture, 'js');
    const pending = new Promise(() => undefined);
    const resolved = Promise.resolve(1);
    const rejected = Promise.reject(new Error('no'));
    rejected.catch(() => undefined);
    let settle!: () => void;
    const later = new Promise<void>((resolve) => (settle = resolve));
    assert.equal(agent.isPending(before), true, 'made before the hook');
    assert.equal(agent.isPending(pending), true, 'made with the hook on');
    assert.equal(agent.isPending(later), true);
    assert.equal(agent.isPending(resolved), false);
    assert.equal(agent.isPending(rejected), false);
    settle();
    await later;
    assert.equal(agent.isPending(later), false, 'settled after it was made');
  } finally {
    agent.uninstall('test done');
  }
});
