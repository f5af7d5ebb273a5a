// DNS (RFC 1035) over TCP as a Protocol (length-prefixed messages, paired by id), and the
// datagram functions the decoder's UDP path (core/datagram) uses.
import type { Protocol } from '../protocol.js';
import { describe, stitch } from './stitch.js';
import { abandon, absorbGap, detect, findFrameBoundary, parseFrame } from './tcp.js';
import type { DnsMessage } from './types.js';

export const dns: Protocol<DnsMessage, null> = {
  name: 'dns',
  portNames: ['dns', 'dns-tcp', 'udp-dns'],
  detect,
  newState: () => null,
  findFrameBoundary,
  parseFrame,
  absorbGap,
  abandon,
  stitch,
  describe,
};

export { parseDatagram, detectDatagram, type DatagramParse } from './datagram.js';
export { parseMessage } from './codec.js';
export { exchangeNotes } from './stitch.js';
export { DNS_LIMITS, rcodeName, typeName, type DnsMessage, type DnsQuestion } from './types.js';
