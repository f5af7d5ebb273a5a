// Where a PostgreSQL message may start: for detection (the first bytes of a flow: a startup-phase
// message, or the well-known port) and for resync after garbage or a capture gap.
import type { Direction } from '../protocol.js';
import { checkHeader } from './messages.js';
import { plausibleParams, startupShape } from './startup.js';

export const POSTGRES_PORT = 5432;

export function detect(bytes: Buffer, portHint: number | null): boolean {
  if (portHint === POSTGRES_PORT) return true;
  if (bytes.length < 8) return false;
  const shape = startupShape(bytes);
  if (shape === 'ssl' || shape === 'gss') return bytes.length === 8;
  if (shape === 'cancel') return bytes.length === 16;
  if (shape !== 'startup') return false;
  return plausibleParams(bytes);
}

// A cycle starts with one of these (a resync inside a cycle would pair its tail with the
// wrong half); responses may also be picked up at a DataRow or CommandComplete of a cycle.
const REQUEST_STARTS = new Set(['Q', 'P', 'B', 'F']);
const RESPONSE_STARTS = new Set(['1', '2', 'T', 't', 'n', 'I', 'C', 'E', 'N', 'D', 'Z', 'R', 'G', 'H', 'W', 'S']);

/** The header at `at` validates, and so do the next ones as far as the buffer shows (up to 3). */
function chainValid(direction: Direction, buf: Buffer, at: number): boolean {
  let pos = at;
  for (let i = 0; i < 3; i++) {
    const h = checkHeader(direction, buf, pos);
    if (h.kind === 'invalid') return false;
    if (h.kind === 'more') return i > 0 || buf.length - pos >= 1; // shown as far as the bytes go
    pos += 1 + h.length;
    if (pos >= buf.length) return true;
  }
  return true;
}

export function findFrameBoundary(direction: Direction, buf: Buffer, from: number): number {
  const starts = direction === 'request' ? REQUEST_STARTS : RESPONSE_STARTS;
  for (let at = from; at < buf.length; at++) {
    if (!starts.has(String.fromCharCode(buf[at] as number))) continue;
    if (chainValid(direction, buf, at)) return at;
  }
  return -1;
}
