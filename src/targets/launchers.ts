/**
 * Launchers: the process a user finds first is often not the program. `npm
 * start`, `npx`, `yarn`, `pnpm` are Node processes that run the service as a
 * child (through a shell); `go run` builds the program and runs it as a
 * child; shells, tini, dumb-init, timeout and env only wait for theirs.
 * Attaching to the launcher would sample npm itself, or ask for pprof in the
 * go command. So a launcher is looked through, to the Go or Node programs
 * among its descendants, and the user is told which pid was used.
 */
import { basename } from 'node:path';
import { inspectProcess, processTree } from './proc.js';
import type { ProcessInfo } from './proc.js';

const WAITING_LAUNCHERS = new Set([
  'sh',
  'bash',
  'dash',
  'zsh',
  'ash',
  'ksh',
  'fish',
  'tini',
  'dumb-init',
  'timeout',
  'env',
  'nohup',
  'setsid',
  'su',
  'sudo',
  'runuser',
  'catatonit',
]);
const NODE_PACKAGE_RUNNERS = /^(npm|npx|yarn|yarnpkg|pnpm|pnpx|corepack)(-cli)?(\.c?js)?$/;

/** What kind of launcher `info` is ("npm", "go run", "sh"), or undefined when it is a program. */
export function launcherName(info: ProcessInfo): string | undefined {
  const exeName = basename(info.exe ?? '').replace(/ \(deleted\)$/, '');
  const first = basename(info.argv[0] ?? '');
  if (info.runtime.kind === 'node') {
    // npm rewrites its title to "npm start"; otherwise argv[1] is the runner's script.
    const runner = [first.split(' ')[0] ?? '', basename(info.argv[1] ?? '')].find((name) => NODE_PACKAGE_RUNNERS.test(name));
    return runner?.replace(/(-cli)?(\.c?js)?$/, '');
  }
  if (info.runtime.kind === 'go') {
    return exeName === 'go' && (info.argv[1] === 'run' || info.argv[1] === 'test') ? `go ${info.argv[1]}` : undefined;
  }
  // The name the user typed ("sh"), though it may run another binary (dash).
  if (WAITING_LAUNCHERS.has(exeName)) return WAITING_LAUNCHERS.has(first) ? first : exeName;
  return undefined;
}

/**
 * The Go and Node programs started under a launcher (its descendants that
 * are not launchers themselves). leakscan itself is never one: given the
 * shell it runs in, its own process is that shell's Node program.
 */
export async function launchedPrograms(launcher: ProcessInfo): Promise<ProcessInfo[]> {
  const programs: ProcessInfo[] = [];
  for (const pid of (await processTree(launcher.pid)).slice(1)) {
    if (pid === process.pid) continue;
    const info = await inspectProcess(pid).catch(() => undefined);
    if (info === undefined || info.runtime.kind === 'unknown' || launcherName(info) !== undefined) continue;
    programs.push(info);
  }
  return programs;
}
