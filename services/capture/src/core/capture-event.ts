import { DecodeError, type Transport } from '@clovisor/core';

// One ring-buffer record of bpf/capture.bpf.c (little-endian, 72-byte header, then payload):
//   u64 ts_ns @0 (CLOCK_MONOTONIC) | u32 ifindex @8 | u8 hook @12 (0 tc ingress, 1 tc egress)
//   u8 ip_version @13 | u8 l4_proto @14 (6 TCP, 17 UDP) | u8 tcp_flags @15
//   u8 saddr[16] @16 | u8 daddr[16] @32 (IPv4 in the first 4 bytes, network order)
//   u16 sport @48 | u16 dport @50 | u32 seq @52 | u32 ack @56 (host order)
//   u32 wire_len @60 (L4 payload on the wire) | u32 cap_len @64 | u32 pad @68 | payload @72
export const CAPTURE_EVENT_HEADER_BYTES = 72;

/** tc ingress on a pod's host-side veth sees packets leaving the pod; egress, packets entering it. */
export type TcHook = 'ingress' | 'egress';

export interface CaptureEvent {
  monotonicNs: bigint;
  ifindex: number;
  hook: TcHook;
  transport: Transport;
  flags: number;
  srcAddress: string;
  srcPort: number;
  dstAddress: string;
  dstPort: number;
  seq: number;
  ack: number;
  wireLength: number;
  payload: Buffer;
}

function ipv4(bytes: Buffer, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** RFC 5952 text form: lower case, longest zero run (≥2 groups) as "::". */
export function ipv6(bytes: Buffer, offset: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(bytes.readUInt16BE(offset + i * 2));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Decodes one record. The payload is copied: the batch buffer it came in is not ours to keep. */
export function decodeCaptureEvent(record: Buffer): CaptureEvent {
  if (record.length < CAPTURE_EVENT_HEADER_BYTES) {
    throw new DecodeError('CAPTURE_EVENT_SHORT', `capture event of ${record.length} bytes is shorter than its ${CAPTURE_EVENT_HEADER_BYTES}-byte header`);
  }
  const ipVersion = record[13];
  const l4 = record[14];
  const capLen = record.readUInt32LE(64);
  if ((ipVersion !== 4 && ipVersion !== 6) || (l4 !== 6 && l4 !== 17) || CAPTURE_EVENT_HEADER_BYTES + capLen > record.length) {
    throw new DecodeError('CAPTURE_EVENT_INVALID', `capture event malformed (ip version ${ipVersion}, l4 ${l4}, cap_len ${capLen}, size ${record.length}); the BPF object and the agent are out of step: rebuild`);
  }
  const addr = ipVersion === 4 ? ipv4 : ipv6;
  return {
    monotonicNs: record.readBigUInt64LE(0),
    ifindex: record.readUInt32LE(8),
    hook: record[12] === 0 ? 'ingress' : 'egress',
    transport: l4 === 6 ? 'TCP' : 'UDP',
    flags: record[15]!,
    srcAddress: addr(record, 16),
    dstAddress: addr(record, 32),
    srcPort: record.readUInt16LE(48),
    dstPort: record.readUInt16LE(50),
    seq: record.readUInt32LE(52),
    ack: record.readUInt32LE(56),
    wireLength: record.readUInt32LE(60),
    payload: Buffer.from(record.subarray(CAPTURE_EVENT_HEADER_BYTES, CAPTURE_EVENT_HEADER_BYTES + capLen)),
  };
}
