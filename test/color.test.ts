/**
 * Colour as terminal users expect it (https://no-color.org): coloured on a
 * terminal, plain when NO_COLOR is set or --no-color is given, plain when
 * piped unless --color asks. The terminal is a real pseudo-terminal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cliPath, dumpsDir } from './helpers/paths.js';

const dump = join(dumpsDir, 'go1.26.8-debug2.txt');
const ESC = '\u001b[';

/**
 * The environment of a user at a terminal: without what asks for or against
 * colour, and without CI's variables (chalk gives no colour on a CI machine's
 * terminal unless the CI is one it knows).
 */
function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of ['NO_COLOR', 'FORCE_COLOR', 'CI', 'CONTINUOUS_INTEGRATION', 'BUILD_NUMBER', 'RUN_ID', 'TEAMCITY_VERSION', 'TF_BUILD']) delete env[key];
  return env;
}

/** Runs leakscan with its standard output on a pseudo-terminal (Python's pty module). */
function onTerminal(args: string[], env: NodeJS.ProcessEnv): string {
  const script = 'import os, pty, sys\nos.environ.pop("FORCE_COLOR", None)\nsys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))';
  const result = spawnSync('python3', ['-c', script, process.execPath, cliPath, ...args], {
    env: { ...userEnv(), TERM: 'xterm-256color', ...env },
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

function piped(args: string[], env: NodeJS.ProcessEnv): string {
  const result = spawnSync(process.execPath, [cliPath, ...args], { env: { ...userEnv(), ...env }, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

test('a terminal gets colour', () => {
  assert.ok(onTerminal(['diff', dump], {}).includes(ESC));
});

test('NO_COLOR set and not empty: no colour on a terminal', () => {
  const out = onTerminal(['diff', dump], { NO_COLOR: '1' });
  assert.ok(out.includes('Suspects'), out);
  assert.ok(!out.includes(ESC));
});

test('NO_COLOR empty does not count (no-color.org)', () => {
  assert.ok(onTerminal(['diff', dump], { NO_COLOR: '' }).includes(ESC));
});

test('--no-color: no colour on a terminal, before or after the command name', () => {
  assert.ok(!onTerminal(['diff', dump, '--no-color'], {}).includes(ESC));
  assert.ok(!onTerminal(['--no-color', 'diff', dump], {}).includes(ESC));
});

test('piped output is plain, unless --color asks (which wins over NO_COLOR)', () => {
  assert.ok(!piped(['diff', dump], {}).includes(ESC));
  assert.ok(piped(['diff', dump, '--color'], {}).includes(ESC));
  assert.ok(piped(['diff', dump, '--color'], { NO_COLOR: '1' }).includes(ESC));
});
