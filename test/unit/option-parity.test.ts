/**
 * check --pid/--url samples a live target as attach does, so it must accept
 * every option attach has for sampling, with the same defaults, and read
 * them into the same settings. The only options attach has that check does
 * not are attach's output options (check prints the gate's formats
 * instead; its --html is its own).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { registerAttach } from '../../src/cli/commands/attach.js';
import { registerCheck } from '../../src/cli/commands/check.js';
import { addOutputOptions, readSettings } from '../../src/cli/sampling-options.js';
import type { ReadFlags } from '../../src/cli/sampling-options.js';

/** A program with attach and check whose actions do nothing: only the parsed options are looked at. */
function program(): { attach: Command; check: Command; program: Command } {
  const root = new Command().exitOverride();
  const idle = () => Promise.resolve();
  registerAttach(root, idle);
  registerCheck(root, idle, '0.0.0', []);
  const find = (name: string) => root.commands.find((c) => c.name() === name)!;
  return { attach: find('attach'), check: find('check'), program: root };
}

const longNames = (command: Command) => command.options.map((o) => o.long!);

test('check has every option of attach except the output options check replaces', () => {
  const { attach, check } = program();
  const outputOnly = longNames(addOutputOptions(new Command())).filter((name) => name !== '--html');
  const missing = longNames(attach).filter((name) => !longNames(check).includes(name));
  assert.deepEqual(missing.sort(), outputOnly.sort());
});

test('the options attach and check share have the same defaults', () => {
  const { attach, check } = program();
  for (const option of attach.options) {
    const same = check.options.find((o) => o.long === option.long);
    if (same === undefined) continue;
    assert.deepEqual(same.defaultValue, option.defaultValue, `${option.long}: check's default differs from attach's`);
  }
});

test('the same sampling flags give attach and check the same settings', async () => {
  const flags = [
    '--timeout=7s',
    '--no-leak-profile',
    '--no-labels',
    '--pause-budget=250us',
    '--evidence-pause=50ms',
    '--no-promise-census',
    '--inspector-port=9333',
    '--allow-remote-inspector',
    '--track=all',
    '--agent-budget=5',
    '--no-native',
    '--max-tracked=500',
    '--stack-depth=12',
  ];
  const attached = program();
  await attached.program.parseAsync(['attach', '4242', ...flags], { from: 'user' });
  const checked = program();
  await checked.program.parseAsync(['check', '--pid', '4242', ...flags], { from: 'user' });
  const settings = readSettings(attached.attach.opts<ReadFlags>());
  assert.deepEqual(readSettings(checked.check.opts<ReadFlags>()), settings);
  // The flags were read, not left at their defaults.
  assert.equal(settings.timeoutMs, 7000);
  assert.equal(settings.go.pauseBudgetMs, 0.25);
  assert.equal(settings.go.evidencePauseMs, 50);
  assert.equal(settings.node.agent.track, 'all');
  assert.equal(settings.node.promiseCensus, false);
});
