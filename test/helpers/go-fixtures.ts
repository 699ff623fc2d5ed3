/**
 * Builds the Go fixtures in fixtures/go with the machine's `go` and runs
 * them as real processes. A fixture prints "pprof http://127.0.0.1:PORT" as
 * its first line once its pprof endpoint is up.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createInterface } from 'node:readline';
import { cacheDir, fixturesDir } from './paths.js';
import { stopChild } from '../../src/targets/go/launch.js';

const execFileAsync = promisify(execFile);
const binDir = join(cacheDir, 'go-fixtures');
let built: Promise<void> | undefined;

/** Builds every Go fixture once per test process (go's own cache makes repeats cheap). */
export function buildGoFixtures(): Promise<void> {
  built ??= (async () => {
    mkdirSync(binDir, { recursive: true });
    await execFileAsync('go', ['build', '-o', `${binDir}/`, './...'], {
      cwd: join(fixturesDir, 'go'),
      env: { ...process.env, GOFLAGS: '-buildvcs=false' },
      maxBuffer: 16 << 20,
    });
  })();
  return built;
}

/** Builds one fixture with extra environment (e.g. GOEXPERIMENT) under its own name. */
export async function buildGoFixtureVariant(name: string, variant: string, env: NodeJS.ProcessEnv): Promise<string> {
  mkdirSync(binDir, { recursive: true });
  const output = join(binDir, `${name}-${variant}`);
  await execFileAsync('go', ['build', '-o', output, `./${name}`], {
    cwd: join(fixturesDir, 'go'),
    env: { ...process.env, GOFLAGS: '-buildvcs=false', ...env },
    maxBuffer: 16 << 20,
  });
  return output;
}

export interface RunningFixture {
  name: string;
  pid: number;
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
  /** Resolves once the fixture has written a stderr line matching `pattern` (its diagnostics say when a scripted event is over). */
  logged(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

export async function startGoFixture(
  name: string,
  options: { args?: string[]; env?: NodeJS.ProcessEnv; binary?: string; startTimeoutMs?: number } = {},
): Promise<RunningFixture> {
  await buildGoFixtures();
  const binary = options.binary ?? join(binDir, name);
  const child = spawn(binary, options.args ?? [], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const stderrLines = createInterface({ input: child.stderr! });
  const seen: string[] = [];
  stderrLines.on('line', (line) => {
    if (seen.length < 1000) seen.push(line);
    if (stderr.length < 16384) stderr += `${line}\n`;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fixture ${name} printed no pprof line in time\n${stderr}`));
    }, options.startTimeoutMs ?? 30_000);
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      // "pprof http://..." for fixtures that serve pprof, "api http://..." for nopprof.
      const match = /^(?:pprof|api) (http:\/\/\S+)$/.exec(line);
      if (match) resolve(match[1]!);
      else reject(new Error(`fixture ${name} printed ${JSON.stringify(line)} instead of its pprof line`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fixture ${name} exited with ${code} before serving\n${stderr}`));
    });
  });
  child.stdout!.resume();
  return {
    name,
    pid: child.pid!,
    url,
    process: child,
    stop: () => stopProcess(child),
    logged: (pattern, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        if (seen.some((line) => pattern.test(line))) return resolve();
        const timer = setTimeout(() => {
          stderrLines.off('line', onLine);
          reject(new Error(`fixture ${name} did not log ${pattern} in time\n${stderr}`));
        }, timeoutMs);
        const onLine = (line: string) => {
          if (!pattern.test(line)) return;
          clearTimeout(timer);
          stderrLines.off('line', onLine);
          resolve();
        };
        stderrLines.on('line', onLine);
      }),
  };
}

/** SIGTERM, then SIGKILL after 5 s: the same stop leakscan uses for what it starts. */
export const stopProcess = stopChild;

/**
 * Environment that turns on Go's goroutineleak profile: an experiment in Go
 * 1.26 (GOEXPERIMENT=goroutineleakprofile), on by default from 1.27.
 */
export async function goroutineLeakProfileEnv(): Promise<NodeJS.ProcessEnv> {
  const { stdout } = await execFileAsync('go', ['env', 'GOVERSION']);
  const [, major, minor] = /^go(\d+)\.(\d+)/.exec(stdout.trim()) ?? [];
  if (Number(major) === 1 && Number(minor) < 26) throw new Error(`the goroutineleak profile needs Go 1.26 or newer, not ${stdout.trim()}`);
  return Number(major) === 1 && Number(minor) === 26 ? { GOEXPERIMENT: 'goroutineleakprofile' } : {};
}
