// Protocols spoken in datagrams (each UDP payload one whole message, no reassembly): how one is
// chosen for a flow, parsed, and described. Only DNS today.
import { detectDatagram, exchangeNotes, dns, parseDatagram, type DnsMessage } from '../../protocols/dns/index.js';
import type { Exchange, ProtocolFields, ProtocolName } from '../../protocols/protocol.js';
import { protocolForHint } from '../../protocols/registry.js';

export type DatagramResult<F> =
  | { kind: 'query' | 'response'; /** pairs a response with its query (DNS: the id) */ key: number; message: F; notes: string[] }
  | { kind: 'invalid'; reason: string };

export interface DatagramProtocol<F> {
  readonly name: ProtocolName;
  /** Is this whole datagram a message of this protocol? serverPort = the flow's server port. */
  detect(payload: Buffer, serverPort: number | null): boolean;
  /** wireLength > payload.length: the capture kept only the start of the datagram */
  parse(payload: Buffer, wireLength: number): DatagramResult<F>;
  /** notes on a pair (or a query without response) */
  pairNotes(query: F, response: F | null): string[];
  describe(exchange: Exchange<F>): ProtocolFields;
}

const dnsDatagram: DatagramProtocol<DnsMessage> = {
  name: 'dns',
  detect: detectDatagram,
  parse: (payload, wireLength) => {
    const r = parseDatagram(payload, wireLength);
    return r.kind === 'invalid' ? r : { kind: r.kind, key: r.key, message: r.message, notes: r.notes };
  },
  pairNotes: exchangeNotes,
  describe: dns.describe,
};

// Method parameters are bivariant: each entry keeps its own message type.
const DATAGRAM_PROTOCOLS: Partial<Record<ProtocolName, DatagramProtocol<unknown>>> = { dns: dnsDatagram };

/** The datagram protocol of a flow: its port name's if that names one, else the first whose
 * detect() accepts this datagram; null when none does (the datagram is not parsed). */
export function datagramProtocolFor(hint: string | null, payload: Buffer, serverPort: number | null): DatagramProtocol<unknown> | null {
  const hinted = protocolForHint(hint);
  if (hinted !== null) return DATAGRAM_PROTOCOLS[hinted] ?? null;
  for (const p of Object.values(DATAGRAM_PROTOCOLS)) if (p.detect(payload, serverPort)) return p;
  return null;
}
