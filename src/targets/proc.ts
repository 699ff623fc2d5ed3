/**
 * What /proc says about a process: is it alive, what runtime is it (Go from
 * the build info in its executable, Node from its executable), and which TCP
 * ports does it listen on. Linux only; nothing here sends a signal.
 */
import { open, readFile, readdir, readlink } from 'node:fs/promises';
import { basename } from 'node:path';
import { TargetError } from '../util/errors.js';

export type DetectedRuntime = { kind: 'go'; version: string } | { kind: 'node' } | { kind: 'unknown'; description: string };

export interface ProcessInfo {
  pid: number;
  /** argv, as /proc/<pid>/cmdline has it. */
  argv: string[];
  /** Resolved path of the executable, when readable. */
  exe?: string;
  runtime: DetectedRuntime;
}

/** Whether `pid` is a live process (a zombie, exited but not yet reaped, is not). */
export async function processExists(pid: number): Promise<boolean> {
  try {
    const state = processState(await readFile(`/proc/${pid}/stat`, 'utf8'));
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The state letter of /proc/<pid>/stat: "pid (comm) S ...", where comm may hold ") ". */
function processState(stat: string): string {
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/** Parent pid of every process, from /proc/<pid>/stat. */
async function parentPids(): Promise<Map<number, number>> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.length > 1) parents.set(Number(entry), Number(fields[1]));
  }
  return parents;
}

/** `pid` and all its descendants: a program started through `go run` or a shell is a grandchild. */
export async function processTree(pid: number): Promise<number[]> {
  const parents = await parentPids();
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parents) if (parent === tree[i] && !tree.includes(child)) tree.push(child);
  }
  return tree;
}

/** Reads what leakscan needs to know about `pid`; TargetError when it is gone or unreadable. */
export async function inspectProcess(pid: number): Promise<ProcessInfo> {
  if (!(await processExists(pid))) throw new TargetError(`no process with pid ${pid}`);
  let argv: string[];
  try {
    argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter((a) => a !== '');
  } catch (error) {
    throw procError(pid, error, 'its command line');
  }
  let exe: string | undefined;
  try {
    exe = await readlink(`/proc/${pid}/exe`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && argv.length === 0) throw new TargetError(`pid ${pid} is a kernel thread, not a Go or Node process`);
    if (code !== 'ENOENT') throw procError(pid, error, 'its executable');
  }
  const runtime = await detectRuntime(pid, exe, argv);
  const info: ProcessInfo = { pid, argv, runtime };
  if (exe !== undefined) info.exe = exe;
  return info;
}

function procError(pid: number, error: unknown, what: string): TargetError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new TargetError(`permission denied reading ${what} of pid ${pid}: run leakscan as the same user as the target, or as root`);
  }
  if (code === 'ENOENT' || code === 'ESRCH') return new TargetError(`pid ${pid} exited`);
  return new TargetError(`cannot read ${what} of pid ${pid}: ${(error as Error).message}`);
}

async function detectRuntime(pid: number, exe: string | undefined, argv: string[]): Promise<DetectedRuntime> {
  // /proc/<pid>/exe opens the running binary even if the file was replaced on disk.
  const goVersion = await readGoBuildVersion(`/proc/${pid}/exe`).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EACCES' || error.code === 'EPERM') throw procError(pid, error, 'its executable');
    return undefined;
  });
  if (goVersion !== undefined) return { kind: 'go', version: goVersion };
  const name = basename(exe ?? argv[0] ?? '').replace(/ \(deleted\)$/, '');
  if (/^(node|nodejs)(\d+(\.\d+)*)?$/.test(name)) return { kind: 'node' };
  return { kind: 'unknown', description: name || 'an unnamed process' };
}

/**
 * The Go version recorded in an executable's build info (the ".go.buildinfo"
 * ELF section: the magic "\xff Go buildinf:", then since Go 1.18 the version
 * as a varint-prefixed string at offset 32). Undefined for a non-Go file.
 */
export async function readGoBuildVersion(path: string): Promise<string | undefined> {
  const file = await open(path, 'r');
  try {
    const section = await findElfSection(file, '.go.buildinfo');
    if (section === undefined) return undefined;
    const header = Buffer.alloc(Math.min(section.size, 32 + 10 + 64));
    await file.read(header, 0, header.length, section.offset);
    if (header.toString('latin1', 0, 14) !== '\xff Go buildinf:') return undefined;
    const flags = header[15]!;
    if ((flags & 0x2) === 0) return 'go (before 1.18)';
    let length = 0;
    let shift = 0;
    let at = 32;
    for (; at < header.length; at++) {
      const byte = header[at]!;
      length |= (byte & 0x7f) << shift;
      shift += 7;
      if ((byte & 0x80) === 0) break;
    }
    const version = header.toString('utf8', at + 1, Math.min(header.length, at + 1 + length));
    return /^go\d/.test(version) ? version : 'go';
  } finally {
    await file.close();
  }
}

interface Section {
  offset: number;
  size: number;
}

/** Finds a section by name in a 32- or 64-bit little-endian ELF file. */
async function findElfSection(file: Awaited<ReturnType<typeof open>>, name: string): Promise<Section | undefined> {
  const ident = Buffer.alloc(64);
  const { bytesRead } = await file.read(ident, 0, 64, 0);
  if (bytesRead < 52 || ident.readUInt32BE(0) !== 0x7f454c46 /* \x7fELF */ || ident[5] !== 1 /* little-endian */) return undefined;
  const is64 = ident[4] === 2;
  const shoff = is64 ? Number(ident.readBigUInt64LE(0x28)) : ident.readUInt32LE(0x20);
  const shentsize = ident.readUInt16LE(is64 ? 0x3a : 0x2e);
  const shnum = ident.readUInt16LE(is64 ? 0x3c : 0x30);
  const shstrndx = ident.readUInt16LE(is64 ? 0x3e : 0x32);
  if (shoff === 0 || shnum === 0 || shnum > 4096 || shentsize < (is64 ? 64 : 40)) return undefined;
  const table = Buffer.alloc(shentsize * shnum);
  await file.read(table, 0, table.length, shoff);
  const sectionAt = (i: number): Section & { nameOffset: number } => {
    const base = i * shentsize;
    return is64
      ? { nameOffset: table.readUInt32LE(base), offset: Number(table.readBigUInt64LE(base + 0x18)), size: Number(table.readBigUInt64LE(base + 0x20)) }
      : { nameOffset: table.readUInt32LE(base), offset: table.readUInt32LE(base + 0x10), size: table.readUInt32LE(base + 0x14) };
  };
  if (shstrndx >= shnum) return undefined;
  const names = sectionAt(shstrndx);
  const nameTable = Buffer.alloc(Math.min(names.size, 1 << 20));
  await file.read(nameTable, 0, nameTable.length, names.offset);
  for (let i = 0; i < shnum; i++) {
    const section = sectionAt(i);
    const end = nameTable.indexOf(0, section.nameOffset);
    if (end > section.nameOffset && nameTable.toString('latin1', section.nameOffset, end) === name) {
      return { offset: section.offset, size: section.size };
    }
  }
  return undefined;
}

export interface ListeningSocket {
  /** An address to connect to: loopback for a wildcard listener. */
  host: string;
  port: number;
}

/**
 * TCP ports `pid` listens on: its socket inodes (/proc/<pid>/fd) matched
 * against /proc/<pid>/net/tcp and tcp6, which show the target's own network
 * namespace.
 */
export async function listeningSockets(pid: number): Promise<ListeningSocket[]> {
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch (error) {
    throw procError(pid, error, 'its open files');
  }
  const inodes = new Set<string>();
  await Promise.all(fds.map(async (fd) => {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const match = /^socket:\[(\d+)\]$/.exec(link);
    if (match) inodes.add(match[1]!);
  }));
  const sockets: ListeningSocket[] = [];
  const seen = new Set<string>();
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '');
    for (const entry of parseProcNetTcp(text, table === 'tcp6')) {
      if (entry.state !== LISTEN || !inodes.has(entry.inode)) continue;
      const key = `${entry.host}:${entry.port}`;
      if (!seen.has(key)) {
        seen.add(key);
        sockets.push({ host: entry.host, port: entry.port });
      }
    }
  }
  return sockets;
}

const LISTEN = '0A';

export interface ProcNetEntry {
  host: string;
  port: number;
  state: string;
  inode: string;
}

/**
 * Parses /proc/net/tcp or tcp6: "sl local_address rem_address st ... inode".
 * Addresses are hex in host byte order per 32-bit word. Wildcard listeners
 * are given as loopback, where leakscan can reach them.
 */
export function parseProcNetTcp(text: string, ipv6: boolean): ProcNetEntry[] {
  const entries: ProcNetEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const [addressHex, portHex] = fields[1]!.split(':');
    if (addressHex === undefined || portHex === undefined) continue;
    entries.push({ host: hexToHost(addressHex, ipv6), port: Number.parseInt(portHex, 16), state: fields[3]!, inode: fields[9]! });
  }
  return entries;
}

function hexToHost(hex: string, ipv6: boolean): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) => {
    const n = Number.parseInt(word, 16);
    return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
  });
  if (!ipv6) {
    const host = bytes.join('.');
    return host === '0.0.0.0' ? '127.0.0.1' : host;
  }
  if (bytes.every((b) => b === 0)) return '[::1]';
  // IPv4-mapped (::ffff:a.b.c.d)
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    const v4 = bytes.slice(12).join('.');
    return v4 === '0.0.0.0' ? '127.0.0.1' : v4;
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return `[${groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}]`;
}
