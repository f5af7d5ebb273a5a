// One captured frame → a TCP segment or a UDP datagram, or why not. Link layers: Ethernet (1, with 802.1Q/QinQ
// tags), Linux cooked v1 (113) and v2 (276) as `-i any` writes, BSD loopback (0, 108) and raw
// IP (12, 14, 101, 228, 229). Network: IPv4 (no fragments) and IPv6 (extension headers walked).
// The payload stops at the IP datagram's end (Ethernet padding is not payload); wireLength comes
// from the IP length, so a frame cut by the snaplen still says how long its payload was.

export interface TcpPacket {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  payload: Buffer;
  wireLength: number;
}

/** A UDP datagram: payload = the captured bytes, wireLength = its length on the wire. */
export interface UdpPacket {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
  wireLength: number;
}

export type PacketResult =
  | { kind: 'tcp'; packet: TcpPacket }
  | { kind: 'udp'; packet: UdpPacket }
  | { kind: 'skip'; reason: 'link-type' | 'not-ip' | 'not-tcp' | 'fragment' | 'malformed' };

const skip = (reason: 'link-type' | 'not-ip' | 'not-tcp' | 'fragment' | 'malformed'): PacketResult => ({ kind: 'skip', reason });

/** Offset of the IP header and its version (4 or 6), or a skip. */
function linkLayer(linkType: number, d: Buffer): { at: number; version: number } | PacketResult {
  const byEthertype = (type: number, at: number): { at: number; version: number } | PacketResult =>
    type === 0x0800 ? { at, version: 4 } : type === 0x86dd ? { at, version: 6 } : skip('not-ip');
  switch (linkType) {
    case 1: {
      let at = 12;
      if (d.length < at + 2) return skip('malformed');
      let type = d.readUInt16BE(at);
      while (type === 0x8100 || type === 0x88a8) { // VLAN tags
        at += 4;
        if (d.length < at + 2) return skip('malformed');
        type = d.readUInt16BE(at);
      }
      return byEthertype(type, at + 2);
    }
    case 113:
      return d.length < 16 ? skip('malformed') : byEthertype(d.readUInt16BE(14), 16);
    case 276:
      return d.length < 20 ? skip('malformed') : byEthertype(d.readUInt16BE(0), 20);
    case 0:
    case 108: {
      if (d.length < 4) return skip('malformed');
      // DLT_NULL stores the family in the writer's byte order; either order is unambiguous here.
      const fam = d.readUInt32LE(0) > 0xffff ? d.readUInt32BE(0) : d.readUInt32LE(0);
      return fam === 2 ? { at: 4, version: 4 } : fam === 24 || fam === 28 || fam === 30 ? { at: 4, version: 6 } : skip('not-ip');
    }
    case 12:
    case 14:
    case 101:
    case 228:
    case 229:
      return d.length < 1 ? skip('malformed') : { at: 0, version: (d[0] as number) >> 4 };
    default:
      return skip('link-type');
  }
}

export function ipv6Text(b: Buffer, at: number): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(b.readUInt16BE(at + i * 2));
  // RFC 5952: the longest run (>= 2) of zero words becomes "::".
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/** IPv6 extension headers that may precede TCP (fragment = 44 is not reassembled). */
const V6_EXT = new Set([0, 43, 60, 51]);

export function decodePacket(linkType: number, frame: Buffer, originalLength: number): PacketResult {
  const link = linkLayer(linkType, frame);
  if ('kind' in link) return link;
  const d = frame;
  const ip = link.at;
  let src: string;
  let dst: string;
  let tcp: number;
  let ipEnd: number; // end of the IP datagram on the wire (offset in the original frame)
  let proto: number; // 6 TCP, 17 UDP
  if (link.version === 4) {
    if (d.length < ip + 20) return skip('malformed');
    const ihl = ((d[ip] as number) & 0x0f) * 4;
    if (ihl < 20 || d.length < ip + ihl) return skip('malformed');
    if ((d.readUInt16BE(ip + 6) & 0x3fff) !== 0) return skip('fragment');
    proto = d[ip + 9] as number;
    if (proto !== 6 && proto !== 17) return skip('not-tcp');
    const total = d.readUInt16BE(ip + 2);
    ipEnd = total === 0 ? originalLength : ip + total; // 0: segmentation offload wrote no length
    src = `${d[ip + 12]}.${d[ip + 13]}.${d[ip + 14]}.${d[ip + 15]}`;
    dst = `${d[ip + 16]}.${d[ip + 17]}.${d[ip + 18]}.${d[ip + 19]}`;
    tcp = ip + ihl;
  } else if (link.version === 6) {
    if (d.length < ip + 40) return skip('malformed');
    const payloadLength = d.readUInt16BE(ip + 4);
    ipEnd = payloadLength === 0 ? originalLength : ip + 40 + payloadLength;
    src = ipv6Text(d, ip + 8);
    dst = ipv6Text(d, ip + 24);
    let next = d[ip + 6] as number;
    tcp = ip + 40;
    while (V6_EXT.has(next)) {
      if (d.length < tcp + 2) return skip('malformed');
      const len = next === 51 ? ((d[tcp + 1] as number) + 2) * 4 : ((d[tcp + 1] as number) + 1) * 8;
      next = d[tcp] as number;
      tcp += len;
    }
    if (next === 44) return skip('fragment');
    proto = next;
    if (proto !== 6 && proto !== 17) return skip('not-tcp');
  } else {
    return skip('not-ip');
  }
  if (proto === 17) return udpOf(d, tcp, ipEnd, src, dst);
  if (d.length < tcp + 20) return skip('malformed');
  const dataOffset = ((d[tcp + 12] as number) >> 4) * 4;
  if (dataOffset < 20 || d.length < tcp + dataOffset) return skip('malformed');
  const start = tcp + dataOffset;
  const wireLength = Math.max(0, ipEnd - start);
  return {
    kind: 'tcp',
    packet: {
      src,
      dst,
      srcPort: d.readUInt16BE(tcp),
      dstPort: d.readUInt16BE(tcp + 2),
      seq: d.readUInt32BE(tcp + 4),
      ack: d.readUInt32BE(tcp + 8),
      flags: (d[tcp + 13] as number) & 0x3f,
      payload: d.subarray(start, Math.min(d.length, start + wireLength)),
      wireLength,
    },
  };
}

/** The UDP header at `at`; the payload ends at the IP datagram's end (not at the UDP length, which
 * a checksum-offloaded or jumbo datagram may leave unusable). */
function udpOf(d: Buffer, at: number, ipEnd: number, src: string, dst: string): PacketResult {
  if (d.length < at + 8) return skip('malformed');
  const start = at + 8;
  const wireLength = Math.max(0, ipEnd - start);
  return {
    kind: 'udp',
    packet: {
      src, dst, srcPort: d.readUInt16BE(at), dstPort: d.readUInt16BE(at + 2),
      payload: d.subarray(start, Math.min(d.length, start + wireLength)), wireLength,
    },
  };
}
