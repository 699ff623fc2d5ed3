/**
 * Where snapshots go when the user names no --out: under the XDG state
 * directory ($XDG_STATE_HOME/leakscan, by default ~/.local/state/leakscan),
 * as pprof keeps its profiles in ~/pprof, so an attach does not clutter the
 * folder it was run from. Each run gets a directory of its own, made
 * exclusively (see makeNewDirectory); the command prints where.
 */
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { describeFsError } from './atomic-write.js';
import { OutputError } from './errors.js';
import { makeNewDirectory } from './make-directory.js';

export function outputRoot(env: NodeJS.ProcessEnv = process.env): string {
  // The XDG spec: a relative XDG_STATE_HOME is invalid and is ignored.
  const state = env.XDG_STATE_HOME && isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(state, 'leakscan');
}

/** A new directory named `name` (e.g. "leakscan-4242-20261202-101500") under the output root. */
export async function makeDefaultOutputDirectory(name: string): Promise<string> {
  const root = outputRoot();
  try {
    await mkdir(root, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new OutputError(`cannot create ${root}: ${describeFsError(error)} (give --out)`);
  }
  return makeNewDirectory(join(root, name));
}
