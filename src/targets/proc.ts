/**
 * What /proc says about a process: is it alive, what runtime is it (Go from
 * the build info in its executable, Node from its executable), and which TCP
 * ports does it listen on. Linux only; nothing here sends a signal.
 */
import { open, readFile, readdir, readlink } from 'node:fs/promises';
import { basename } from 'node:path';
import { TargetError } from '../util/errors.js';
import { isNodeExecutable } from './node/executable.js';
import { permissionAdvice } from './permission-advice.js';

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
    throw procError(pid, error, 'the command line');
  }
  let exe: string | undefined;
  try {
    exe = await readlink(`/proc/${pid}/exe`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && argv.length === 0) throw new TargetError(`pid ${pid} is a kernel thread, not a Go or Node process`);
    if (code !== 'ENOENT') throw procError(pid, error, 'the executable');
  }
  const runtime = await detectRuntime(pid, exe, argv);
  const info: ProcessInfo = { pid, argv, runtime };
  if (exe !== undefined) info.exe = exe;
  return info;
}

function procError(pid: number, error: unknown, what: string): TargetError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new TargetError(`permission denied reading ${what} of pid ${pid}: ${permissionAdvice('read')}`);
  }
  if (code === 'ENOENT' || code === 'ESRCH') return new TargetError(`pid ${pid} exited`);
  return new TargetError(`cannot read ${what} of pid ${pid}: ${(error as Error).message}`);
}

async function detectRuntime(pid: number, exe: string | undefined, argv: string[]): Promise<DetectedRuntime> {
  // /proc/<pid>/exe opens the running binary even if the file was replaced on disk.
  const goVersion = await readGoBuildVersion(`/proc/${pid}/exe`).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EACCES' || error.code === 'EPERM') throw procError(pid, error, 'the executable');
    return undefined;
  });
  if (goVersion !== undefined) return { kind: 'go', version: goVersion };
  // Node by what its executable holds, not by its name (see node/executable.ts).
  if (await isNodeExecutable(pid)) return { kind: 'node' };
  const name = basename(exe ?? argv[0] ?? '').replace(/ \(deleted\)$/, '');
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

export interface ElfSection {
  name: string;
  offset: number;
  size: number;
}

/** The sections of a 32- or 64-bit little-endian ELF file (none for anything else). */
export async function elfSections(file: Awaited<ReturnType<typeof open>>): Promise<ElfSection[]> {
  const ident = Buffer.alloc(64);
  const { bytesRead } = await file.read(ident, 0, 64, 0);
  if (bytesRead < 52 || ident.readUInt32BE(0) !== 0x7f454c46 /* \x7fELF */ || ident[5] !== 1 /* little-endian */) return [];
  const is64 = ident[4] === 2;
  const shoff = is64 ? Number(ident.readBigUInt64LE(0x28)) : ident.readUInt32LE(0x20);
  const shentsize = ident.readUInt16LE(is64 ? 0x3a : 0x2e);
  const shnum = ident.readUInt16LE(is64 ? 0x3c : 0x30);
  const shstrndx = ident.readUInt16LE(is64 ? 0x3e : 0x32);
  if (shoff === 0 || shnum === 0 || shnum > 4096 || shentsize < (is64 ? 64 : 40)) return [];
  const table = Buffer.alloc(shentsize * shnum);
  await file.read(table, 0, table.length, shoff);
  const sectionAt = (i: number) => {
    const base = i * shentsize;
    return is64
      ? { nameOffset: table.readUInt32LE(base), offset: Number(table.readBigUInt64LE(base + 0x18)), size: Number(table.readBigUInt64LE(base + 0x20)) }
      : { nameOffset: table.readUInt32LE(base), offset: table.readUInt32LE(base + 0x10), size: table.readUInt32LE(base + 0x14) };
  };
  if (shstrndx >= shnum) return [];
  const names = sectionAt(shstrndx);
  const nameTable = Buffer.alloc(Math.min(names.size, 1 << 20));
  await file.read(nameTable, 0, nameTable.length, names.offset);
  const sections: ElfSection[] = [];
  for (let i = 0; i < shnum; i++) {
    const section = sectionAt(i);
    const end = nameTable.indexOf(0, section.nameOffset);
    if (end > section.nameOffset) sections.push({ name: nameTable.toString('latin1', section.nameOffset, end), offset: section.offset, size: section.size });
  }
  return sections;
}

/** Finds a section by name in a 32- or 64-bit little-endian ELF file. */
async function findElfSection(file: Awaited<ReturnType<typeof open>>, name: string): Promise<ElfSection | undefined> {
  return (await elfSections(file)).find((section) => section.name === name);
}

/**
 * Whether `needle` occurs in a section of an ELF file, read in bounded chunks
 * (a Node executable's .rodata is tens of megabytes). Returns the bytes
 * following the first occurrence (up to `tail`), or undefined.
 */
export async function findInElfSection(path: string, sectionName: string, needle: Buffer, tail = 0): Promise<Buffer | undefined> {
  const file = await open(path, 'r');
  try {
    const section = await findElfSection(file, sectionName);
    if (section === undefined) return undefined;
    const chunkSize = 4 << 20;
    const overlap = needle.length + tail;
    const chunk = Buffer.alloc(chunkSize + overlap);
    for (let at = 0; at < section.size; at += chunkSize) {
      const length = Math.min(chunk.length, section.size - at);
      const { bytesRead } = await file.read(chunk, 0, length, section.offset + at);
      const found = chunk.subarray(0, bytesRead).indexOf(needle);
      if (found >= 0 && (found < chunkSize || at + chunkSize >= section.size)) {
        return Buffer.from(chunk.subarray(found + needle.length, Math.min(bytesRead, found + needle.length + tail)));
      }
      if (bytesRead < length) break;
    }
    return undefined;
  } finally {
    await file.close();
  }
}

/**
 * The start time of `pid` (field 22 of /proc/<pid>/stat, in clock ticks
 * since boot): with the pid, it names one process, whatever pid is reused
 * later. Undefined when the process is gone or a zombie.
 */
export async function processStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const state = processState(stat);
    if (state === 'Z' || state === 'X') return undefined;
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * When `pid` started, in milliseconds since the Unix epoch: the boot time
 * (btime of /proc/stat) plus its start time in clock ticks. Linux shows
 * ticks to user space at USER_HZ, 100 per second on every architecture it
 * supports. Undefined when either cannot be read.
 */
export async function processStartedAt(pid: number): Promise<number | undefined> {
  const ticks = Number(await processStartTime(pid));
  if (!Number.isFinite(ticks)) return undefined;
  try {
    const boot = Number(/^btime (\d+)$/m.exec(await readFile('/proc/stat', 'utf8'))?.[1]);
    return Number.isFinite(boot) ? boot * 1000 + ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` has a handler for signal number `signal` (SigCgt in
 * /proc/<pid>/status). A process that does not catch SIGUSR1 is killed by
 * it. Undefined when the status cannot be read.
 */
export async function catchesSignal(pid: number, signal: number): Promise<boolean | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1];
    if (mask === undefined) return undefined;
    return ((BigInt(`0x${mask}`) >> BigInt(signal - 1)) & 1n) === 1n;
  } catch {
    return undefined;
  }
}

export interface ListeningSocket {
  /** An address to connect to: loopback for a wildcard listener. */
  host: string;
  port: number;
  /** The address it is bound to, as the kernel has it: "0.0.0.0" or "[::]" for every interface. */
  bound: string;
  /** Reachable only from this machine (bound to a loopback address). */
  loopbackOnly: boolean;
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
    throw procError(pid, error, 'the open files');
  }
  const inodes = new Set<string>();
  await Promise.all(
    fds.map(async (fd) => {
      const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const match = /^socket:\[(\d+)\]$/.exec(link);
      if (match) inodes.add(match[1]!);
    }),
  );
  const sockets: ListeningSocket[] = [];
  const seen = new Set<string>();
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '');
    for (const entry of parseProcNetTcp(text, table === 'tcp6')) {
      if (entry.state !== LISTEN || !inodes.has(entry.inode)) continue;
      const key = `${entry.host}:${entry.port}`;
      if (!seen.has(key)) {
        seen.add(key);
        sockets.push({ host: entry.host, port: entry.port, bound: entry.bound, loopbackOnly: isLoopbackAddress(entry.bound) });
      }
    }
  }
  return sockets;
}

const LISTEN = '0A';

export interface ProcNetEntry {
  host: string;
  /** The bound address itself (a wildcard stays a wildcard). */
  bound: string;
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
    entries.push({
      host: hexToHost(addressHex, ipv6),
      bound: hexToHost(addressHex, ipv6, false),
      port: Number.parseInt(portHex, 16),
      state: fields[3]!,
      inode: fields[9]!,
    });
  }
  return entries;
}

/** 127.0.0.0/8, ::1 and "localhost": addresses no other machine can reach. */
export function isLoopbackAddress(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare) || /^::ffff:127\.\d+\.\d+\.\d+$/.test(bare);
}

function hexToHost(hex: string, ipv6: boolean, wildcardAsLoopback = true): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) => {
    const n = Number.parseInt(word, 16);
    return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
  });
  if (!ipv6) {
    const host = bytes.join('.');
    return host === '0.0.0.0' && wildcardAsLoopback ? '127.0.0.1' : host;
  }
  if (bytes.every((b) => b === 0)) return wildcardAsLoopback ? '[::1]' : '[::]';
  // IPv4-mapped (::ffff:a.b.c.d)
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    const v4 = bytes.slice(12).join('.');
    return v4 === '0.0.0.0' && wildcardAsLoopback ? '127.0.0.1' : v4;
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return `[${groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}]`;
}

/**
 * The processes listening on TCP `port` in the network namespace of `pid`
 * (pids and their command lines), for saying who holds a port leakscan
 * needs. Processes whose open files cannot be read are left out.
 */
export async function portHolders(port: number, pid: number): Promise<{ pid: number; command: string }[]> {
  const inodes = new Set<string>();
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '');
    for (const entry of parseProcNetTcp(text, table === 'tcp6')) if (entry.state === LISTEN && entry.port === port) inodes.add(entry.inode);
  }
  if (inodes.size === 0) return [];
  const holders: { pid: number; command: string }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fds = await readdir(`/proc/${entry}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const match = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${entry}/fd/${fd}`).catch(() => ''));
      if (match && inodes.has(match[1]!)) {
        const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean);
        holders.push({ pid: Number(entry), command: argv.join(' ').slice(0, 80) });
        break;
      }
    }
  }
  return holders;
}
