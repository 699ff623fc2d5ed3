/**
 * What a Node process's command line and NODE_OPTIONS say about its
 * inspector: already open (and where), the port SIGUSR1 would open it on,
 * and what forbids opening it.
 */
import { basename } from 'node:path';
import type yargsParserType from 'yargs-parser';
import { lazyModule } from '../../util/lazy-module.js';

const yargsParser = lazyModule<typeof yargsParserType>('yargs-parser');

export interface InspectorFlags {
  /** --inspect / --inspect-brk / --inspect-wait given: the inspector was opened at start. */
  openedAtStart: boolean;
  /** The address the inspector binds to, as given ("127.0.0.1" unless a flag says otherwise; may be "0.0.0.0"). */
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
  flags.host = flags.host.toLowerCase();
  return flags;
}

/** Where to connect to reach an inspector bound to `host`: loopback for a wildcard. */
export function connectHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === 'localhost') return '127.0.0.1';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
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
 * Node options that take a value, which may be given as the next argument
 * (`--unhandled-rejections strict`, `--env-file .env`): that argument is not
 * the script.
 */
const SEPARATE_VALUE_OPTIONS = new Set([
  '--require',
  '-r',
  '--import',
  '--loader',
  '--experimental-loader',
  '--eval',
  '-e',
  '--print',
  '-p',
  '--inspect-port',
  '--debug-port',
  '--title',
  '--input-type',
  '--conditions',
  '-C',
  '--unhandled-rejections',
  '--env-file',
  '--env-file-if-exists',
  '--icu-data-dir',
  '--openssl-config',
  '--redirect-warnings',
  '--tls-cipher-list',
  '--tls-keylog',
  '--secure-heap',
  '--secure-heap-min',
  '--heapsnapshot-signal',
  '--heapsnapshot-near-heap-limit',
  '--diagnostic-dir',
  '--report-dir',
  '--report-directory',
  '--report-filename',
  '--report-signal',
  '--dns-result-order',
  '--trace-event-categories',
  '--trace-event-file-pattern',
  '--max-http-header-size',
  '--disable-warning',
  '--experimental-default-type',
  '--watch-path',
  '--test-reporter',
  '--test-reporter-destination',
  '--test-name-pattern',
  '--test-skip-pattern',
  '--test-concurrency',
  '--test-shard',
  '--cpu-prof-dir',
  '--cpu-prof-name',
  '--cpu-prof-interval',
  '--heap-prof-dir',
  '--heap-prof-name',
  '--heap-prof-interval',
  '--stack-size',
  '--max-old-space-size',
  '--max-semi-space-size',
  '--experimental-config-file',
  '--localstorage-file',
  '--use-largepages',
  '--snapshot-blob',
  '--build-snapshot-config',
  '--run',
  '--experimental-sea-config',
  '--allow-fs-read',
  '--allow-fs-write',
  '--experimental-policy',
  '--policy-integrity',
  '--trace-require-module',
]);

/** Flags that change what leakscan may do to the inspector: reading them wrong is not an option. */
const INSPECTOR_RELATED = /^--(inspect|inspect-brk|inspect-wait|inspect-port|debug-port|disable-sigusr1|permission|experimental-permission)(=|$)/;

/** The node options part of a command line, and whether it could be read without guessing. */
export interface NodeCommandLine {
  execArgv: string[];
  /** Why the command line cannot be trusted to tell the inspector flags, when it cannot. */
  unreadable?: string;
}

/**
 * The node options part of a Node command line: everything before the script
 * (argv[0] is node itself). "node --inspect app.js --inspect" has one node flag.
 *
 * It cannot be read when the program rewrote it (process.title replaces
 * /proc/<pid>/cmdline with the title), or when an option leakscan does not
 * know is followed by a word that could be its value or the script, and an
 * inspector flag comes after that word: whether that flag is Node's or the
 * program's own argument then depends on the option, and leakscan does not
 * guess.
 */
export function readNodeCommandLine(argv: string[], executable: string | undefined): NodeCommandLine {
  const name = basename(argv[0] ?? '');
  const exeName = executable === undefined ? undefined : basename(executable.replace(/ \(deleted\)$/, ''));
  if (argv.length === 0 || (!/^(node|nodejs)(\d+(\.\d+)*)?$/.test(name) && name !== exeName)) {
    return {
      execArgv: [],
      unreadable: `its command line (${JSON.stringify(truncate(argv.join(' ')))}) does not start with the node executable: it was rewritten (process.title?)`,
    };
  }
  if (argv.length === 1) {
    return { execArgv: [], unreadable: 'its command line names no script: it may have been rewritten (process.title = "node")' };
  }
  const out: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (!arg.startsWith('-')) break;
    out.push(arg);
    if (SEPARATE_VALUE_OPTIONS.has(arg) && i + 1 < argv.length) {
      out.push(argv[++i]!);
    } else if (!arg.includes('=') && i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) {
      // Either a boolean flag and then the script, or an option and its value.
      const later = argv.slice(i + 2).find((a) => INSPECTOR_RELATED.test(a));
      if (later !== undefined) {
        return {
          execArgv: out,
          unreadable: `its command line cannot be read without guessing: ${JSON.stringify(arg)} may take ${JSON.stringify(truncate(argv[i + 1]!))} as its value, and whether ${JSON.stringify(truncate(later))} is a Node option depends on it`,
        };
      }
    }
    if (/^(-e|--eval|-p|--print)$/.test(arg)) break;
  }
  return { execArgv: out };
}

/** The node options of a command line, read as if it were unambiguous (see readNodeCommandLine). */
export function nodeExecArgv(argv: string[]): string[] {
  return readNodeCommandLine(argv, argv[0]).execArgv;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
