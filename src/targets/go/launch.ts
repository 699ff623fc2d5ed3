/**
 * Builds and starts the Go programs bundled with leakscan (the demo target
 * is one of the fixtures in fixtures/go). A bundled program prints
 * "pprof http://127.0.0.1:PORT" once its endpoint is up.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../../util/package-root.js';
import { InputError, TargetError } from '../../util/errors.js';

export function buildBundledGoProgram(name: string): Promise<string> {
  const outDir = join(tmpdir(), `leakscan-go-${process.getuid?.() ?? 'user'}`);
  mkdirSync(outDir, { recursive: true });
  const output = join(outDir, name);
  return new Promise((resolve, reject) => {
    execFile(
      'go',
      ['build', '-o', output, `./${name}`],
      { cwd: join(packageRoot, 'fixtures', 'go'), env: { ...process.env, GOFLAGS: '-buildvcs=false' } },
      (error, _stdout, stderr) => {
        if (error === null) return resolve(output);
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          return reject(new InputError('the Go demo target needs Go to build it, and `go` is not on the PATH (install Go from https://go.dev/dl)'));
        }
        reject(new InputError(`could not build the demo target: ${stderr.trim().split('\n').pop()}`));
      },
    );
  });
}

export interface LaunchedProgram {
  child: ChildProcess;
  pid: number;
  url: string;
  stop(): Promise<void>;
}

export function launchBundledGoProgram(binary: string, args: string[] = []): Promise<LaunchedProgram> {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new TargetError('the demo target did not start within 30s'));
    }, 30_000);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      child.stdout!.resume();
      const url = /^pprof (http:\/\/\S+)$/.exec(line)?.[1];
      if (url === undefined) return reject(new TargetError(`the demo target printed ${JSON.stringify(line)}`));
      resolve({ child, pid: child.pid!, url, stop: () => stopChild(child) });
    });
    child.once('error', (error) => reject(new TargetError(`could not start the demo target: ${error.message}`)));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new TargetError(`the demo target exited with code ${code} before serving`));
    });
  });
}

/** SIGTERM, then SIGKILL after 5 s; only ever used on a process leakscan started itself. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Whether `go version` runs: the Go demo target is built with the user's Go. */
export function goIsInstalled(): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('go', ['version'], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}
