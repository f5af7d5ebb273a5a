// The ABI of bpf/capture.bpf.c: map names, key/value layouts, counter indices and the event
// record layout. Pure (no addon). Keep in lockstep with the header comment of capture.bpf.c;
// capture-abi.test.ts checks these offsets against the object's BTF.
import { fileURLToPath } from 'node:url';
import { BpfError } from './errors.js';

/** Where build.sh puts the compiled object, relative to this package. */
export const CAPTURE_OBJECT_PATH = fileURLToPath(new URL('../../../bpf/build/capture.bpf.o', import.meta.url));

export const CaptureProgram = { INGRESS: 'capture_ingress', EGRESS: 'capture_egress' } as const;
export const CaptureMap = { PORTS: 'ports', CONFIG: 'config', COUNTERS: 'counters', EVENTS: 'events' } as const;

export const CAPTURE_MAX_SNAPLEN = 8192;
export const CAPTURE_DEFAULT_SNAPLEN = 4096;
export const CAPTURE_PORTS_MAX_ENTRIES = 1024;

/** Indices of the per-CPU `counters` array (__u64 each). */
export const CaptureCounter = {
  EMITTED: 0,
  LOST: 1, // ring buffer full
  TRUNCATED: 2, // payload cut by snaplen
  PAYLOAD_BYTES: 3,
  MATCHED: 4, // all packets of monitored ports, including pure ACKs that were not copied
} as const;
export const CAPTURE_COUNTER_COUNT = 5;

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
  PAD: 68, // u32
  PAYLOAD: 72,
} as const;
export const EVENT_HEADER_LEN = 72;

export const EventHook = { INGRESS: 0, EGRESS: 1 } as const;
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
}

export function formatIp(b: Buffer, version: 4 | 6): string {
  if (version === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
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
    ipVersion: v,
    l4Proto: rec[EventOffset.L4_PROTO]!,
    tcpFlags: rec[EventOffset.TCP_FLAGS]!,
    saddr: formatIp(rec.subarray(EventOffset.SADDR, EventOffset.SADDR + 16), v),
    daddr: formatIp(rec.subarray(EventOffset.DADDR, EventOffset.DADDR + 16), v),
    sport: rec.readUInt16LE(EventOffset.SPORT),
    dport: rec.readUInt16LE(EventOffset.DPORT),
    seq: rec.readUInt32LE(EventOffset.SEQ),
    ack: rec.readUInt32LE(EventOffset.ACK),
    wireLen: rec.readUInt32LE(EventOffset.WIRE_LEN),
    capLen,
    payload: rec.subarray(EVENT_HEADER_LEN),
  };
}
