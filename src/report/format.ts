/** Small text helpers shared by the terminal outputs. */
import { pluralWord } from '../util/plural.js';

export { pluralWord };

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** "3 goroutines", "1 goroutine", "1,200 sites": a count and its noun, which is singular for 1 only. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${pluralWord(n, one, many)}`;
}

export function formatTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

export function padStart(text: string, width: number): string {
  return text.length >= width ? text : ' '.repeat(width - text.length) + text;
}

export function padEnd(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/**
 * Target-supplied text can hold terminal escape sequences; a function name
 * must not be able to move the cursor or recolour the user's terminal.
 */
export function safeText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * Wraps plain text (no escape sequences) to `width` columns at spaces, each
 * line after the first indented like the first: for explanations on a
 * terminal. Without a width, or one too narrow to help, the text is one line.
 */
export function wrapText(text: string, indent: string, width: number | undefined): string {
  const room = width === undefined ? Infinity : width - indent.length;
  if (room < 30 || indent.length + text.length <= (width ?? Infinity)) return indent + text;
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines.map((l) => indent + l).join('\n');
}

/** The terminal's width when standard output is one (text is then wrapped to it); nothing when piped. */
export function terminalWidth(): { width?: number } {
  return process.stdout.isTTY && process.stdout.columns > 0 ? { width: process.stdout.columns } : {};
}
