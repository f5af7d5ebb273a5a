// pcapng blocks (little-endian), the subset `clovisor pcap export` writes:
//   SHB 0x0A0D0D0A  byte-order magic | version 1.0 | section length -1 (unknown) | shb_userappl
//   IDB 0x00000001  linktype | snaplen | if_name | if_description | if_tsresol = 9 (nanoseconds)
//   EPB 0x00000006  interface | timestamp (ns, high/low u32) | captured len | original len | data | opt_comment
// Every block: type u32 | total length u32 | body padded to 4 | total length u32. Pure.

const OPT_COMMENT = 1;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;

/** libpcap's largest snaplen: no frame we rebuild is longer. */
export const MAX_SNAPLEN = 262144;

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

function option(code: number, value: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(code, 0);
  head.writeUInt16LE(value.length, 2);
  return Buffer.concat([head, value, Buffer.alloc(pad4(value.length))]);
}

function options(list: Array<[number, Buffer] | null>): Buffer {
  const present = list.filter((o): o is [number, Buffer] => o !== null);
  if (present.length === 0) return Buffer.alloc(0);
  return Buffer.concat([...present.map(([code, value]) => option(code, value)), Buffer.alloc(4, 0) /* opt_endofopt */]);
}

function block(type: number, body: Buffer): Buffer {
  const total = 12 + body.length + pad4(body.length);
  const out = Buffer.alloc(total);
  out.writeUInt32LE(type, 0);
  out.writeUInt32LE(total, 4);
  body.copy(out, 8);
  out.writeUInt32LE(total, total - 4);
  return out;
}

export function sectionHeaderBlock(application: string): Buffer {
  const fixed = Buffer.alloc(16);
  fixed.writeUInt32LE(0x1a2b3c4d, 0);
  fixed.writeUInt16LE(1, 4);
  fixed.writeUInt16LE(0, 6);
  fixed.writeBigInt64LE(-1n, 8);
  return block(0x0a0d0d0a, Buffer.concat([fixed, options([[SHB_USERAPPL, Buffer.from(application, 'utf8')]])]));
}

export interface InterfaceDescription {
  linkType: number;
  snaplen: number;
  name: string;
  description: string | null;
}

export function interfaceDescriptionBlock(iface: InterfaceDescription): Buffer {
  const fixed = Buffer.alloc(8);
  fixed.writeUInt16LE(iface.linkType, 0);
  fixed.writeUInt32LE(iface.snaplen, 4);
  return block(1, Buffer.concat([fixed, options([
    [IF_NAME, Buffer.from(iface.name, 'utf8')],
    iface.description === null ? null : [IF_DESCRIPTION, Buffer.from(iface.description, 'utf8')],
    [IF_TSRESOL, Buffer.from([9])],
  ])]));
}

export interface EnhancedPacket {
  interfaceId: number;
  timestampNs: bigint;
  data: Buffer;
  originalLength: number;
  comment: string | null;
}

export function enhancedPacketBlock(p: EnhancedPacket): Buffer {
  const fixed = Buffer.alloc(20);
  fixed.writeUInt32LE(p.interfaceId, 0);
  const ts = BigInt.asUintN(64, p.timestampNs);
  fixed.writeUInt32LE(Number(ts >> 32n), 4);
  fixed.writeUInt32LE(Number(ts & 0xffffffffn), 8);
  fixed.writeUInt32LE(p.data.length, 12);
  fixed.writeUInt32LE(p.originalLength, 16);
  return block(6, Buffer.concat([
    fixed, p.data, Buffer.alloc(pad4(p.data.length)),
    options([p.comment === null ? null : [OPT_COMMENT, Buffer.from(p.comment, 'utf8')]]),
  ]));
}
