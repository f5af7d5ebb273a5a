// The ABI of bpf/int.bpf.c: program and map names, the tc filter identity, the ring record and
// the watchlist/config map encodings. Pure (no addon). Keep in lockstep with the header comment
// of int.bpf.c.
import { isIPv4, isIPv6 } from 'node:net';
import { fileURLToPath } from 'node:url';
import { formatIp } from './capture-abi.js';
import { BpfError } from './errors.js';
import { readPerCpuCounter } from './capture-counters.js';
import type { BpfObject } from './object.js';
import type { TcFilterId } from './tc.js';

/** Where build.sh puts the compiled object, relative to this package. */
export const INT_OBJECT_PATH = fileURLToPath(new URL('../../../bpf/build/int.bpf.o', import.meta.url));

export const IntProgram = { INGRESS: 'int_ingress', EGRESS: 'int_egress', KFREE_SKB: 'int_kfree_skb' } as const;
/** The tracepoint int_kfree_skb attaches to (tp_btf/kfree_skb). */
export const INT_DROP_TRACEPOINT = 'kfree_skb';

export const IntMap = {
  INFLIGHT: 'int_inflight',
  RATE: 'int_rate',
  RULES: 'int_rules',
  CONFIG: 'int_config',
  COUNTERS: 'int_counters',
  EVENTS: 'int_events',
} as const;

/**
 * The INT programs' tc filter identity: one priority after capture's (TC_PRIORITY 0xc10), so
 * capture's programs run first and both chains see every packet (both return TC_ACT_UNSPEC), and
 * a handle of its own, so capture's stale-filter cleanup (detachTc with the default identity)
 * never removes ours and ours never removes capture's.
 */
export const INT_TC_FILTER: Required<TcFilterId> = { priority: 0xc11, handle: 0xc2 };

export const INT_RULES_MAX = 64;
export const INT_INFLIGHT_DEFAULT_SIZE = 16384;
export const INT_RATE_DEFAULT_SIZE = 16384;
export const INT_SNAP_LEN = 128;

export const IntCounter = {
  HOP_EMITTED: 0,
  DROP_EMITTED: 1,
  LOST: 2,
  SUPPRESSED: 3,
  FINGERPRINT_MISMATCH: 4,
  INFLIGHT_CREATED: 5,
  INFLIGHT_LOCAL: 6,
  STALE: 7,
  INSERT_FAILED: 8,
  SAME_IFINDEX: 9,
  DROP_SUPPRESSED: 10,
  RATE_KEY_CREATED: 11,
  LATENCY_CAPPED: 12,
  WAKEUP_FORCED: 13,
  NOT_NETWORK_DROP: 14,
} as const;
const COUNTER_COUNT = 15;
/** LATENCY_BUCKET reports allowed per rate key between two FIRST/INTERVAL reports (int.bpf.c). */
export const INT_LATENCY_REPORTS_PER_INTERVAL = 8;
/** At most one forced ring wake-up per CPU per this many ns, for drops (int.bpf.c). */
export const INT_WAKEUP_GAP_NS = 1_000_000n;

export const INT_EVENT_LEN = 216;
export const IntEventOffset = {
  INGRESS_NS: 0, // u64, CLOCK_MONOTONIC, 0 = not seen
  EGRESS_NS: 8, // u64
  DROP_NS: 16, // u64
  INGRESS_IFINDEX: 24, // u32
  EGRESS_IFINDEX: 28, // u32
  DROP_REASON: 32, // u32
  LENGTH: 36, // u32, from the first copied byte
  KIND: 40, // u8: 1 hop, 2 drop
  TRIGGER: 41, // u8: 1 FIRST, 2 INTERVAL, 3 LATENCY_BUCKET, 4 DROP
  FLAGS: 42, // u8: bit 0 = bytes start at the Ethernet header
  FAMILY: 43, // u8: 4 | 6
  PROTOCOL: 44, // u8: 6 | 17
  CAP_LEN: 45, // u8
  SADDR: 48, // 16 bytes, network order
  DADDR: 64,
  SPORT: 80, // u16 host order
  DPORT: 82,
  PACKET: 88, // 128 bytes
} as const;

export type IntEventKind = 'HOP' | 'DROP';
export type IntTrigger = 'FIRST' | 'INTERVAL' | 'LATENCY_BUCKET' | 'DROP';
const KINDS: Record<number, IntEventKind> = { 1: 'HOP', 2: 'DROP' };
const TRIGGERS: Record<number, IntTrigger> = { 1: 'FIRST', 2: 'INTERVAL', 3: 'LATENCY_BUCKET', 4: 'DROP' };

/** One ring record, decoded. Times are CLOCK_MONOTONIC ns (add clockOffsetNs() for epoch). */
export interface IntRawEvent {
  kind: IntEventKind;
  trigger: IntTrigger;
  /** 0 = originated on this host */
  ingressIfindex: number;
  /** 0 = dropped before egress */
  egressIfindex: number;
  ingressNs: bigint | null;
  egressNs: bigint | null;
  dropNs: bigint | null;
  /** the kernel's enum skb_drop_reason value (DROP only) */
  dropReason: number | null;
  ipVersion: 4 | 6;
  /** 5-tuple as the packet left (hop) or as it was when dropped */
  flow: { transport: 'TCP' | 'UDP'; source: { address: string; port: number }; destination: { address: string; port: number } };
  /** true: `packet` starts at the Ethernet header; false: at the IP header (no L2 header was set) */
  hasL2: boolean;
  /** the first ≤ 128 bytes (a copy, safe to keep) */
  packet: Buffer;
  /** full length counted from packet[0] */
  length: number;
}

/** Decodes one ring record. Throws BpfError EBADMSG when the record is inconsistent. */
export function decodeIntEvent(rec: Buffer): IntRawEvent {
  if (rec.length !== INT_EVENT_LEN) throw new BpfError('EBADMSG', `INT event of ${rec.length} bytes, expected ${INT_EVENT_LEN}`);
  const kind = KINDS[rec[IntEventOffset.KIND]!];
  if (kind === undefined) throw new BpfError('EBADMSG', `INT event: kind ${rec[IntEventOffset.KIND]}`);
  const trigger = TRIGGERS[rec[IntEventOffset.TRIGGER]!];
  if (trigger === undefined || (kind === 'DROP') !== (trigger === 'DROP')) {
    throw new BpfError('EBADMSG', `INT event: trigger ${rec[IntEventOffset.TRIGGER]} for kind ${kind}`);
  }
  const family = rec[IntEventOffset.FAMILY];
  if (family !== 4 && family !== 6) throw new BpfError('EBADMSG', `INT event: family ${family}`);
  const proto = rec[IntEventOffset.PROTOCOL];
  if (proto !== 6 && proto !== 17) throw new BpfError('EBADMSG', `INT event: protocol ${proto}`);
  const capLen = rec[IntEventOffset.CAP_LEN]!;
  if (capLen > INT_SNAP_LEN) throw new BpfError('EBADMSG', `INT event: cap_len ${capLen} > ${INT_SNAP_LEN}`);
  const time = (off: number): bigint | null => {
    const t = rec.readBigUInt64LE(off);
    return t === 0n ? null : t;
  };
  const addr = (off: number) => formatIp(rec.subarray(off, off + 16), family);
  return {
    kind,
    trigger,
    ingressIfindex: rec.readUInt32LE(IntEventOffset.INGRESS_IFINDEX),
    egressIfindex: rec.readUInt32LE(IntEventOffset.EGRESS_IFINDEX),
    ingressNs: time(IntEventOffset.INGRESS_NS),
    egressNs: time(IntEventOffset.EGRESS_NS),
    dropNs: time(IntEventOffset.DROP_NS),
    dropReason: kind === 'DROP' ? rec.readUInt32LE(IntEventOffset.DROP_REASON) : null,
    ipVersion: family,
    flow: {
      transport: proto === 6 ? 'TCP' : 'UDP',
      source: { address: addr(IntEventOffset.SADDR), port: rec.readUInt16LE(IntEventOffset.SPORT) },
      destination: { address: addr(IntEventOffset.DADDR), port: rec.readUInt16LE(IntEventOffset.DPORT) },
    },
    hasL2: (rec[IntEventOffset.FLAGS]! & 1) === 1,
    packet: Buffer.from(rec.subarray(IntEventOffset.PACKET, IntEventOffset.PACKET + capLen)),
    length: rec.readUInt32LE(IntEventOffset.LENGTH),
  };
}

const ETH_HLEN = 14;

/**
 * The event's bytes as an Ethernet frame of at most 128 bytes, and the full frame length: a
 * packet the kernel held without a link-layer header gets a zero-MAC header (EtherType by IP
 * version) in front, as INT collectors expect a frame.
 */
export function intEventFrame(ev: IntRawEvent): { packet: Buffer; packetLength: number } {
  if (ev.hasL2) return { packet: ev.packet, packetLength: ev.length };
  const eth = Buffer.alloc(ETH_HLEN);
  eth.writeUInt16BE(ev.ipVersion === 4 ? 0x0800 : 0x86dd, 12);
  return { packet: Buffer.concat([eth, ev.packet]).subarray(0, INT_SNAP_LEN), packetLength: ev.length + ETH_HLEN };
}

// ---- watchlist and configuration --------------------------------------------------------------

/** A watchlist rule. CIDRs are "a.b.c.d/n" or "v6::/n" (a bare address = a host); omitted = any. */
export interface IntRule {
  /** omitted = TCP or UDP */
  protocol?: 'TCP' | 'UDP';
  srcCidr?: string;
  dstCidr?: string;
  /** 0 or omitted = any */
  srcPort?: number;
  dstPort?: number;
}

export const INT_RULE_LEN = 72;
export const INT_CONFIG_LEN = 32;

interface Cidr {
  family: 4 | 6;
  net: Buffer; // 16 bytes
  mask: Buffer; // 16 bytes
}

function ipv6Bytes(text: string): Buffer | null {
  // an embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups
  let s = text;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    s = s.slice(0, -v4[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parse = (h: string) => (h === '' ? [] : h.split(':').map((g) => Number.parseInt(g, 16)));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return null;
  const groups = [...head, ...Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** Parses "addr/len" (or a bare address) into network and mask bytes. Throws BpfError EINVAL. */
export function parseCidr(text: string): Cidr {
  const [addr = '', len, ...rest] = text.trim().split('/');
  const family = isIPv4(addr) ? 4 : isIPv6(addr) ? 6 : 0;
  const bits = family === 4 ? 32 : 128;
  const prefix = len === undefined ? bits : Number(len);
  if (family === 0 || rest.length > 0 || !/^\d*$/.test(len ?? '') || !Number.isInteger(prefix) || prefix < 0 || prefix > bits) {
    throw new BpfError('EINVAL', `not a CIDR: ${JSON.stringify(text)} (expected e.g. 10.0.0.0/8 or fd00::/64)`);
  }
  const net = Buffer.alloc(16);
  if (family === 4) Buffer.from(addr.split('.').map(Number)).copy(net);
  else ipv6Bytes(addr)!.copy(net);
  const mask = Buffer.alloc(16);
  for (let i = 0; i < prefix; i++) mask[i >> 3]! |= 0x80 >> (i & 7);
  for (let i = 0; i < 16; i++) net[i] = net[i]! & mask[i]!;
  return { family, net, mask };
}

function checkPort(p: number | undefined, what: string): number {
  const v = p ?? 0;
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new BpfError('EINVAL', `${what} must be 0..65535, got ${p}`);
  return v;
}

/** `int_rules` value. Throws BpfError EINVAL for a bad CIDR/port or CIDRs of two families. */
export function encodeIntRule(rule: IntRule): Buffer {
  const src = rule.srcCidr === undefined ? null : parseCidr(rule.srcCidr);
  const dst = rule.dstCidr === undefined ? null : parseCidr(rule.dstCidr);
  if (src && dst && src.family !== dst.family) {
    throw new BpfError('EINVAL', `watchlist rule mixes IPv${src.family} and IPv${dst.family}: ${rule.srcCidr} → ${rule.dstCidr}`);
  }
  if (rule.protocol !== undefined && rule.protocol !== 'TCP' && rule.protocol !== 'UDP') {
    throw new BpfError('EINVAL', `watchlist rule protocol must be TCP or UDP, got ${String(rule.protocol)}`);
  }
  const b = Buffer.alloc(INT_RULE_LEN);
  if (src) { src.net.copy(b, 0); src.mask.copy(b, 16); }
  if (dst) { dst.net.copy(b, 32); dst.mask.copy(b, 48); }
  b.writeUInt16LE(checkPort(rule.srcPort, 'srcPort'), 64);
  b.writeUInt16LE(checkPort(rule.dstPort, 'dstPort'), 66);
  b[68] = src?.family ?? dst?.family ?? 0;
  b[69] = rule.protocol === 'TCP' ? 6 : rule.protocol === 'UDP' ? 17 : 0;
  return b;
}

export const IntMode = { OFF: 0, RULES: 1, ALL: 2 } as const;

export interface IntConfig {
  mode: (typeof IntMode)[keyof typeof IntMode];
  ruleCount: number;
  /** periodic report interval per (flow, ingress, egress); 0 = every hop */
  intervalNs: bigint;
  /** latency bucket = latency_ns >> shift; 64 or more = no bucket-change reports */
  latencyBucketShift: number;
  /** entries older than this are not trusted; 0 = the object's default (1 s) */
  maxAgeNs: bigint;
}

/** `int_config` value. Throws BpfError EINVAL when a field is out of range. */
export function encodeIntConfig(c: IntConfig): Buffer {
  if (!Object.values(IntMode).includes(c.mode)) throw new BpfError('EINVAL', `INT mode must be 0, 1 or 2, got ${c.mode}`);
  if (!Number.isInteger(c.ruleCount) || c.ruleCount < 0 || c.ruleCount > INT_RULES_MAX) {
    throw new BpfError('EINVAL', `at most ${INT_RULES_MAX} watchlist rules, got ${c.ruleCount}`);
  }
  if (!Number.isInteger(c.latencyBucketShift) || c.latencyBucketShift < 0 || c.latencyBucketShift > 64) {
    throw new BpfError('EINVAL', `latencyBucketShift must be 0..64 (64 = off), got ${c.latencyBucketShift}`);
  }
  if (c.intervalNs < 0n || c.maxAgeNs < 0n) throw new BpfError('EINVAL', 'INT intervals must not be negative');
  const b = Buffer.alloc(INT_CONFIG_LEN);
  b.writeUInt32LE(c.mode, 0);
  b.writeUInt32LE(c.ruleCount, 4);
  b.writeBigUInt64LE(c.intervalNs, 8);
  b.writeUInt32LE(c.latencyBucketShift, 16);
  b.writeBigUInt64LE(c.maxAgeNs, 24);
  return b;
}

export interface IntCounters {
  hopsEmitted: bigint;
  dropsEmitted: bigint;
  /** ring buffer full */
  lost: bigint;
  /** hops the rate limit did not report */
  suppressed: bigint;
  /** an entry at the skb's address belonged to another packet */
  fingerprintMismatches: bigint;
  inflightCreated: bigint;
  /** entries made at egress for packets originated on this host */
  inflightLocal: bigint;
  /** entries too old to trust */
  stale: bigint;
  insertFailed: bigint;
  /** left on the interface it entered on: not a hop */
  sameIfindex: bigint;
  /** drops the per-(flow, ingress, egress, reason) rate limit did not report */
  dropsSuppressed: bigint;
  /** int_rate entries made; beyond its size (16384) evicted keys are made again and report FIRST */
  rateKeysCreated: bigint;
  /** latency-bucket changes not reported: INT_LATENCY_REPORTS_PER_INTERVAL reached */
  latencyCapped: bigint;
  /** drops submitted with a forced ring wake-up (at most one per CPU per INT_WAKEUP_GAP_NS) */
  wakeupsForced: bigint;
  /** tracked packets freed as QUEUE_PURGE (unread data freed when its socket closed): counted, not reported */
  dropsNotNetwork: bigint;
}

/** Sums int.bpf.c's per-CPU counters over all CPUs. */
export function readIntCounters(obj: BpfObject): IntCounters {
  const map = obj.map(IntMap.COUNTERS);
  const v = Array.from({ length: COUNTER_COUNT }, (_, i) => readPerCpuCounter(map, i));
  return {
    hopsEmitted: v[IntCounter.HOP_EMITTED]!,
    dropsEmitted: v[IntCounter.DROP_EMITTED]!,
    lost: v[IntCounter.LOST]!,
    suppressed: v[IntCounter.SUPPRESSED]!,
    fingerprintMismatches: v[IntCounter.FINGERPRINT_MISMATCH]!,
    inflightCreated: v[IntCounter.INFLIGHT_CREATED]!,
    inflightLocal: v[IntCounter.INFLIGHT_LOCAL]!,
    stale: v[IntCounter.STALE]!,
    insertFailed: v[IntCounter.INSERT_FAILED]!,
    sameIfindex: v[IntCounter.SAME_IFINDEX]!,
    dropsSuppressed: v[IntCounter.DROP_SUPPRESSED]!,
    rateKeysCreated: v[IntCounter.RATE_KEY_CREATED]!,
    latencyCapped: v[IntCounter.LATENCY_CAPPED]!,
    wakeupsForced: v[IntCounter.WAKEUP_FORCED]!,
    dropsNotNetwork: v[IntCounter.NOT_NETWORK_DROP]!,
  };
}
