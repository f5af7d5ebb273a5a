// Message-level facts of protocol v3: which type bytes each side sends, the length each type may
// have (so garbage and absurd lengths are rejected from the 5-byte header alone), and readers
// for the few bodies the decoder looks into.
import type { Direction } from '../protocol.js';
import { PG_LIMITS } from './types.js';

const GIB = PG_LIMITS.maxMessageBytes;
const KIB64 = 64 * 1024;
const MIB = 1024 * 1024;

/** [min, max] of the length field (which counts itself, not the type byte). */
type Bounds = readonly [number, number];

const FIXED: Bounds = [4, 4];

// Frontend (client → server) messages after the startup phase.
const REQUEST: Record<string, Bounds> = {
  Q: [5, GIB], // Query
  P: [8, GIB], // Parse: name, text, int16 count, oids
  B: [12, GIB], // Bind
  E: [9, 1024], // Execute: portal, int32 max rows
  D: [6, 1024], // Describe
  C: [6, 1024], // Close
  S: FIXED, // Sync
  H: FIXED, // Flush
  X: FIXED, // Terminate
  F: [12, GIB], // FunctionCall
  p: [4, MIB], // PasswordMessage / SASL / GSS response
  d: [4, GIB], // CopyData
  c: FIXED, // CopyDone
  f: [5, KIB64], // CopyFail
};

// Backend (server → client) messages.
const RESPONSE: Record<string, Bounds> = {
  R: [8, KIB64], // Authentication*
  K: [12, 264], // BackendKeyData (longer keys in protocol 3.2)
  S: [6, KIB64], // ParameterStatus
  Z: [5, 5], // ReadyForQuery
  T: [6, MIB], // RowDescription
  D: [6, GIB], // DataRow
  C: [5, KIB64], // CommandComplete
  E: [5, MIB], // ErrorResponse
  N: [5, MIB], // NoticeResponse
  A: [10, KIB64], // NotificationResponse
  '1': FIXED, // ParseComplete
  '2': FIXED, // BindComplete
  '3': FIXED, // CloseComplete
  n: FIXED, // NoData
  s: FIXED, // PortalSuspended
  I: FIXED, // EmptyQueryResponse
  t: [6, MIB], // ParameterDescription
  G: [7, MIB], // CopyInResponse
  H: [7, MIB], // CopyOutResponse
  W: [7, MIB], // CopyBothResponse
  d: [4, GIB], // CopyData
  c: FIXED, // CopyDone
  V: [8, GIB], // FunctionCallResponse
  v: [12, KIB64], // NegotiateProtocolVersion
};

export type HeaderCheck =
  | { kind: 'ok'; type: string; length: number }
  | { kind: 'more' }
  | { kind: 'invalid'; reason: string };

/** The 5-byte header at `pos`: type byte valid for this side, length within the type's bounds. */
export function checkHeader(direction: Direction, buf: Buffer, pos: number): HeaderCheck {
  if (buf.length - pos < 1) return { kind: 'more' };
  const type = String.fromCharCode(buf[pos] as number);
  const bounds = (direction === 'request' ? REQUEST : RESPONSE)[type];
  if (bounds === undefined) return { kind: 'invalid', reason: `unknown ${direction} message type 0x${(buf[pos] as number).toString(16)}` };
  if (buf.length - pos < 5) {
    // A length cut short can still be too big already: its high byte is known.
    if (buf.length - pos >= 2 && (buf[pos + 1] as number) > (bounds[1] >>> 24)) return { kind: 'invalid', reason: `absurd length for '${type}'` };
    return { kind: 'more' };
  }
  const length = buf.readUInt32BE(pos + 1);
  if (length < bounds[0] || length > bounds[1]) return { kind: 'invalid', reason: `length ${length} out of bounds for '${type}'` };
  return { kind: 'ok', type, length };
}

export const STARTUP_CODES = { ssl: 80877103, gss: 80877104, cancel: 80877102 } as const;

/** Protocol 3.x in a StartupMessage (3.0 today, 3.2 from PostgreSQL 18). */
export function isStartupVersion(code: number): boolean {
  return code >>> 16 === 3 && (code & 0xffff) < 16;
}

/** A NUL-terminated string in buf[pos, end): the text and the offset after the NUL, or null. */
export function readCString(buf: Buffer, pos: number, end: number): { text: string; next: number } | null {
  const nul = buf.indexOf(0, pos);
  if (nul < 0 || nul >= end) return null;
  return { text: buf.toString('utf8', pos, nul), next: nul + 1 };
}

/** Text up to the NUL, or to `end` when the body was cut (a prefix of a long text). */
export function readTextPrefix(buf: Buffer, pos: number, end: number, maxChars: number): { text: string; next: number } {
  const whole = readCString(buf, pos, end);
  const text = whole?.text ?? buf.toString('utf8', pos, end);
  return { text: cut(text, maxChars), next: whole?.next ?? end };
}

export function cut(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}…`;
}

/** ErrorResponse fields → "SQLSTATE message" (null when malformed). */
export function readError(body: Buffer): string | null {
  let pos = 0;
  let code = '';
  let message = '';
  while (pos < body.length) {
    const field = body[pos] as number;
    if (field === 0) break;
    const s = readCString(body, pos + 1, body.length);
    if (s === null) { // cut body: keep what the message field holds so far
      if (field === 0x4d) message = body.toString('utf8', pos + 1);
      break;
    }
    if (field === 0x43) code = s.text; // 'C'
    else if (field === 0x4d) message = s.text; // 'M'
    pos = s.next;
  }
  if (code === '' && message === '') return null;
  return cut(`${code} ${message}`.trim(), PG_LIMITS.maxErrorMessageChars);
}
