// DNS over UDP: every datagram payload is one whole message (RFC 1035 §4.2.1); no framing, no
// reassembly. A datagram cut by the capture's snaplen is parsed as far as it goes.
import { parseMessage } from './codec.js';
import { DNS_PORT } from './tcp.js';
import type { DnsMessage } from './types.js';

export type DatagramParse =
  | { kind: 'query' | 'response'; key: number; message: DnsMessage; notes: string[] }
  | { kind: 'invalid'; reason: string };

/** payload: the captured bytes; wireLength: the datagram's payload length on the wire (longer
 * when the capture's snaplen cut it). */
export function parseDatagram(payload: Buffer, wireLength: number): DatagramParse {
  const truncated = payload.length < wireLength;
  const r = parseMessage(payload, truncated ? 'partial' : 'whole', wireLength);
  if (r.kind === 'short') return { kind: 'invalid', reason: 'datagram cut before the end of the header' };
  if (r.kind === 'bad') return { kind: 'invalid', reason: r.reason };
  const m = r.message;
  const notes = truncated ? [`datagram cut by the capture; ${m.complete ? 'all sections' : 'not every section'} read`] : [];
  return { kind: m.response ? 'response' : 'query', key: m.id, message: m, notes };
}

/** A whole datagram that parses as a message with one question, or any datagram to port 53. */
export function detectDatagram(payload: Buffer, serverPort: number | null): boolean {
  if (serverPort === DNS_PORT) return true;
  const r = parseMessage(payload, 'whole');
  return r.kind === 'ok' && r.message.questions.length === 1;
}
