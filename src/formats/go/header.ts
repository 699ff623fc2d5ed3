/**
 * The goroutine header line of a Go traceback, and the pprof labels and
 * Go-quoted strings inside it (also used by the debug=1 reader).
 */
import { decodeLatin1AsUtf8 } from './utf8.js';
import { emptyDictionary } from '../../model/dictionary.js';
import { InputError } from '../../util/errors.js';

/** What a goroutine header says. */
export interface GoroutineHeader {
  id: string;
  state: string;
  waitMinutes?: number;
  leaked?: true;
  lockedToThread?: true;
  labels?: Record<string, string>;
  /** The synctest bubble id ("synctest bubble N"; Go 1.24's "synctest group N"). */
  bubble?: string;
}

/**
 * Parses a goroutine header (runtime.goroutineheader):
 *   goroutine ID[ gp=0x.. m=N mp=0x..| m=nil] [STATUS[ (leaked)][ (scan)][ (durable)]
 *     [, N minutes][, locked to thread][, synctest bubble N]][ {k: v, ...}]:
 * (Go 1.24 says "synctest group N" for the bubble.)
 * Labels are printed with GODEBUG=tracebacklabels=1, in two shapes:
 *   Go 1.26: inside the brackets, always quoted: [select labels:{"k": "v"}]
 *   Go 1.27: after the brackets, quoted when needed: [select] {k: v}
 * Returns null for a line that only looks like a header.
 */
export function parseHeader(line: string): GoroutineHeader | null {
  let i = 'goroutine '.length;
  const idStart = i;
  while (i < line.length && line.charCodeAt(i) >= 0x30 && line.charCodeAt(i) <= 0x39) i++;
  if (i === idStart) return null;
  const id = line.slice(idStart, i);
  const open = line.indexOf(' [', i);
  if (open < 0) return null;

  let labels: Record<string, string> | undefined;
  let statusEnd: number;
  let close: number;
  const inner = line.indexOf(' labels:{', open);
  if (inner >= 0) {
    const block = parseLabelBlock(line, inner + ' labels:'.length);
    if (block === null || line[block.end + 1] !== ']') return null;
    labels = block.labels;
    statusEnd = inner;
    close = block.end + 1;
  } else {
    close = line.indexOf(']', open);
    if (close < 0) return null;
    statusEnd = close;
  }
  let tail = close + 1;
  if (line.startsWith(' {', tail)) {
    const block = parseLabelBlock(line, tail + 1);
    if (block === null) return null;
    labels = block.labels;
    tail = block.end + 1;
  }
  if (tail !== line.length - 1 || line[tail] !== ':') return null;

  const parts = line.slice(open + 2, statusEnd).split(', ');
  let state = parts[0]!;
  const g: GoroutineHeader = { id, state: '' };
  for (;;) {
    if (state.endsWith(' (leaked)')) {
      g.leaked = true;
      state = state.slice(0, -' (leaked)'.length);
    } else if (state.endsWith(' (scan)')) {
      state = state.slice(0, -' (scan)'.length);
    } else {
      break;
    }
  }
  g.state = state;
  for (let p = 1; p < parts.length; p++) {
    const part = parts[p]!;
    if (part.endsWith(' minutes')) {
      const minutes = Number.parseInt(part, 10);
      if (Number.isFinite(minutes)) g.waitMinutes = minutes;
    } else if (part === 'locked to thread') {
      g.lockedToThread = true;
    } else if (part.startsWith('synctest bubble ')) {
      g.bubble = part.slice('synctest bubble '.length);
    } else if (part.startsWith('synctest group ')) {
      g.bubble = part.slice('synctest group '.length); // Go 1.24's name for a bubble
    }
  }
  if (labels !== undefined) g.labels = labels;
  return g;
}

/**
 * Parses `{key: value, "quoted key": "quoted value"}` starting at the `{`.
 * An unquoted key or value holds only [A-Za-z0-9./_]
 * (runtime.tracebackStringNeedsQuoting); anything else is Go-quoted.
 * Returns the labels and the index of the closing `}`.
 */
export function parseLabelBlock(text: string, brace: number): { labels: Record<string, string>; end: number } | null {
  if (text[brace] !== '{') return null;
  // Keys are the target's: "__proto__" or "constructor" must be plain keys.
  const labels = emptyDictionary<string>();
  let i = brace + 1;
  const readToken = (): string | null => {
    if (text[i] === '"') {
      const end = findClosingQuote(text, i);
      if (end < 0) return null;
      const value = decodeLatin1AsUtf8(unquoteGo(text.slice(i, end + 1)));
      i = end + 1;
      return value;
    }
    const start = i;
    while (i < text.length && /[A-Za-z0-9./_]/.test(text[i]!)) i++;
    return i > start ? text.slice(start, i) : null;
  };
  if (text[i] === '}') return { labels, end: i };
  for (;;) {
    const key = readToken();
    if (key === null || !text.startsWith(': ', i)) return null;
    i += 2;
    const value = readToken();
    if (value === null) return null;
    labels[key] = value;
    if (text[i] === '}') return { labels, end: i };
    if (!text.startsWith(', ', i)) return null;
    i += 2;
  }
}

function findClosingQuote(text: string, open: number): number {
  for (let j = open + 1; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') j++;
    else if (c === '"') return j;
  }
  return -1;
}

/** The one-character escapes of strconv.Quote and Go string literals. */
const SIMPLE_ESCAPES = new Map([
  ['n', '\n'],
  ['t', '\t'],
  ['r', '\r'],
  ['a', '\x07'],
  ['b', '\b'],
  ['f', '\f'],
  ['v', '\v'],
  ['\\', '\\'],
  ['"', '"'],
  ["'", "'"],
]);
const HEX_DIGITS = { x: 2, u: 4, U: 8 } as const;

/**
 * Unquotes a Go double-quoted string literal as strconv.Unquote does, on
 * bytes: the input holds one byte per char (latin1, as dumps are read), and
 * so does the output, \u and \U runes written as their UTF-8 bytes; the
 * caller decodes the result as UTF-8 once (\xe2\x80\xa8 and \u2028 are then
 * the same). It refuses what strconv.Unquote refuses: the text is the target's, and a bad escape
 * (\q, \uZZZZ, a code point past U+10FFFF or a surrogate) is a damaged
 * dump, one InputError, never a guess or a RangeError.
 */
export function unquoteGo(quoted: string): string {
  const body = quoted.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    const simple = e === undefined ? undefined : SIMPLE_ESCAPES.get(e);
    if (simple !== undefined) {
      out += simple;
      continue;
    }
    if (e === 'x' || e === 'u' || e === 'U') {
      const digits = body.slice(i + 1, i + 1 + HEX_DIGITS[e]);
      const code = /^[0-9A-Fa-f]+$/.test(digits) && digits.length === HEX_DIGITS[e] ? Number.parseInt(digits, 16) : -1;
      // \x is a byte (a latin1 char here, decoded as UTF-8 later); \u and \U are runes.
      if (code < 0 || (e !== 'x' && (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)))) throw badEscape(`\\${e}${digits}`);
      out += e === 'x' ? String.fromCharCode(code) : Buffer.from(String.fromCodePoint(code), 'utf8').toString('latin1');
      i += digits.length;
      continue;
    }
    if (e !== undefined && e >= '0' && e <= '7') {
      const digits = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(digits) || Number.parseInt(digits, 8) > 0xff) throw badEscape(`\\${digits}`);
      out += String.fromCharCode(Number.parseInt(digits, 8));
      i += 2;
      continue;
    }
    throw badEscape(`\\${e ?? ''}`);
  }
  return out;
}

function badEscape(escape: string): InputError {
  return new InputError(`invalid escape ${escape} in a quoted label`);
}

/** unquoteGo for text already decoded from UTF-8 (a debug=1 profile): the result is text too. */
export function unquoteGoText(quoted: string): string {
  return decodeLatin1AsUtf8(unquoteGo(Buffer.from(quoted, 'utf8').toString('latin1')));
}
