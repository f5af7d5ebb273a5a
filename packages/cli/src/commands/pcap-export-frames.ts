// A captured segment → the Ethernet frame it was on the wire, as far as the record knows it.
// Rebuilt from the record: addresses, ports, TCP seq/ack/flags, payload and its wire length.
// Not in the record, so fixed: MAC addresses (locally administered, derived from the IP address,
// so one host keeps one MAC), IPv4 id 0 with DF, TTL/hop limit 64, TCP window 65535, no TCP
// options. Lengths are the wire lengths; checksums are computed when the whole payload was
// captured, and 0 when the snaplen cut it (nobody can verify those, the capture did not keep the
// bytes). Pure.
import { fnv1a64Hex, type Segment, type SegmentBatch } from '@clovisor/core';

export const LINKTYPE_ETHERNET = 1;
const ETHERNET_HEADER = 14;
const IPV4_HEADER = 20;
const IPV6_HEADER = 40;
const TCP_HEADER = 20;
const UDP_HEADER = 8;
const TTL = 64;
const TCP_WINDOW = 65535;

export interface Frame {
  /** the captured bytes: headers + the payload the record holds */
  data: Buffer;
  /** the frame's length on the wire: headers + segment.wireLength */
  originalLength: number;
}

/** IPv4 dotted quad or IPv6 text (with "::" and an embedded IPv4 tail) → 4 or 16 bytes. */
export function addressBytes(text: string): Buffer {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    if (parts.every((p) => p <= 255)) return Buffer.from(parts);
  }
  if (text.includes(':')) {
    const bytes = ipv6Bytes(text);
    if (bytes) return bytes;
  }
  throw new TypeError(`not an IP address: "${text}"`);
}

function ipv6Bytes(text: string): Buffer | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const words = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const groups = part.split(':');
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes('.')) {
        const tail = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(g);
        if (!tail) return null;
        const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number];
        if (a > 255 || b > 255 || c > 255 || d > 255) return null;
        out.push((a << 8) | b, (c << 8) | d);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) out.push(parseInt(g, 16));
      else return null;
    }
    return out;
  };
  const head = words(halves[0]!);
  const tail = halves.length === 2 ? words(halves[1]!) : [];
  if (!head || !tail) return null;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return null;
  const all = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
  const out = Buffer.alloc(16);
  all.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}

/** A locally administered unicast MAC (02:…) derived from the IP address. */
export function macOf(address: string): Buffer {
  return Buffer.concat([Buffer.from([0x02]), Buffer.from(fnv1a64Hex(address).slice(0, 10), 'hex')]);
}

/** RFC 1071 ones' complement sum of the buffers, folded, not yet inverted. */
function onesSum(parts: Buffer[]): number {
  let sum = 0;
  let odd: number | null = null; // a byte left over from the previous part
  for (const p of parts) {
    let i = 0;
    if (odd !== null && p.length > 0) {
      sum += (odd << 8) | p[0]!;
      odd = null;
      i = 1;
    }
    for (; i + 1 < p.length; i += 2) sum += (p[i]! << 8) | p[i + 1]!;
    if (i < p.length) odd = p[i]!;
    if (sum > 0xffffffff / 2) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  }
  if (odd !== null) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

export function internetChecksum(parts: Buffer[]): number {
  return ~onesSum(parts) & 0xffff;
}

function pseudoHeader(src: Buffer, dst: Buffer, protocol: number, length: number): Buffer {
  if (src.length === 4) {
    const p = Buffer.alloc(12);
    src.copy(p, 0);
    dst.copy(p, 4);
    p[9] = protocol;
    p.writeUInt16BE(length & 0xffff, 10);
    return p;
  }
  const p = Buffer.alloc(40);
  src.copy(p, 0);
  dst.copy(p, 16);
  p.writeUInt32BE(length, 32);
  p[39] = protocol;
  return p;
}

export function buildFrame(batch: SegmentBatch, segment: Segment): Frame {
  const from = segment.fromClient ? batch.client : batch.server;
  const to = segment.fromClient ? batch.server : batch.client;
  const src = addressBytes(from.address);
  const dst = addressBytes(to.address);
  if (src.length !== dst.length) throw new TypeError(`flow ${batch.flowId}: ${from.address} and ${to.address} are not the same IP version`);
  const v4 = src.length === 4;
  const tcp = batch.transport === 'TCP';
  const l4Header = tcp ? TCP_HEADER : UDP_HEADER;
  const l4Length = l4Header + segment.wireLength;
  const complete = segment.payload.length >= segment.wireLength;
  const payload = segment.payload.subarray(0, segment.wireLength);

  const l4 = Buffer.alloc(l4Header);
  l4.writeUInt16BE(from.port, 0);
  l4.writeUInt16BE(to.port, 2);
  if (tcp) {
    l4.writeUInt32BE(segment.seq >>> 0, 4);
    l4.writeUInt32BE(segment.ack >>> 0, 8);
    l4[12] = (TCP_HEADER / 4) << 4;
    l4[13] = segment.flags & 0xff;
    l4.writeUInt16BE(TCP_WINDOW, 14);
  } else {
    // above 65535 (a GSO datagram) the UDP length cannot be written: 0, as offload leaves it
    l4.writeUInt16BE(l4Length <= 0xffff ? l4Length : 0, 4);
  }
  if (complete) {
    const sum = internetChecksum([pseudoHeader(src, dst, tcp ? 6 : 17, l4Length), l4, payload]);
    // UDP: a computed 0 is sent as FFFF (0 means "no checksum")
    l4.writeUInt16BE(!tcp && sum === 0 ? 0xffff : sum, tcp ? 16 : 6);
  }

  const ip = Buffer.alloc(v4 ? IPV4_HEADER : IPV6_HEADER);
  if (v4) {
    const total = IPV4_HEADER + l4Length;
    ip[0] = 0x45;
    ip.writeUInt16BE(total <= 0xffff ? total : 0, 2); // 0: a segmentation-offload super-packet
    ip.writeUInt16BE(0x4000, 6); // DF
    ip[8] = TTL;
    ip[9] = tcp ? 6 : 17;
    src.copy(ip, 12);
    dst.copy(ip, 16);
    ip.writeUInt16BE(internetChecksum([ip]), 10);
  } else {
    ip.writeUInt32BE(0x60000000, 0);
    ip.writeUInt16BE(l4Length <= 0xffff ? l4Length : 0, 4);
    ip[6] = tcp ? 6 : 17;
    ip[7] = TTL;
    src.copy(ip, 8);
    dst.copy(ip, 24);
  }

  const eth = Buffer.alloc(ETHERNET_HEADER);
  macOf(to.address).copy(eth, 0);
  macOf(from.address).copy(eth, 6);
  eth.writeUInt16BE(v4 ? 0x0800 : 0x86dd, 12);

  const headers = ETHERNET_HEADER + ip.length + l4Header;
  return { data: Buffer.concat([eth, ip, l4, payload]), originalLength: headers + segment.wireLength };
}
