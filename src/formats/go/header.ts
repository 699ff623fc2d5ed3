/**
 * The goroutine header line of a Go traceback, and the pprof labels and
 * Go-quoted strings inside it (also used by the debug=1 reader).
 */
import { decodeLatin1AsUtf8 } from './utf8.js';

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
  const labels: Record<string, string> = {};
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

/** Unquotes a Go double-quoted string literal (strconv.Quote's escapes). */
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
    switch (e) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x':
        out += String.fromCharCode(Number.parseInt(body.slice(i + 1, i + 3), 16));
        i += 2;
        break;
      case 'u':
        out += String.fromCodePoint(Number.parseInt(body.slice(i + 1, i + 5), 16));
        i += 4;
        break;
      case 'U':
        out += String.fromCodePoint(Number.parseInt(body.slice(i + 1, i + 9), 16));
        i += 8;
        break;
      case undefined:
        break;
      default:
        out += e;
    }
  }
  return out;
}
