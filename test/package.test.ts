/**
 * The package as users get it: `npm pack`, installed into an empty project
 * with --engine-strict (every dependency must accept the Node versions in
 * leakscan's engines), then run through npx. Also checks that no build output
 * of the packer's machine (a compiled addon for its Node) travels in the
 * tarball, and that the licence the package declares is in it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './helpers/paths.js';
import { tempDir } from './helpers/tmp.js';

const run = promisify(execFile);
const npm = (args: string[], cwd: string) =>
  run('npm', args, { cwd, env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', NO_COLOR: '1' }, maxBuffer: 64 << 20, timeout: 300_000 });

test('the packed tarball installs with --engine-strict and runs leakscan --version and doctor', { timeout: 360_000 }, async () => {
  const packDir = tempDir('leakscan-pack-');
  const { stdout } = await npm(['pack', '--json', '--pack-destination', packDir], repoRoot);
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  const paths = packed.files.map((f) => f.path);
  assert.ok(paths.includes('LICENSE'), 'the licence package.json names is shipped');
  assert.deepEqual(
    paths.filter((p) => p.startsWith('native/lib/') || p.startsWith('build/') || p.endsWith('.node')),
    [],
    'no compiled addon in the package',
  );
  assert.ok(paths.includes('native/src/leakscan_native.cc') && paths.includes('binding.gyp'), 'the addon can be built from source');
  assert.ok(paths.includes('fixtures/node/pending-promises.mjs'), 'the demo targets are shipped');
  assert.ok(!paths.includes('fixtures/node/fastify-shop.mjs'), 'no fixture that needs a devDependency');

  const project = tempDir('leakscan-install-');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', private: true }));
  await npm(['install', '--engine-strict', '--prefer-offline', join(packDir, packed.filename)], project);

  const version = await run('npx', ['--no-install', 'leakscan', '--version'], { cwd: project });
  assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+$/);
  const doctor = await run('npx', ['--no-install', 'leakscan', 'doctor'], { cwd: project, env: { ...process.env, NO_COLOR: '1' } });
  assert.match(doctor.stdout + doctor.stderr, /node/i);
});
