// Where a Redis frame may start: for detection (the first bytes of a flow) and for resync.
// A command array has a tell-tale start (`*<n>\r\n$<len>\r\n<letter>`); replies do not, so a
// reply boundary is any line start whose line validates as a RESP header. A resync inside a
// bulk payload that looks like RESP is possible: such frames are marked afterResync.
import type { Direction } from '../protocol.js';
import { parseInline } from './inline.js';

const COMMAND_START = /^\*[1-9][0-9]{0,7}\r\n\$[1-9][0-9]{0,3}\r\n[A-Za-z]/;
const COMMAND_PREFIXES = ['*', '*1', '*1\r', '*1\r\n', '*1\r\n$', '*1\r\n$1', '*1\r\n$1\r', '*1\r\n$1\r\n'];
const REPLY_LINE = /^(?:[+][^\r\n]*|-[A-Z][^\r\n]*|:[-+]?[0-9]{1,19}|[$*](?:-1|0|[1-9][0-9]{0,9})|[!=~%>|][0-9]{1,10}|,[-+.0-9a-z]+|#[tf]|_|\([-+]?[0-9]+)\r\n/;
/** Well-known Redis ports: only there are inline commands and server-first bytes trusted. */
const REDIS_PORTS = new Set([6379, 6380, 26379]);

/** Could these bytes (maybe cut short) be the start of a command array? */
function commandStart(text: string): boolean {
  if (COMMAND_START.test(text)) return true;
  if (text.length >= 9) return false;
  // Cut short: every digit shape of a short prefix, checked loosely.
  const loose = text.replace(/[0-9]+/g, '1');
  return COMMAND_PREFIXES.includes(loose) && !/\*0|\$0/.test(text);
}

export function detect(bytes: Buffer, portHint: number | null): boolean {
  const text = bytes.toString('latin1', 0, Math.min(bytes.length, 32));
  if (text.length === 0) return false;
  if (commandStart(text)) return true;
  if (portHint === null || !REDIS_PORTS.has(portHint)) return false;
  // On a Redis port: an inline command, or the server's side first (picked up mid-stream).
  if (REPLY_LINE.test(text)) return true;
  const line = parseInline(bytes);
  return line.kind === 'command' || line.kind === 'more';
}

export function findFrameBoundary(direction: Direction, buf: Buffer, from: number): number {
  // A frame starts at a line start: the buffer's first byte only before any search began.
  let at = 0;
  if (from > 0) {
    const nl = buf.indexOf(0x0a, from - 1);
    if (nl < 0) return -1;
    at = nl + 1;
  }
  for (;;) {
    if (at >= buf.length) return -1;
    const text = buf.toString('latin1', at, Math.min(buf.length, at + 32));
    if (direction === 'request' ? commandStart(text) : REPLY_LINE.test(text) || startOfReply(text)) return at;
    const nl = buf.indexOf(0x0a, at);
    if (nl < 0) return -1;
    at = nl + 1;
  }
}

/** A reply line cut short by the end of the buffer: wait for more rather than skip it. */
function startOfReply(text: string): boolean {
  return !text.includes('\n') && /^(?:[+][^\r]*|-[A-Z][^\r]*|[:$*!=~%>|(][-0-9]*|,[-+.0-9a-z]*|#[tf]?|_)\r?$/.test(text);
}
