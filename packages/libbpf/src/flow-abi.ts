// The kernel flow table of bpf/capture.bpf.c (map `flows`, LRU hash): key and value layouts,
// mirrored from struct flow_key / struct flow_state. Pure (no addon); capture-abi.test.ts checks
// the offsets against the object's BTF.
import { BpfError } from './errors.js';
import { formatIp } from './capture-abi.js';

/** Default max_entries of `flows` (the agent sets its own with --flow-table-size). */
export const FLOW_TABLE_DEFAULT_SIZE = 131_072;

export const FlowKeyOffset = { ADDR_A: 0, ADDR_B: 16, PORT_A: 32, PORT_B: 34, L4_PROTO: 36, IP_VERSION: 37, PAD: 38 } as const;
export const FLOW_KEY_LEN = 40;

export const FlowStateOffset = {
  FIRST_NS: 0, // u64 CLOCK_MONOTONIC
  LAST_NS: 8, // u64: latest packet on the owning pod interface
  PACKETS: 16, // u64[2]: [sent by a, sent by b]
  BYTES: 32, // u64[2]: L4 payload bytes on the wire
  NODE_FIRST_NS: 48, // u64[2]: first time the direction crossed a node NIC; 0 = never
  NODE_LAST_NS: 64, // u64[2]
  IFINDEX: 80, // u32: pod interface that owns the entry
  NODE_IFINDEX: 84, // u32: node NIC seen last; 0 = none
  FLAGS: 88, // u8[2]: OR of TCP flags per direction
  PAD: 90, // 6 bytes
} as const;
export const FLOW_STATE_LEN = 96;

export interface FlowEndpoint {
  address: string;
  port: number;
}

/** A flow-table key: endpoint a sorts first (address bytes, then port), so both directions share it. */
export interface FlowKey {
  ipVersion: 4 | 6;
  l4Proto: number;
  a: FlowEndpoint;
  b: FlowEndpoint;
}

/** Pairs are indexed by direction: [0] = sent by a, [1] = sent by b. */
export interface FlowState {
  firstNs: bigint;
  lastNs: bigint;
  packets: [bigint, bigint];
  bytes: [bigint, bigint];
  /** 0n = the direction never crossed a node NIC */
  nodeFirstNs: [bigint, bigint];
  nodeLastNs: [bigint, bigint];
  ifindex: number;
  nodeIfindex: number;
  flags: [number, number];
}

/** Text IPv4 / IPv6 address → 16 bytes as the kernel stores it (IPv4 in the first 4). */
export function ipBytes(address: string, version: 4 | 6): Buffer {
  const out = Buffer.alloc(16);
  if (version === 4) {
    const parts = address.split('.').map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new BpfError('EINVAL', `not an IPv4 address: ${address}`);
    parts.forEach((p, i) => (out[i] = p));
    return out;
  }
  const [head, tail, extra] = address.split('::');
  if (extra !== undefined) throw new BpfError('EINVAL', `not an IPv6 address: ${address}`);
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (all.length !== 8 || all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) throw new BpfError('EINVAL', `not an IPv6 address: ${address}`);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** Canonical key of a packet's 5-tuple, the way flow_key_of() in BPF builds it. */
export function encodeFlowKey(t: { ipVersion: 4 | 6; l4Proto: number; saddr: string; sport: number; daddr: string; dport: number }): Buffer {
  const s = ipBytes(t.saddr, t.ipVersion);
  const d = ipBytes(t.daddr, t.ipVersion);
  const cmp = Buffer.compare(s, d) || Math.sign(t.sport - t.dport);
  const [addrA, portA, addrB, portB] = cmp > 0 ? [d, t.dport, s, t.sport] : [s, t.sport, d, t.dport];
  const k = Buffer.alloc(FLOW_KEY_LEN);
  addrA.copy(k, FlowKeyOffset.ADDR_A);
  addrB.copy(k, FlowKeyOffset.ADDR_B);
  k.writeUInt16LE(portA, FlowKeyOffset.PORT_A);
  k.writeUInt16LE(portB, FlowKeyOffset.PORT_B);
  k[FlowKeyOffset.L4_PROTO] = t.l4Proto;
  k[FlowKeyOffset.IP_VERSION] = t.ipVersion;
  return k;
}

export function decodeFlowKey(k: Buffer): FlowKey {
  if (k.length !== FLOW_KEY_LEN) throw new BpfError('EBADMSG', `flow key must be ${FLOW_KEY_LEN} bytes, got ${k.length}`);
  const v = k[FlowKeyOffset.IP_VERSION];
  if (v !== 4 && v !== 6) throw new BpfError('EBADMSG', `flow key: ip_version ${v}`);
  return {
    ipVersion: v,
    l4Proto: k[FlowKeyOffset.L4_PROTO]!,
    a: { address: formatIp(k.subarray(FlowKeyOffset.ADDR_A, FlowKeyOffset.ADDR_A + 16), v), port: k.readUInt16LE(FlowKeyOffset.PORT_A) },
    b: { address: formatIp(k.subarray(FlowKeyOffset.ADDR_B, FlowKeyOffset.ADDR_B + 16), v), port: k.readUInt16LE(FlowKeyOffset.PORT_B) },
  };
}

/** Only the last-seen time: what the idle sweeper needs for every entry. */
export function flowLastNs(v: Buffer): bigint {
  return v.readBigUInt64LE(FlowStateOffset.LAST_NS);
}

export function decodeFlowState(v: Buffer): FlowState {
  if (v.length !== FLOW_STATE_LEN) throw new BpfError('EBADMSG', `flow state must be ${FLOW_STATE_LEN} bytes, got ${v.length}`);
  const pair = (off: number): [bigint, bigint] => [v.readBigUInt64LE(off), v.readBigUInt64LE(off + 8)];
  return {
    firstNs: v.readBigUInt64LE(FlowStateOffset.FIRST_NS),
    lastNs: v.readBigUInt64LE(FlowStateOffset.LAST_NS),
    packets: pair(FlowStateOffset.PACKETS),
    bytes: pair(FlowStateOffset.BYTES),
    nodeFirstNs: pair(FlowStateOffset.NODE_FIRST_NS),
    nodeLastNs: pair(FlowStateOffset.NODE_LAST_NS),
    ifindex: v.readUInt32LE(FlowStateOffset.IFINDEX),
    nodeIfindex: v.readUInt32LE(FlowStateOffset.NODE_IFINDEX),
    flags: [v[FlowStateOffset.FLAGS]!, v[FlowStateOffset.FLAGS + 1]!],
  };
}
