/**
 * Byte matchers for the two lines of a frame the parser expects to see:
 * does the line at `start` read as this known function, or this known
 * location? Each compares the known bytes, then scans the rest of the line
 * for its end, so a hit touches every byte once and creates nothing. Known
 * bytes are compared a word at a time (word-compare.ts).
 *
 * They must decide exactly as the full parse in traceback.ts would on the
 * same line, and answer -1 (let the full parse decide) whenever the line
 * differs or does not end inside `buf`.
 */

import { PackedKey, holdsKey, indexOfEither } from './word-compare.js';
import type { WordView } from './word-compare.js';

const NEWLINE = 0x0a;
const TAB = 0x09;
const CR = 0x0d;
const OPEN_PAREN = 0x28;
const CLOSE_PAREN = 0x29;
const COLON = 0x3a;

export const CREATED_BY = 'created by ';
export const IN_GOROUTINE = ' in goroutine ';
const CREATED_BY_KEY = new PackedKey(Buffer.from(CREATED_BY, 'latin1'));
const IN_GOROUTINE_KEY = new PackedKey(Buffer.from(IN_GOROUTINE, 'latin1'));

/**
 * If buf[start..] is the function line `name(args)` of this function
 * (name as the full parse reads it: everything before the line's last
 * opening parenthesis), the index of the newline that ends it; else -1.
 */
export function matchFunctionLine(name: PackedKey, view: WordView, start: number, maxLineBytes: number): number {
  const buf = view.buf;
  const open = start + name.length;
  if (open >= buf.length || buf[open] !== OPEN_PAREN || !holdsKey(view, start, name)) return -1;
  // The arguments: no other opening parenthesis, or the name would be longer.
  const nl = indexOfEither(view, open + 1, NEWLINE, OPEN_PAREN);
  if (nl === buf.length || buf[nl] !== NEWLINE || nl - start > maxLineBytes) return -1;
  const end = buf[nl - 1] === CR ? nl - 1 : nl;
  return buf[end - 1] === CLOSE_PAREN ? nl : -1;
}

/**
 * If buf[start..] is `created by NAME in goroutine N` for this function
 * name (Go 1.21 and later; older dumps print no creator id and are left to
 * the full parse), the index of the newline that ends it; else -1.
 */
export function matchCreatedByLine(name: PackedKey, view: WordView, start: number, maxLineBytes: number): number {
  const buf = view.buf;
  const nameStart = start + CREATED_BY.length;
  const idStart = nameStart + name.length + IN_GOROUTINE.length;
  if (idStart >= buf.length || !holdsKey(view, start, CREATED_BY_KEY) || !holdsKey(view, nameStart, name)) return -1;
  if (!holdsKey(view, nameStart + name.length, IN_GOROUTINE_KEY)) return -1;
  let idEnd = idStart;
  while (idEnd < buf.length && buf[idEnd]! >= 0x30 && buf[idEnd]! <= 0x39) idEnd++;
  if (idEnd === idStart) return -1;
  // The id ends the line: the full parse finds it by reading digits back from the end.
  const nl = buf[idEnd] === CR ? idEnd + 1 : idEnd;
  if (nl >= buf.length || buf[nl] !== NEWLINE || nl - start > maxLineBytes) return -1;
  return nl;
}

/**
 * If buf[start..] is the location line `\tfile:line[ +0x1d ...]` of this
 * location ("file:line", as the full parse reads it: up to the digits after
 * the line's last colon), the index of the newline that ends it; else -1.
 */
export function matchLocationLine(location: PackedKey, view: WordView, start: number, maxLineBytes: number): number {
  const buf = view.buf;
  const after = start + 1 + location.length;
  if (after >= buf.length || buf[start] !== TAB || !holdsKey(view, start + 1, location)) return -1;
  // More digits would make another line number; another colon, another file.
  const next = buf[after]!;
  if (next >= 0x30 && next <= 0x39) return -1;
  let nl = after;
  for (; nl < buf.length; nl++) {
    const byte = buf[nl];
    if (byte === NEWLINE) break;
    if (byte === COLON) return -1;
  }
  if (nl === buf.length || nl - start > maxLineBytes) return -1;
  return nl;
}
