// The startup phase: untyped client messages (int32 length + int32 code) and the server's
// one-byte answer to SSLRequest / GSSENCRequest.
import type { ParseResult } from '../protocol.js';
import { STARTUP_CODES, isStartupVersion, readCString } from './messages.js';
import { PG_LIMITS, newFrame, type PgFrame, type PgState } from './types.js';

const NEEDS_MORE = { kind: 'needs-more-data', absorbed: 0 } as const;

/** Startup parameters worth keeping (never a password: there is none in a StartupMessage). */
const KEPT_PARAMS = new Set(['user', 'database', 'application_name', 'replication']);

/** The shape of an untyped startup-phase message at the front of `buf` (for detect as well). */
export function startupShape(buf: Buffer): 'startup' | 'ssl' | 'gss' | 'cancel' | 'more' | null {
  if (buf.length < 8) return buf.length > 0 && buf[0] !== 0 ? null : 'more';
  const length = buf.readUInt32BE(0);
  const code = buf.readUInt32BE(4);
  if (length === 8 && code === STARTUP_CODES.ssl) return 'ssl';
  if (length === 8 && code === STARTUP_CODES.gss) return 'gss';
  if (length === 16 && code === STARTUP_CODES.cancel) return 'cancel';
  if (isStartupVersion(code) && length > 8 && length <= PG_LIMITS.maxStartupBytes) return 'startup';
  return null;
}

/** The parameters of a StartupMessage as far as `buf` goes: non-empty ASCII names, values,
 * the empty name only last. Tells a real startup from other length-prefixed protocols (a
 * Kafka Metadata request has the same first 8-byte shape). */
export function plausibleParams(buf: Buffer): boolean {
  const length = buf.readUInt32BE(0);
  const end = Math.min(length, buf.length);
  let pos = 8;
  let isName = true;
  while (pos < end) {
    const nul = buf.indexOf(0, pos);
    const stop = nul < 0 || nul >= end ? end : nul;
    if (isName) {
      if (stop === pos) return nul === length - 1; // the terminator, and only at the very end
      for (let i = pos; i < stop; i++) if ((buf[i] as number) < 0x21 || (buf[i] as number) > 0x7e) return false;
    }
    if (stop === end) return true; // cut inside the string: fine so far
    pos = stop + 1;
    isName = !isName;
  }
  return pos < length; // ended without the terminator: not a StartupMessage
}

/** StartupMessage body: name/value pairs ending with an empty name. */
function readParams(buf: Buffer, end: number): Record<string, string> | null {
  const params: Record<string, string> = {};
  let pos = 8;
  for (let n = 0; n < 64; n++) {
    if (pos === end - 1 && buf[pos] === 0) return params;
    const name = readCString(buf, pos, end);
    if (name === null || name.text === '') return null;
    const value = readCString(buf, name.next, end);
    if (value === null) return null;
    if (KEPT_PARAMS.has(name.text)) params[name.text] = value.text.slice(0, 256);
    pos = value.next;
  }
  return null;
}

/** An untyped client message (byte 0 is 0: no typed message starts so). */
export function parseStartup(buf: Buffer, state: PgState): ParseResult<PgFrame> {
  const shape = startupShape(buf);
  if (shape === 'more') return NEEDS_MORE;
  if (shape === null) return { kind: 'invalid', reason: 'not a startup-phase message' };
  if (shape === 'ssl' || shape === 'gss') {
    // Nobody needs the negotiation itself; the server's answer decides what follows.
    state.answer = shape;
    return { kind: 'ignored', consumed: 8 };
  }
  const length = buf.readUInt32BE(0);
  if (buf.length < length) return NEEDS_MORE;
  if (shape === 'cancel') {
    state.startupDone = true;
    const frame = newFrame('cancel');
    frame.messages = 1;
    frame.params = { pid: String(buf.readUInt32BE(8)) }; // the secret key is not kept
    return { kind: 'success', frame, consumed: length };
  }
  const params = readParams(buf, length);
  if (params === null) return { kind: 'invalid', reason: 'malformed StartupMessage' };
  state.startupDone = true;
  state.startupPending = true;
  state.outstanding++;
  const frame = newFrame('startup');
  frame.messages = 1;
  frame.params = params;
  return { kind: 'success', frame, consumed: length };
}

/** The server's answer to SSLRequest ('S'/'N') or GSSENCRequest ('G'/'N'). */
export function parseAnswer(buf: Buffer, state: PgState): ParseResult<PgFrame> | null {
  if (buf.length === 0) return NEEDS_MORE;
  const b = buf[0] as number;
  const accepted = state.answer === 'ssl' ? 0x53 : 0x47;
  if (b === 0x4e) { state.answer = null; return { kind: 'ignored', consumed: 1 }; } // 'N': in clear
  // 'S'/'G': the byte is still ours; everything after it is TLS/GSS (end-of-stream from then on).
  if (b === accepted) { state.switched = state.answer; state.answer = null; return { kind: 'ignored', consumed: 1 }; }
  // A server that does not know the request answers with an ErrorResponse: parse it normally.
  if (b === 0x45) { state.answer = null; return null; }
  return { kind: 'invalid', reason: 'bad answer to SSLRequest/GSSENCRequest' };
}
