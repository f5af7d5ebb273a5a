// Reads an Ethernet / IPv4|IPv6 / UDP frame by the RFCs' offsets (RFC 791, 8200, 768), for tests
// that compare the inner frame of an INT report with the datagram that was sent. Independent of
// the product's parsers on purpose.

export interface UdpFrame {
  dstMac: string;
  srcMac: string;
  etherType: number;
  /** the IP header's version nibble */
  ipVersion: number;
  src: string;
  dst: string;
  /** TTL / hop limit */
  ttl: number;
  /** protocol / next header */
  protocol: number;
  /** IPv4 total length, or IPv6 payload length + 40: the IP packet's length */
  ipLength: number;
  /** IPv4 only: the header checksum verifies (true for IPv6) */
  checksumOk: boolean;
  sport: number;
  dport: number;
  udpLength: number;
  payload: Buffer;
}

const mac = (b: Buffer): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

/** An IPv6 address in the canonical form (RFC 5952), as URL host parsing writes it. */
export function canonicalIpv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

function ipv6(b: Buffer): string {
  const groups = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(2 * i).toString(16));
  return canonicalIpv6(groups.join(':'));
}

function ipv4ChecksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

export function readUdpFrame(frame: Buffer): UdpFrame {
  const etherType = frame.readUInt16BE(12);
  const ip = frame.subarray(14);
  const ipVersion = ip[0]! >> 4;
  let l4: Buffer;
  let head: Omit<UdpFrame, 'dstMac' | 'srcMac' | 'etherType' | 'ipVersion' | 'sport' | 'dport' | 'udpLength' | 'payload'>;
  if (ipVersion === 4) {
    const ihl = (ip[0]! & 0x0f) * 4;
    head = {
      src: [...ip.subarray(12, 16)].join('.'), dst: [...ip.subarray(16, 20)].join('.'), ttl: ip[8]!, protocol: ip[9]!,
      ipLength: ip.readUInt16BE(2), checksumOk: ipv4ChecksumOk(ip.subarray(0, ihl)),
    };
    l4 = ip.subarray(ihl);
  } else {
    head = { src: ipv6(ip.subarray(8, 24)), dst: ipv6(ip.subarray(24, 40)), ttl: ip[7]!, protocol: ip[6]!, ipLength: 40 + ip.readUInt16BE(4), checksumOk: true };
    l4 = ip.subarray(40);
  }
  const udpLength = l4.readUInt16BE(4);
  return {
    dstMac: mac(frame.subarray(0, 6)), srcMac: mac(frame.subarray(6, 12)), etherType, ipVersion, ...head,
    sport: l4.readUInt16BE(0), dport: l4.readUInt16BE(2), udpLength, payload: l4.subarray(8, udpLength),
  };
}
