// One DNS message (RFC 1035 §4.1): header, questions, answers as text. Authority and additional
// records are walked (bounds checked) but not kept; EDNS OPT is one of them and is ignored.
// Pure and total: malformed input is a result, never an exception.
import { readName } from './name.js';
import { rdataText } from './rdata.js';
import { DNS_LIMITS, type DnsMessage } from './types.js';

export const HEADER_BYTES = 12;

export type CodecResult =
  | { kind: 'ok'; message: DnsMessage }
  | { kind: 'short' } // partial mode: not even a header
  | { kind: 'bad'; reason: string };

/**
 * whole: b is exactly one message (a datagram, a TCP frame); running out of bytes is malformed.
 * partial: b is the captured start of a longer message; what is there is returned with
 * complete = false (malformed bytes are still 'bad'). wireLength: the message's length when
 * known (a TCP length prefix, a datagram's length on the wire), to bound the section counts.
 */
export function parseMessage(b: Buffer, mode: 'whole' | 'partial', wireLength: number | null = null): CodecResult {
  if (b.length < HEADER_BYTES) return mode === 'whole' ? { kind: 'bad', reason: 'shorter than a header' } : { kind: 'short' };
  const flags = b.readUInt16BE(2);
  const opcode = (flags >> 11) & 0xf;
  if (opcode > 6) return { kind: 'bad', reason: `unassigned opcode ${opcode}` };
  const qd = b.readUInt16BE(4);
  const an = b.readUInt16BE(6);
  const rest = b.readUInt16BE(8) + b.readUInt16BE(10);
  // Every question takes ≥ 5 bytes, every record ≥ 11: counts the message cannot hold are absurd.
  const length = mode === 'whole' ? b.length : wireLength === null ? Infinity : Math.max(wireLength, b.length);
  if (qd * 5 + (an + rest) * 11 > length - HEADER_BYTES) {
    return { kind: 'bad', reason: 'section counts exceed the message' };
  }
  const message: DnsMessage = {
    id: b.readUInt16BE(0), response: (flags & 0x8000) !== 0, opcode, rcode: flags & 0xf,
    truncated: (flags & 0x0200) !== 0, questions: [], answers: [], answersDropped: 0, complete: false,
  };
  const short = (): CodecResult => (mode === 'whole' ? { kind: 'bad', reason: 'message ends inside a section' } : { kind: 'ok', message });
  let at = HEADER_BYTES;
  for (let i = 0; i < qd; i++) {
    const n = readName(b, at);
    if (n.kind === 'bad') return n;
    if (n.kind === 'short' || n.end + 4 > b.length) return short();
    if (message.questions.length < DNS_LIMITS.maxQuestionsKept) {
      message.questions.push({ name: n.name, type: b.readUInt16BE(n.end), class: b.readUInt16BE(n.end + 2) });
    }
    at = n.end + 4;
  }
  for (let i = 0; i < an + rest; i++) {
    const n = readName(b, at);
    if (n.kind === 'bad') return n;
    if (n.kind === 'short' || n.end + 10 > b.length) return short();
    const type = b.readUInt16BE(n.end);
    const rdLen = b.readUInt16BE(n.end + 8);
    const from = n.end + 10;
    if (from + rdLen > b.length) return short();
    if (i < an) {
      if (message.answers.length >= DNS_LIMITS.maxAnswers) message.answersDropped++;
      else {
        const text = rdataText(b, type, from, from + rdLen);
        if (text === null) return { kind: 'bad', reason: `malformed record data (type ${type})` };
        message.answers.push(text);
      }
    }
    at = from + rdLen;
  }
  message.complete = true;
  return { kind: 'ok', message };
}
