/**
 * Is this executable Node.js, and which version? Read from the ELF file
 * itself, never from its name: a copy of /bin/sleep named `node` is not Node,
 * and SIGUSR1 would kill it.
 *
 * - Node: the dynamic string table names `node::Start(int, char**)`
 *   (`_ZN4node5StartEiPPc`). The official builds export it (native addons
 *   link against the executable); distribution builds such as Debian's
 *   /usr/bin/node are a small launcher that imports it from libnode.so. It is
 *   Node's public entry point (node.h) in every version leakscan supports.
 * - Version: the inspector's `/json/version` answer is built from the string
 *   "node.js/" NODE_VERSION, in .rodata of the executable or, for a launcher,
 *   of the libnode.so it has mapped. A build without the inspector has no
 *   such string, and no inspector either.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { findInElfSection } from '../proc.js';

const NODE_START_SYMBOL = Buffer.from('\0_ZN4node5StartEiPPc\0', 'latin1');
const VERSION_PREFIX = Buffer.from('node.js/v', 'latin1');

/** Cached per executable file (device, inode, size, mtime): run polls every process of a tree. */
const nodeExecutableCache = new Map<string, boolean>();

/** Whether the running executable of `pid` is Node.js (undefined: it cannot be read). */
export async function isNodeExecutable(pid: number): Promise<boolean | undefined> {
  const path = `/proc/${pid}/exe`;
  let key: string;
  try {
    const info = await stat(path);
    key = `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}`;
  } catch {
    return undefined;
  }
  const cached = nodeExecutableCache.get(key);
  if (cached !== undefined) return cached;
  const found = (await findInElfSection(path, '.dynstr', NODE_START_SYMBOL).catch(() => undefined)) !== undefined;
  nodeExecutableCache.set(key, found);
  return found;
}

/** "v20.20.2" as the target's own files say it, or undefined when they do not. */
export async function nodeVersionOf(pid: number): Promise<string | undefined> {
  const fromExe = await versionInElf(`/proc/${pid}/exe`);
  if (fromExe !== undefined) return fromExe;
  // A launcher linked to libnode.so: the library it has mapped holds it.
  const maps = await readFile(`/proc/${pid}/maps`, 'utf8').catch(() => '');
  const library = maps
    .split('\n')
    .map((line) => line.slice(line.indexOf('/')))
    .find((path) => path.startsWith('/') && /^libnode\.so(\.\d+)*$/.test(basename(path)));
  return library === undefined ? undefined : versionInElf(library);
}

async function versionInElf(path: string): Promise<string | undefined> {
  const tail = await findInElfSection(path, '.rodata', VERSION_PREFIX, 32).catch(() => undefined);
  if (tail === undefined) return undefined;
  const match = /^(\d{1,4})\.(\d{1,4})\.(\d{1,4})(?:-[\w.]+)?\0/.exec(tail.toString('latin1'));
  return match ? `v${match[1]}.${match[2]}.${match[3]}` : undefined;
}

/**
 * Why leakscan cannot inject its agent into this Node version, or undefined
 * when it can. The agent reaches built-in modules with
 * process.getBuiltinModule, which came in 20.16 and 22.3 (and every later
 * line); older versions are refused before anything is sent to them.
 */
export function unsupportedNodeVersion(version: string): string | undefined {
  const match = /^v(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!match) return undefined;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  const supported = major > 22 || (major === 22 && minor >= 3) || (major === 20 && minor >= 16);
  if (supported) return undefined;
  return `Node ${version} lacks process.getBuiltinModule, which leakscan's agent needs (Node 20.16+, 22.3+ or later)`;
}
