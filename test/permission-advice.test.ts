/**
 * When Linux refuses leakscan a look at a target or a signal to it, the one
 * line says what would help the user who ran it: another user is told to
 * run as the target's user or as root; root is never told to run as root,
 * but which capability it lacks. Real processes under other users, and
 * leakscan run with capabilities dropped from its bounding set (setpriv).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cliPath } from './helpers/paths.js';
import { tempDir } from './helpers/tmp.js';
import { listeningSockets } from '../src/targets/proc.js';

const dir = tempDir();
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
const canSwitchUsers = process.getuid?.() === 0 && spawnSync('setpriv', [...NOBODY, 'true']).status === 0;
const skip = !canSwitchUsers && 'needs root and setpriv';

const targets: ChildProcess[] = [];
after(() => {
  for (const target of targets) target.kill('SIGKILL');
});

/** A process of `user` ("nobody" or this test's root) that runs until the tests end. */
async function startTarget(command: string[], user: 'nobody' | 'root'): Promise<number> {
  const child = user === 'nobody' ? spawn('setpriv', [...NOBODY, ...command], { stdio: 'ignore' }) : spawn(command[0]!, command.slice(1), { stdio: 'ignore' });
  targets.push(child);
  await once(child, 'spawn');
  // Past setpriv's own exec: the pid runs the command itself.
  await sleep(300);
  return child.pid!;
}

/** `leakscan attach` run through setpriv with `setprivArgs`: its one error line and exit code. */
function attachAs(setprivArgs: string[], pid: number, out: string): { code: number | null; errors: string[]; stderr: string } {
  const result = spawnSync(
    'setpriv',
    [...setprivArgs, process.execPath, cliPath, 'attach', String(pid), '--count', '2', '--interval', '1', '--out', join(dir, out)],
    {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 60_000,
    },
  );
  return { code: result.status, errors: result.stderr.split('\n').filter((line) => line.startsWith('leakscan: ')), stderr: result.stderr };
}

test('another user than the target: told to run as the target user or as root', { skip }, async () => {
  const pid = await startTarget(['sleep', '120'], 'root');
  const result = attachAs(NOBODY, pid, 'as-nobody');
  assert.equal(result.code, 3, result.stderr);
  assert.deepEqual(result.errors, [
    `leakscan: permission denied reading the executable of pid ${pid}: run leakscan as the same user as the target, or as root`,
  ]);
});

test('root without CAP_SYS_PTRACE: told which capability is missing, not to run as root', { skip }, async () => {
  const pid = await startTarget(['sleep', '120'], 'nobody');
  const result = attachAs(['--bounding-set=-sys_ptrace'], pid, 'no-ptrace');
  assert.equal(result.code, 3, result.stderr);
  assert.equal(result.errors.length, 1, result.stderr);
  assert.match(
    result.errors[0]!,
    new RegExp(`^leakscan: permission denied reading the executable of pid ${pid}: leakscan runs as root but without CAP_SYS_PTRACE \\(`),
  );
  assert.match(result.errors[0]!, /docker run --cap-add=SYS_PTRACE/);
  assert.doesNotMatch(result.errors[0]!, /as root$|or as root/);
});

test('root without CAP_KILL: the Node target is not signalled, and the line says CAP_KILL is missing', { skip }, async () => {
  // --inspect-port=0: were the signal sent, the inspector would open on a
  // random port, never on 9229 that other tests share.
  const pid = await startTarget([process.execPath, '--inspect-port=0', '-e', 'setInterval(() => {}, 1000)'], 'nobody');
  const result = attachAs(['--bounding-set=-kill'], pid, 'no-kill');
  assert.equal(result.code, 3, result.stderr);
  assert.equal(result.errors.length, 1, result.stderr);
  assert.match(result.errors[0]!, new RegExp(`^leakscan: not allowed to signal pid ${pid}: leakscan runs as root but without CAP_KILL \\(`));
  assert.doesNotMatch(result.errors[0]!, /or as root/);
  assert.deepEqual(await listeningSockets(pid), [], 'no inspector was opened');
});
