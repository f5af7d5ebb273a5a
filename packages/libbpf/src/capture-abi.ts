// The ABI of bpf/capture.bpf.c: map names, key/value layouts, counter indices and the event
// record layout. Pure (no addon). Keep in lockstep with the header comment of capture.bpf.c;
// capture-abi.test.ts checks these offsets against the object's BTF.
import { fileURLToPath } from 'node:url';
import { isIPv4, isIPv6 } from 'node:net';
import { BpfError } from './errors.js';

/** Where build.sh puts the compiled object, relative to this package. */
export const CAPTURE_OBJECT_PATH = fileURLToPath(new URL('../../../bpf/build/capture.bpf.o', import.meta.url));

export const CaptureProgram = {
  INGRESS: 'capture_ingress',
  EGRESS: 'capture_egress',
  /** node NICs: record only packets of flows already in the flow table, header only */
  NODE_INGRESS: 'capture_node_ingress',
  NODE_EGRESS: 'capture_node_egress',
} as const;
export const CaptureMap = { PORTS: 'ports', CONFIG: 'config', COUNTERS: 'counters', EVENTS: 'events', FLOWS: 'flows', EGRESS_RULES: 'egress_rules' } as const;

export const CAPTURE_MAX_SNAPLEN = 8192;
export const CAPTURE_DEFAULT_SNAPLEN = 4096;
export const CAPTURE_PORTS_MAX_ENTRIES = 1024;
export const CAPTURE_EGRESS_RULES_MAX_ENTRIES = 4096;

/** Indices of the per-CPU `counters` array (__u64 each). */
export const CaptureCounter = {
  EMITTED: 0,
  LOST: 1, // ring buffer full
  TRUNCATED: 2, // payload cut by snaplen
  PAYLOAD_BYTES: 3,
  MATCHED: 4, // all packets of monitored ports, including pure ACKs that were not copied
  FLOWS_CREATED: 5, // flow-table entries inserted
  FLOWS_CLOSED_FIN: 6, // entries removed by BPF at the second FIN
  FLOWS_CLOSED_RST: 7, // entries removed by BPF at an RST
  FLOWS_INSERT_FAILED: 8, // inserts the kernel refused (other than "already there")
  NODE_MATCHED: 9, // node-interface packets of a known flow
  NODE_EMITTED: 10, // node-interface timing events written to the ring
} as const;
export const CAPTURE_COUNTER_COUNT = 11;

/** Byte offsets in an event record (host order = little-endian on x86-64/arm64). */
export const EventOffset = {
  TS_NS: 0, // u64, CLOCK_MONOTONIC
  IFINDEX: 8, // u32
  HOOK: 12, // u8: 0 ingress, 1 egress
  IP_VERSION: 13, // u8: 4 | 6
  L4_PROTO: 14, // u8: 6 | 17
  TCP_FLAGS: 15, // u8
  SADDR: 16, // 16 bytes, network order, IPv4 in the first 4
  DADDR: 32, // 16 bytes
  SPORT: 48, // u16
  DPORT: 50, // u16
  SEQ: 52, // u32
  ACK: 56, // u32
  WIRE_LEN: 60, // u32: L4 payload length on the wire
  CAP_LEN: 64, // u32: payload bytes following the header
  POINT: 68, // u8: 0 pod interface, 1 node interface (header only)
  PAD: 69, // 3 bytes
  PAYLOAD: 72,
} as const;
export const EVENT_HEADER_LEN = 72;

export const EventHook = { INGRESS: 0, EGRESS: 1 } as const;
export const EventPoint = { POD: 0, NODE: 1 } as const;
export const L4Proto = { TCP: 6, UDP: 17 } as const;

/** `ports` key: { u32 ifindex (0 = any); u16 port (host order); u16 pad = 0 }. */
export function encodePortKey(ifindex: number, port: number): Buffer {
  if (!Number.isInteger(port) || port < 1 || port > 0xffff) throw new BpfError('EINVAL', `port must be 1..65535, got ${port}`);
  if (!Number.isInteger(ifindex) || ifindex < 0 || ifindex > 0xffffffff) throw new BpfError('EINVAL', `ifindex must be >= 0, got ${ifindex}`);
  const b = Buffer.alloc(8);
  b.writeUInt32LE(ifindex, 0);
  b.writeUInt16LE(port, 4);
  return b;
}

export function decodePortKey(key: Buffer): { ifindex: number; port: number } {
  return { ifindex: key.readUInt32LE(0), port: key.readUInt16LE(4) };
}

/** `ports` value: u32 protocol id, opaque to BPF, must be nonzero (0 reads as "not monitored"). */
export function encodeProtocolId(id: number): Buffer {
  if (!Number.isInteger(id) || id < 1 || id > 0xffffffff) throw new BpfError('EINVAL', `protocol id must be 1..2^32-1, got ${id}`);
  const b = Buffer.alloc(4);
  b.writeUInt32LE(id, 0);
  return b;
}

/** One `egress_rules` entry: outbound traffic of `ifindex` to `address/prefixLength`:`port`. */
export interface EgressRuleKey {
  ifindex: number;
  family: 4 | 6;
  /** textual IPv4/IPv6 address; bits beyond prefixLength are ignored by the trie */
  address: string;
  prefixLength: number;
  port: number;
}

/** Bits of the `egress_rules` key before the address: ifindex, port, family, pad. */
export const EGRESS_FIXED_BITS = 64;
export const EGRESS_KEY_LEN = 28;

/**
 * `egress_rules` LPM-trie key: { u32 prefixlen = 64 + address prefix length; u32 ifindex (host
 * order); u16 port (network order); u8 family; u8 pad; u8 addr[16] (network order) }.
 */
export function encodeEgressRuleKey(rule: EgressRuleKey): Buffer {
  const { ifindex, family, address, prefixLength, port } = rule;
  if (!Number.isInteger(ifindex) || ifindex < 1 || ifindex > 0xffffffff) throw new BpfError('EINVAL', `ifindex must be >= 1, got ${ifindex}`);
  if (!Number.isInteger(port) || port < 1 || port > 0xffff) throw new BpfError('EINVAL', `port must be 1..65535, got ${port}`);
  const max = family === 4 ? 32 : 128;
  if ((family !== 4 && family !== 6) || !Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > max) {
    throw new BpfError('EINVAL', `prefix length must be 0..${max} for IPv${family}, got ${prefixLength}`);
  }
  const b = Buffer.alloc(EGRESS_KEY_LEN);
  b.writeUInt32LE(EGRESS_FIXED_BITS + prefixLength, 0);
  b.writeUInt32LE(ifindex, 4);
  b.writeUInt16BE(port, 8);
  b[10] = family;
  parseIp(address, family).copy(b, 12);
  return b;
}

/** `egress_rules` value: nonzero u32 (flags, reserved). */
export function encodeEgressRuleValue(): Buffer {
  return u32Key(1);
}

/** Text IPv4 / IPv6 address (an IPv4 tail like ::ffff:1.2.3.4 included) → the kernel's 16 bytes; BpfError EINVAL when it is not one. */
export function parseIp(address: string, family: 4 | 6): Buffer {
  if (family === 4) {
    if (!isIPv4(address)) throw new BpfError('EINVAL', `"${address}" is not an IPv4 address`);
    const out = Buffer.alloc(16);
    address.split('.').forEach((octet, i) => { out[i] = Number(octet); });
    return out;
  }
  if (!isIPv6(address)) throw new BpfError('EINVAL', `"${address}" is not an IPv6 address`);
  let text = address;
  // an embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const o = v4[1]!.split('.').map(Number);
    text = text.slice(0, -v4[1]!.length) + `${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, null];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === null || tail === '' ? [] : tail.split(':');
  const groups = tail === null ? headGroups : [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** `config[0]`: { u32 snaplen (0 = 4096, clamped to 8192 in BPF); u32 flags (reserved, 0) }. */
export function encodeCaptureConfig(cfg: { snaplen: number }): Buffer {
  if (!Number.isInteger(cfg.snaplen) || cfg.snaplen < 0 || cfg.snaplen > CAPTURE_MAX_SNAPLEN) {
    throw new BpfError('EINVAL', `snaplen must be 0..${CAPTURE_MAX_SNAPLEN}, got ${cfg.snaplen}`);
  }
  const b = Buffer.alloc(8);
  b.writeUInt32LE(cfg.snaplen, 0);
  return b;
}

/** A __u32 key, as used by the `config` and `counters` arrays. */
export function u32Key(index: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(index, 0);
  return b;
}

export interface CaptureEvent {
  tsNs: bigint;
  ifindex: number;
  hook: 'ingress' | 'egress';
  /** where the packet was seen: a pod's interface, or a node NIC (then capLen is 0) */
  point: 'pod' | 'node';
  ipVersion: 4 | 6;
  l4Proto: number;
  tcpFlags: number;
  saddr: string;
  daddr: string;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  wireLen: number;
  capLen: number;
  /** view into the record (no copy) */
  payload: Buffer;
  /**
   * The packet's connection on its interface, the same in both directions: a compact binary
   * (latin1) string, flat, for map lookups (see connectionKey). Its first 4 characters are the
   * ifindex; the rest (tupleOfConnection) is the 5-tuple alone.
   */
  connection: string;
}

/** Bytes of a connection key: ifindex (4), protocol, IP version, then the lower and the higher endpoint (address, port BE). */
const keyScratch = Buffer.alloc(6 + 2 * (16 + 2));

/**
 * The key decodeCaptureEvent puts in `connection`, from textual addresses (e.g. a socket event's
 * endpoints): the endpoints are ordered by (address bytes, port), so both directions give one key.
 */
export function connectionKey(ifindex: number, l4Proto: number, a: { address: string; port: number }, b: { address: string; port: number }): string {
  const family = isIPv4(a.address) ? 4 : 6;
  const rec = Buffer.alloc(EVENT_HEADER_LEN);
  rec.writeUInt32LE(ifindex >>> 0, EventOffset.IFINDEX);
  rec[EventOffset.L4_PROTO] = l4Proto;
  parseIp(a.address, family).copy(rec, EventOffset.SADDR);
  parseIp(b.address, family).copy(rec, EventOffset.DADDR);
  rec.writeUInt16LE(a.port, EventOffset.SPORT);
  rec.writeUInt16LE(b.port, EventOffset.DPORT);
  return connectionOf(rec, family);
}

/** The 5-tuple part of a connection key (no interface): the same connection seen on any interface. */
export function tupleOfConnection(connection: string): string {
  return connection.slice(4);
}

function connectionOf(rec: Buffer, v: 4 | 6): string {
  // byte loops, not Buffer copy/compare: these run once per packet on 4-16 bytes, where the
  // argument checks of the Buffer methods cost more than the bytes
  const alen = v === 4 ? 4 : 16;
  const k = keyScratch;
  for (let i = 0; i < 4; i++) k[i] = rec[EventOffset.IFINDEX + i]!;
  k[4] = rec[EventOffset.L4_PROTO]!;
  k[5] = v;
  const sport = rec[EventOffset.SPORT]! | (rec[EventOffset.SPORT + 1]! << 8);
  const dport = rec[EventOffset.DPORT]! | (rec[EventOffset.DPORT + 1]! << 8);
  let order = 0; // < 0: the source endpoint sorts first
  for (let i = 0; i < alen && order === 0; i++) order = rec[EventOffset.SADDR + i]! - rec[EventOffset.DADDR + i]!;
  if (order === 0) order = sport - dport;
  const sourceFirst = order <= 0;
  const first = sourceFirst ? EventOffset.SADDR : EventOffset.DADDR;
  const second = sourceFirst ? EventOffset.DADDR : EventOffset.SADDR;
  const firstPort = sourceFirst ? sport : dport;
  const secondPort = sourceFirst ? dport : sport;
  let o = 6;
  for (let i = 0; i < alen; i++) k[o++] = rec[first + i]!;
  k[o++] = firstPort >> 8;
  k[o++] = firstPort & 0xff;
  for (let i = 0; i < alen; i++) k[o++] = rec[second + i]!;
  k[o++] = secondPort >> 8;
  k[o++] = secondPort & 0xff;
  return k.toString('latin1', 0, o);
}

export function formatIp(b: Buffer, version: 4 | 6): string {
  if (version === 4) return formatIpv4(b, 0);
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  // RFC 5952: compress the longest run (>= 2) of zero groups, the first one on ties.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}

const formatIpv4 = (b: Buffer, off: number) => `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;

/** Decodes one ring record. Throws BpfError EBADMSG when the record is inconsistent. */
export function decodeCaptureEvent(rec: Buffer): CaptureEvent {
  if (rec.length < EVENT_HEADER_LEN) throw new BpfError('EBADMSG', `capture event of ${rec.length} bytes is shorter than its ${EVENT_HEADER_LEN}-byte header`);
  const capLen = rec.readUInt32LE(EventOffset.CAP_LEN);
  if (EVENT_HEADER_LEN + capLen !== rec.length) {
    throw new BpfError('EBADMSG', `capture event: cap_len ${capLen} does not match record length ${rec.length}`);
  }
  const v = rec[EventOffset.IP_VERSION];
  if (v !== 4 && v !== 6) throw new BpfError('EBADMSG', `capture event: ip_version ${v}`);
  return {
    tsNs: rec.readBigUInt64LE(EventOffset.TS_NS),
    ifindex: rec.readUInt32LE(EventOffset.IFINDEX),
    hook: rec[EventOffset.HOOK] === EventHook.EGRESS ? 'egress' : 'ingress',
    point: rec[EventOffset.POINT] === EventPoint.NODE ? 'node' : 'pod',
    ipVersion: v,
    l4Proto: rec[EventOffset.L4_PROTO]!,
    tcpFlags: rec[EventOffset.TCP_FLAGS]!,
    saddr: v === 4 ? formatIpv4(rec, EventOffset.SADDR) : formatIp(rec.subarray(EventOffset.SADDR, EventOffset.SADDR + 16), v),
    daddr: v === 4 ? formatIpv4(rec, EventOffset.DADDR) : formatIp(rec.subarray(EventOffset.DADDR, EventOffset.DADDR + 16), v),
    sport: rec.readUInt16LE(EventOffset.SPORT),
    dport: rec.readUInt16LE(EventOffset.DPORT),
    seq: rec.readUInt32LE(EventOffset.SEQ),
    ack: rec.readUInt32LE(EventOffset.ACK),
    wireLen: rec.readUInt32LE(EventOffset.WIRE_LEN),
    capLen,
    payload: rec.subarray(EVENT_HEADER_LEN),
    connection: connectionOf(rec, v),
  };
}
