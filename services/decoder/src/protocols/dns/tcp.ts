// DNS over TCP (RFC 1035 §4.2.2, RFC 7766): each message is preceded by its length (u16). The
// driver holds the bytes; a frame is the prefix and the whole message (≤ 64 KiB + 2).
import type { Direction, ParseResult } from '../protocol.js';
import { HEADER_BYTES, parseMessage } from './codec.js';
import type { DnsMessage } from './types.js';

/** A DNS server port: flows to it are DNS whatever their first bytes. */
export const DNS_PORT = 53;

/** Could a message start at `at` (its length prefix)? Checks only the bytes present. */
function plausibleAt(b: Buffer, at: number): boolean {
  if (at + 2 > b.length) return false;
  const len = b.readUInt16BE(at);
  if (len < HEADER_BYTES + 5) return false; // a header and one question at least
  const m = b.subarray(at + 2, Math.min(b.length, at + 2 + len));
  if (m.length >= 4 && ((m.readUInt16BE(2) >> 11) & 0xf) > 6) return false;
  if (m.length >= 6 && m.readUInt16BE(4) !== 1) return false; // one question, as everyone sends
  if (m.length < len) return m.length < HEADER_BYTES || parseMessage(m, 'partial', len).kind === 'ok';
  return parseMessage(m, 'whole').kind === 'ok';
}

/** First bytes of a TCP stream: a length-prefixed message with one question, header and
 * question present (DNS is tried after the protocols with more distinctive first bytes). */
export function detect(bytes: Buffer, portHint: number | null): boolean {
  if (portHint === DNS_PORT) return true;
  if (bytes.length < 2 + HEADER_BYTES + 5 || !plausibleAt(bytes, 0)) return false;
  const len = bytes.readUInt16BE(0);
  const m = parseMessage(bytes.subarray(2, 2 + len), 'partial', len);
  return m.kind === 'ok' && m.message.questions.length === 1;
}

export function findFrameBoundary(_direction: Direction, buffer: Buffer, from: number): number {
  for (let at = from; at + 2 <= buffer.length; at++) if (plausibleAt(buffer, at)) return at;
  return -1;
}

export function parseFrame(_direction: Direction, buffer: Buffer, _state: null, _atEnd: boolean): ParseResult<DnsMessage> {
  if (buffer.length < 2) return { kind: 'needs-more-data', absorbed: 0 };
  const len = buffer.readUInt16BE(0);
  if (len < HEADER_BYTES) return { kind: 'invalid', reason: `message length ${len} is shorter than a header` };
  if (buffer.length < 2 + len) {
    // Reject early what the bytes present already show to be malformed.
    const early = parseMessage(buffer.subarray(2), 'partial', len);
    return early.kind === 'bad' ? { kind: 'invalid', reason: early.reason } : { kind: 'needs-more-data', absorbed: 0 };
  }
  const r = parseMessage(buffer.subarray(2, 2 + len), 'whole');
  if (r.kind !== 'ok') return { kind: 'invalid', reason: r.kind === 'bad' ? r.reason : 'short' };
  return { kind: 'success', frame: r.message, consumed: 2 + len };
}

/** Message bodies are never skipped over: a hole means the message is lost. */
export function absorbGap(): number {
  return 0;
}

/** A message cut short: what its captured start says (id, question), or null without a header. */
export function abandon(_direction: Direction, buffer: Buffer, _state: null): DnsMessage | null {
  if (buffer.length < 2) return null;
  const len = buffer.readUInt16BE(0);
  const r = parseMessage(buffer.subarray(2, 2 + len), 'partial', len);
  return r.kind === 'ok' ? r.message : null;
}
