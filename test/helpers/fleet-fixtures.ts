/**
 * The fleet fixtures: fixtures/fleet/instance (a Go service with
 * client_golang's /metrics and net/http/pprof; -leak makes it leak) and
 * fixtures/fleet/node-instance.mjs (a Node service with prom-client's
 * default metrics; FLEET_LEAK=1 makes it leak sockets). Each prints
 * "metrics http://HOST:PORT" first; the Go one prints "pprof http://..."
 * next when pprof has its own -pprof-addr.
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
let built: Promise<string> | undefined;

/** Builds fixtures/fleet once per test process; its go.sum pins client_golang (fetched through the Go module proxy). */
export function buildFleetInstance(): Promise<string> {
  built ??= (async () => {
    const binDir = join(cacheDir, 'fleet-fixtures');
    mkdirSync(binDir, { recursive: true });
    const output = join(binDir, 'instance');
    await execFileAsync('go', ['build', '-o', output, './instance'], {
      cwd: join(fixturesDir, 'fleet'),
      env: { ...process.env, GOFLAGS: '-buildvcs=false -mod=readonly' },
      maxBuffer: 16 << 20,
    });
    return output;
  })();
  return built;
}

export interface FleetProcess {
  pid: number;
  /** host:port of /metrics. */
  address: string;
  /** host:port of pprof when it has its own listener. */
  pprofAddress?: string;
  process: ChildProcess;
  stop(): Promise<void>;
  kill(): void;
}

export async function startGoInstance(options: { leak: boolean; addr?: string; pprofAddr?: string; rate?: number }): Promise<FleetProcess> {
  const binary = await buildFleetInstance();
  const args = [
    `-addr=${options.addr ?? '127.0.0.1:0'}`,
    ...(options.leak ? ['-leak'] : []),
    ...(options.pprofAddr ? [`-pprof-addr=${options.pprofAddr}`] : []),
    ...(options.rate ? [`-rate=${options.rate}`] : []),
  ];
  return startAnnounced(binary, args, {}, options.pprofAddr !== undefined);
}

export function startNodeInstance(options: { leak: boolean; addr: string }): Promise<FleetProcess> {
  return startAnnounced(
    process.execPath,
    [join(fixturesDir, 'fleet', 'node-instance.mjs')],
    { FLEET_ADDR: options.addr, FLEET_LEAK: options.leak ? '1' : '0' },
    false,
  );
}

function startAnnounced(binary: string, args: string[], env: NodeJS.ProcessEnv, pprofLine: boolean): Promise<FleetProcess> {
  const child = spawn(binary, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4096)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${binary} printed no metrics line in time\n${stderr}`));
    }, 30_000);
    const lines = createInterface({ input: child.stdout! });
    let address: string | undefined;
    lines.on('line', (line) => {
      const match = /^(metrics|pprof) http:\/\/(\S+)$/.exec(line);
      if (!match) return;
      if (match[1] === 'metrics') address = match[2];
      if (address !== undefined && (!pprofLine || match[1] === 'pprof')) {
        clearTimeout(timer);
        resolve({
          pid: child.pid!,
          address,
          ...(pprofLine ? { pprofAddress: match[2]! } : {}),
          process: child,
          stop: () => stopChild(child),
          kill: () => child.kill('SIGKILL'),
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${binary} exited with ${code} before serving\n${stderr}`));
    });
  });
}
