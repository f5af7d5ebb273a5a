// Where an HTTP/1 message may start: for detection (the first bytes of a flow) and for resync
// (after garbage or a capture gap). A candidate counts when its start line validates as far
// as the bytes go.
import { parseRequestLine, parseStatusLine } from './start-line.js';
import type { Direction } from '../protocol.js';

const METHODS = [
  'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH',
  'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'PURGE',
].map((m) => Buffer.from(`${m} `, 'latin1'));
const STATUS = Buffer.from('HTTP/1.', 'latin1');

function startsWithMethod(buf: Buffer, at: number): boolean {
  for (const m of METHODS) if (buf.length - at >= m.length && buf.compare(m, 0, m.length, at, at + m.length) === 0) return true;
  return false;
}

export function detect(bytes: Buffer, _portHint: number | null): boolean {
  if (startsWithMethod(bytes, 0)) return parseRequestLine(bytes, bytes.length).kind !== 'invalid';
  return bytes.length >= 8 && parseStatusLine(bytes, bytes.length).kind !== 'invalid';
}

const FIRST_BYTES = new Set(METHODS.map((m) => m[0] as number));

/** The first method start at or after `from`. One forward scan: an indexOf per method would
 * search to the end of the buffer for the absent ones at every rejected candidate (quadratic). */
function nextMethod(buf: Buffer, from: number): number {
  for (let at = from; at < buf.length; at++) {
    if (FIRST_BYTES.has(buf[at] as number) && startsWithMethod(buf, at)) return at;
  }
  return -1;
}

export function findFrameBoundary(direction: Direction, buf: Buffer, from: number): number {
  let pos = from;
  for (;;) {
    const at = direction === 'request' ? nextMethod(buf, pos) : buf.indexOf(STATUS, pos);
    if (at < 0) return -1;
    const view = buf.subarray(at);
    const line = direction === 'request' ? parseRequestLine(view, view.length) : parseStatusLine(view, view.length);
    if (line.kind !== 'invalid') return at;
    pos = at + 1;
  }
}
