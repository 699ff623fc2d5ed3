/**
 * Starts the Node.js programs bundled with leakscan (the demo target is
 * one of the fixtures in fixtures/node). A bundled program prints a line
 * once it is running.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../../util/package-root.js';
import { TargetError } from '../../util/errors.js';
import { stopChild } from '../go/launch.js';

export interface BundledNodeProgram {
  child: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

/** Starts fixtures/node/<name>.mjs without the user's NODE_OPTIONS and waits for its first line. */
export async function launchBundledNodeProgram(name: string): Promise<BundledNodeProgram> {
  // Its inspector, opened when leakscan attaches, takes a free port: 9229
  // may be another Node program's (a debugger, a dev server), and the demo
  // must not depend on it.
  const child = spawn(process.execPath, ['--inspect-port=0', join(packageRoot, 'fixtures', 'node', `${name}.mjs`)], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const program = { child, pid: child.pid!, stop: () => stopChild(child) };
  try {
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', () => resolve());
      child.once('exit', (code) => reject(new TargetError(`the Node demo target exited with code ${code}`)));
    });
  } catch (error) {
    await program.stop();
    throw error;
  }
  child.stdout!.resume();
  return program;
}
