// The message head: start line, header fields, empty line. Bounded by HTTP1_LIMITS.maxHeadBytes.
import { addFieldLine } from './headers.js';
import { parseRequestLine, parseStatusLine } from './start-line.js';
import { HTTP1_LIMITS, type Http1Message } from './types.js';

export type HeadResult =
  | { kind: 'ok'; msg: Http1Message }
  | { kind: 'more'; scanFrom: number }
  | { kind: 'invalid'; reason: string };

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const TOO_BIG = { kind: 'invalid', reason: 'header block exceeds 64 KiB' } as const;

function newMessage(kind: 'request' | 'response', version: '1.0' | '1.1'): Http1Message {
  return {
    kind, version, method: '', target: '', statusCode: 0, reason: '', headers: {}, headBytes: 0,
    bodyBytes: 0, framing: 'none', interim: false, headComplete: true, switchTo: null,
  };
}

/** The start line as a message, or why not; `limit` = bytes available. */
function startLine(kind: 'request' | 'response', buf: Buffer, limit: number):
  { kind: 'ok'; msg: Http1Message; next: number } | { kind: 'more' } | { kind: 'invalid'; reason: string } {
  if (kind === 'request') {
    const r = parseRequestLine(buf, limit);
    if (r.kind !== 'ok') return r;
    const msg = newMessage(kind, r.version);
    msg.method = r.method;
    msg.target = r.target;
    return { kind: 'ok', msg, next: r.next };
  }
  const r = parseStatusLine(buf, limit);
  if (r.kind !== 'ok') return r;
  const msg = newMessage(kind, r.version);
  msg.statusCode = r.statusCode;
  msg.reason = r.reason;
  return { kind: 'ok', msg, next: r.next };
}

/** Header field lines in buf[from, to), each ending with CRLF at or before `to`. */
function fieldLines(buf: Buffer, from: number, to: number, msg: Http1Message): string | null {
  let pos = from;
  let count = 0;
  while (pos < to) {
    const eol = buf.indexOf(0x0d, pos);
    if (eol < 0 || eol >= to || buf[eol + 1] !== 0x0a) return 'bad line ending in header block';
    if (++count > HTTP1_LIMITS.maxHeaderFields) return 'too many header fields';
    // Obsolete line folding (leading SP/HT) continues the previous field: not kept.
    const first = buf[pos];
    if (first !== 0x20 && first !== 0x09 && !addFieldLine(buf, pos, eol, msg.headers, HTTP1_LIMITS.maxHeaderValueChars)) {
      return 'bad header field';
    }
    pos = eol + 2;
  }
  return null;
}

/** Parse a complete head from buf[0..]; scanFrom: where the search for its end may resume. */
export function parseHead(kind: 'request' | 'response', buf: Buffer, scanFrom: number): HeadResult {
  const line = startLine(kind, buf, buf.length);
  if (line.kind === 'invalid') return line;
  if (line.kind === 'more') return buf.length > HTTP1_LIMITS.maxHeadBytes ? TOO_BIG : { kind: 'more', scanFrom: 0 };
  const end = buf.indexOf(CRLFCRLF, Math.max(scanFrom, line.next - 2));
  if (end < 0) {
    if (buf.length > HTTP1_LIMITS.maxHeadBytes) return TOO_BIG;
    return { kind: 'more', scanFrom: Math.max(0, buf.length - 3) };
  }
  if (end + 4 > HTTP1_LIMITS.maxHeadBytes) return TOO_BIG;
  const msg = line.msg;
  const bad = fieldLines(buf, line.next, end + 2, msg);
  if (bad !== null) return { kind: 'invalid', reason: bad };
  msg.headBytes = end + 4;
  return { kind: 'ok', msg };
}

/** What a head cut short still tells: the start line and the complete field lines, or null. */
export function parsePartialHead(kind: 'request' | 'response', buf: Buffer): Http1Message | null {
  const line = startLine(kind, buf, Math.min(buf.length, HTTP1_LIMITS.maxHeadBytes));
  if (line.kind !== 'ok') return null;
  const msg = line.msg;
  const lastEol = buf.lastIndexOf('\r\n', Math.min(buf.length, HTTP1_LIMITS.maxHeadBytes) - 2, 'latin1');
  if (lastEol >= line.next) fieldLines(buf, line.next, lastEol + 2, msg);
  msg.headComplete = false;
  msg.framing = 'unknown';
  msg.headBytes = buf.length;
  return msg;
}
