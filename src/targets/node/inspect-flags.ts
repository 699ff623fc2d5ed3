/**
 * What a Node process's command line and NODE_OPTIONS say about its
 * inspector: already open (and where), the port SIGUSR1 would open it on,
 * and what forbids opening it.
 */
import type yargsParserType from 'yargs-parser';
import { lazyModule } from '../../util/lazy-module.js';

const yargsParser = lazyModule<typeof yargsParserType>('yargs-parser');

export interface InspectorFlags {
  /** --inspect / --inspect-brk / --inspect-wait given: the inspector was opened at start. */
  openedAtStart: boolean;
  host: string;
  /** The port the inspector uses (9229 unless --inspect=[host:]port or --inspect-port). 0 means a random port. */
  port: number;
  /** --disable-sigusr1: SIGUSR1 will not open the inspector. */
  sigusr1Disabled: boolean;
  /** --permission / --experimental-permission: the inspector is unavailable. */
  permissionModel: boolean;
}

const INSPECT_FLAGS = ['inspect', 'inspect-brk', 'inspect-wait'];

/** Node options come from argv (before the script) and NODE_OPTIONS. */
export function parseInspectorFlags(execArgv: string[], nodeOptions: string): InspectorFlags {
  const options = [...splitNodeOptions(nodeOptions), ...execArgv];
  const parsed = yargsParser()(options, {
    string: [...INSPECT_FLAGS, 'inspect-port', 'debug-port'],
    boolean: ['disable-sigusr1', 'permission', 'experimental-permission'],
    configuration: { 'camel-case-expansion': false, 'dot-notation': false, 'parse-numbers': false },
  });
  const flags: InspectorFlags = { openedAtStart: false, host: '127.0.0.1', port: 9229, sigusr1Disabled: false, permissionModel: false };
  const applyAddress = (value: string) => {
    if (value === '') return;
    const match = /^(?:\[?([^\]]*?)\]?:)?(\d+)$/.exec(value);
    if (match) {
      if (match[1]) flags.host = match[1];
      flags.port = Number(match[2]);
    } else {
      flags.host = value;
    }
  };
  for (const name of INSPECT_FLAGS) {
    const value = parsed[name] as string | string[] | undefined;
    if (value === undefined) continue;
    flags.openedAtStart = true;
    applyAddress(String(Array.isArray(value) ? value[value.length - 1] : value));
  }
  for (const name of ['inspect-port', 'debug-port']) {
    const value = parsed[name] as string | string[] | undefined;
    if (value !== undefined) applyAddress(String(Array.isArray(value) ? value[value.length - 1] : value));
  }
  flags.sigusr1Disabled = parsed['disable-sigusr1'] === true;
  flags.permissionModel = parsed.permission === true || parsed['experimental-permission'] === true;
  if (flags.host === 'localhost' || flags.host === '0.0.0.0') flags.host = '127.0.0.1';
  return flags;
}

/** NODE_OPTIONS is split on spaces, with double quotes grouping (as Node does). */
export function splitNodeOptions(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  let has = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && quoted && i + 1 < text.length) {
      current += text[++i];
    } else if (c === '"') {
      quoted = !quoted;
      has = true;
    } else if (c === ' ' && !quoted) {
      if (has || current) out.push(current);
      current = '';
      has = false;
    } else {
      current += c;
    }
  }
  if (has || current) out.push(current);
  return out;
}

/**
 * The node options part of a Node command line: everything before the script
 * (argv[0] is node itself). "node --inspect app.js --inspect" has one node flag.
 */
export function nodeExecArgv(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (!arg.startsWith('-')) break;
    out.push(arg);
    // Options that take a separate value.
    if (/^(--require|-r|--import|--loader|--experimental-loader|--eval|-e|--print|-p|--inspect-port|--debug-port|--title|--input-type|--conditions|-C)$/.test(arg) && i + 1 < argv.length) {
      out.push(argv[++i]!);
    }
    if (/^(-e|--eval|-p|--print)$/.test(arg)) break;
  }
  return out;
}
