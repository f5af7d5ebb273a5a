// Inline commands: a line of space-separated words, what a human types in telnet (redis-cli and
// client libraries always send arrays). Quoting follows the server's argument splitter: "..."
// with backslash escapes and '...'; a closing quote must be followed by a space or the end.
import { REDIS_LIMITS } from './types.js';

export type Inline =
  | { kind: 'command'; name: string; argc: number; consumed: number }
  | { kind: 'empty'; consumed: number }
  | { kind: 'more' }
  | { kind: 'invalid'; reason: string };

const NAME = /^[A-Za-z][A-Za-z0-9_|.:-]*$/;

/** Printable ASCII, tab and CR (before the LF): what a typed line is made of. */
function typed(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const b = buf[i] as number;
    if ((b < 0x20 && b !== 0x09 && b !== 0x0d) || b > 0x7e) return false;
  }
  return true;
}

/** Split like the server does; -1 when a quote is unbalanced. Only the first word is kept. */
function split(line: string): { first: string; count: number } | null {
  let count = 0;
  let first = '';
  let i = 0;
  while (i < line.length) {
    while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
    if (i >= line.length) break;
    const start = i;
    const q = line[i];
    if (q === '"' || q === "'") {
      i++;
      while (i < line.length && line[i] !== q) i += q === '"' && line[i] === '\\' ? 2 : 1;
      if (i >= line.length) return null;
      i++;
      if (i < line.length && line[i] !== ' ' && line[i] !== '\t') return null;
    } else {
      while (i < line.length && line[i] !== ' ' && line[i] !== '\t') i++;
    }
    if (count === 0) first = line.slice(start, i);
    count++;
  }
  return { first, count };
}

export function parseInline(buf: Buffer): Inline {
  const eol = buf.indexOf(0x0a);
  const end = eol < 0 ? buf.length : eol;
  if (end > REDIS_LIMITS.maxLineBytes) return { kind: 'invalid', reason: 'inline command too long' };
  if (!typed(buf, 0, end)) return { kind: 'invalid', reason: 'not a typed command line' };
  const b0 = buf[0] as number;
  const letter = ((b0 | 0x20) >= 0x61 && (b0 | 0x20) <= 0x7a) || b0 === 0x20 || b0 === 0x09 || b0 === 0x0d;
  if (!letter) return { kind: 'invalid', reason: 'an inline command starts with its name' };
  if (eol < 0) return { kind: 'more' };
  const line = buf.toString('latin1', 0, eol).replace(/\r$/, '');
  if (line.includes('\r')) return { kind: 'invalid', reason: 'CR inside an inline command' };
  const words = split(line);
  if (words === null) return { kind: 'invalid', reason: 'unbalanced quotes in inline command' };
  if (words.count === 0) return { kind: 'empty', consumed: eol + 1 };
  if (words.first.length > REDIS_LIMITS.maxCommandChars || !NAME.test(words.first)) {
    return { kind: 'invalid', reason: 'bad inline command name' };
  }
  return { kind: 'command', name: words.first.toUpperCase(), argc: words.count - 1, consumed: eol + 1 };
}

/** The second word of an inline line (a subcommand candidate), upper-case, or ''. */
export function inlineSub(buf: Buffer, consumed: number): string {
  const words = buf.toString('latin1', 0, consumed).trim().split(/[ \t]+/);
  const w = words[1] ?? '';
  return w.length <= REDIS_LIMITS.maxCommandChars && /^[A-Za-z][A-Za-z0-9_-]*$/.test(w) ? w.toUpperCase() : '';
}
