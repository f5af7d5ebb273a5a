// Capture file containers → packets. Pure: bytes in, packets out.
//
// Classic libpcap: global header (24 bytes)
//   magic u32 (a1b2c3d4 µs | a1b23c4d ns, either byte order) | version u16 u16 | thiszone i32 |
//   sigfigs u32 | snaplen u32 | linktype u32 (low 16 bits)
// then records: ts_sec u32 | ts_frac u32 | incl_len u32 | orig_len u32 | incl_len bytes.
//
// pcapng: blocks  type u32 | total_length u32 | body | total_length u32  (padded to 4)
//   SHB 0x0A0D0D0A  byte-order magic 1A2B3C4D (sets endianness) | version | section length | options
//   IDB 0x00000001  linktype u16 | reserved u16 | snaplen u32 | options (2 if_name, 9 if_tsresol)
//   EPB 0x00000006  interface u32 | ts_high u32 | ts_low u32 | caplen u32 | origlen u32 | data | options
//   SPB 0x00000003  origlen u32 | data (interface 0, no timestamp)
//   PB  0x00000002  interface u16 | drops u16 | ts_high | ts_low | caplen | origlen | data (obsolete)
// Other blocks are skipped.
import { DecodeError } from '@clovisor/core';

export interface CapturedPacket {
  timestampNs: bigint;
  linkType: number;
  /** interface index in the file (0 for classic pcap) and its name when the file has one */
  interfaceId: number;
  interfaceName: string | null;
  data: Buffer;
  originalLength: number;
}

export interface ContainerStats {
  /** the file ended inside a record or block */
  truncatedRecords: number;
  /** pcapng blocks of types not read (statistics, name resolution, ...) */
  skippedBlocks: number;
}

export function isPcapng(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes.readUInt32BE(0) === 0x0a0d0d0a;
}

export function readPackets(bytes: Buffer, stats: ContainerStats): CapturedPacket[] {
  return isPcapng(bytes) ? readPcapng(bytes, stats) : readPcap(bytes, stats);
}

function readPcap(bytes: Buffer, stats: ContainerStats): CapturedPacket[] {
  if (bytes.length < 24) throw new DecodeError('PCAP_FORMAT', 'file too short for a pcap header');
  const magicBE = bytes.readUInt32BE(0);
  const magicLE = bytes.readUInt32LE(0);
  const le = magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d;
  const magic = le ? magicLE : magicBE;
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) {
    throw new DecodeError('PCAP_FORMAT', `not a pcap or pcapng file (magic ${magicBE.toString(16)})`);
  }
  const u32 = (at: number): number => (le ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
  const fracToNs = magic === 0xa1b23c4d ? 1n : 1000n;
  const linkType = u32(20) & 0xffff;
  const packets: CapturedPacket[] = [];
  let pos = 24;
  while (pos < bytes.length) {
    if (pos + 16 > bytes.length) { stats.truncatedRecords++; break; }
    const inclLen = u32(pos + 8);
    if (pos + 16 + inclLen > bytes.length) { stats.truncatedRecords++; break; }
    packets.push({
      timestampNs: BigInt(u32(pos)) * 1_000_000_000n + BigInt(u32(pos + 4)) * fracToNs,
      linkType,
      interfaceId: 0,
      interfaceName: null,
      data: bytes.subarray(pos + 16, pos + 16 + inclLen),
      originalLength: u32(pos + 12),
    });
    pos += 16 + inclLen;
  }
  return packets;
}

interface Iface { linkType: number; name: string | null; unitsPerSecond: bigint; snaplen: number }

function readPcapng(bytes: Buffer, stats: ContainerStats): CapturedPacket[] {
  const packets: CapturedPacket[] = [];
  let le = true;
  let ifaces: Iface[] = [];
  let pos = 0;
  const u32 = (at: number): number => (le ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
  const u16 = (at: number): number => (le ? bytes.readUInt16LE(at) : bytes.readUInt16BE(at));
  while (pos < bytes.length) {
    if (pos + 12 > bytes.length) { stats.truncatedRecords++; break; }
    const type = bytes.readUInt32BE(pos) === 0x0a0d0d0a ? 0x0a0d0d0a : u32(pos);
    if (type === 0x0a0d0d0a) {
      const bom = bytes.readUInt32LE(pos + 8);
      if (bom === 0x1a2b3c4d) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else throw new DecodeError('PCAP_FORMAT', 'pcapng section header with a bad byte-order magic');
      ifaces = []; // interface ids are per section
    }
    const total = u32(pos + 4);
    if (total < 12 || total % 4 !== 0) throw new DecodeError('PCAP_FORMAT', `pcapng block with bad length ${total}`);
    if (pos + total > bytes.length) { stats.truncatedRecords++; break; }
    const body = pos + 8;
    const end = pos + total - 4;
    if (type === 1) ifaces.push(readIdb(bytes, body, end, u16, u32));
    else if (type === 6 || type === 2) {
      const id = type === 6 ? u32(body) : u16(body);
      const iface = ifaces[id];
      if (iface === undefined) throw new DecodeError('PCAP_FORMAT', `packet of undeclared interface ${id}`);
      const ts = (BigInt(u32(body + 4)) << 32n) | BigInt(u32(body + 8));
      const capLen = u32(body + 12);
      if (body + 20 + capLen > end) throw new DecodeError('PCAP_FORMAT', 'packet data beyond its block');
      packets.push({
        timestampNs: (ts * 1_000_000_000n) / iface.unitsPerSecond,
        linkType: iface.linkType,
        interfaceId: id,
        interfaceName: iface.name,
        data: bytes.subarray(body + 20, body + 20 + capLen),
        originalLength: u32(body + 16),
      });
    } else if (type === 3) {
      const iface = ifaces[0];
      if (iface === undefined) throw new DecodeError('PCAP_FORMAT', 'simple packet without an interface');
      const orig = u32(body);
      const capLen = Math.min(orig, end - body - 4, iface.snaplen > 0 ? iface.snaplen : orig);
      packets.push({
        timestampNs: 0n, linkType: iface.linkType, interfaceId: 0, interfaceName: iface.name,
        data: bytes.subarray(body + 4, body + 4 + capLen), originalLength: orig,
      });
    } else if (type !== 0x0a0d0d0a) stats.skippedBlocks++;
    pos += total;
  }
  return packets;
}

function readIdb(bytes: Buffer, body: number, end: number, u16: (at: number) => number, u32: (at: number) => number): Iface {
  const iface: Iface = { linkType: u16(body), name: null, unitsPerSecond: 1_000_000n, snaplen: u32(body + 4) };
  let at = body + 8;
  while (at + 4 <= end) {
    const code = u16(at);
    const len = u16(at + 2);
    if (code === 0) break;
    if (code === 2) iface.name = bytes.toString('utf8', at + 4, at + 4 + len).replace(/\0+$/, '');
    if (code === 9 && len >= 1) {
      const r = bytes[at + 4] as number;
      iface.unitsPerSecond = (r & 0x80) !== 0 ? 1n << BigInt(r & 0x7f) : 10n ** BigInt(r);
    }
    at += 4 + len + ((4 - (len % 4)) % 4);
  }
  return iface;
}
