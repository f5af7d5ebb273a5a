import type { Endpoint, IntEvent, IntReportBatch, IntReportTrigger, Transport } from '@clovisor/core';
import { ipv6Text } from './ip-address.js';

// Pure: raw INT events of the kernel (bpf/int.bpf.c, decoded by @clovisor/libbpf) → IntEvent
// records, and the bounded queue they wait in before going to Kafka as IntReportBatch.

/** What capture needs of one decoded kernel event (IntProbe's events have these fields). */
export interface RawIntEvent {
  kind: 'HOP' | 'DROP';
  trigger: IntReportTrigger;
  /** CLOCK_MONOTONIC ns; 0 = not seen there */
  ingressNs: bigint;
  egressNs: bigint;
  dropNs: bigint;
  ingressIfindex: number;
  egressIfindex: number;
  /** the kernel's enum skb_drop_reason value; 0 for a hop */
  dropReason: number;
  /** full length of the packet from its first copied byte */
  length: number;
  /** the copied bytes start at the Ethernet header (else at the IP header) */
  hasL2: boolean;
  /** first bytes of the packet (≤ 128) */
  packet: Buffer;
  /** the kernel's parse of the 5-tuple, when it gives one */
  flow?: { transport: Transport; source: Endpoint; destination: Endpoint } | null;
}

export const INT_PACKET_BYTES = 128;
const ETH_HLEN = 14;

/**
 * One IntEvent from a raw event. `offsetNs` = CLOCK_REALTIME − CLOCK_MONOTONIC (clockOffsetNs(),
 * as capture converts its packet times); `reasonNames` = the kernel's skb_drop_reason names by
 * value (from its BTF), with or without the SKB_DROP_REASON_ prefix. Null when the 5-tuple can
 * be found neither in the event nor in the bytes (then the event is not worth a report).
 */
export function toIntEvent(raw: RawIntEvent, offsetNs: bigint, reasonNames: ReadonlyMap<number, string>): IntEvent | null {
  const packet = raw.hasL2 ? raw.packet.subarray(0, INT_PACKET_BYTES) : withZeroEthernet(raw.packet);
  const flow = raw.flow ?? parseFiveTuple(packet);
  if (!flow) return null;
  const epoch = (ns: bigint) => (ns === 0n ? null : ns + offsetNs);
  const drop = raw.kind === 'DROP';
  return {
    kind: raw.kind,
    trigger: raw.trigger,
    ingressIfindex: raw.ingressIfindex,
    egressIfindex: raw.egressIfindex,
    ingressTimeNs: epoch(raw.ingressNs),
    egressTimeNs: epoch(raw.egressNs),
    dropTimeNs: drop ? epoch(raw.dropNs) : null,
    dropReason: drop ? raw.dropReason : null,
    dropReasonName: drop ? dropReasonName(raw.dropReason, reasonNames) : null,
    flow,
    packet: Buffer.from(packet), // a copy: the raw bytes are a view of the ring batch
    packetLength: raw.length + (raw.hasL2 ? 0 : ETH_HLEN),
  };
}

/** `SKB_DROP_REASON_IP_INNOROUTES` or `IP_INNOROUTES` → `IP_INNOROUTES`; unknown value → null. */
export function dropReasonName(value: number, names: ReadonlyMap<number, string>): string | null {
  const name = names.get(value);
  return name === undefined ? null : name.replace(/^SKB_DROP_REASON_/, '');
}

/**
 * An IP packet as an Ethernet frame: zero MACs and the EtherType of its IP version (INT
 * collectors parse the inner frame from the Ethernet header on), cut at 128 bytes.
 */
export function withZeroEthernet(ipPacket: Buffer): Buffer {
  const version = ipPacket.length > 0 ? ipPacket[0]! >> 4 : 0;
  const frame = Buffer.alloc(Math.min(INT_PACKET_BYTES, ETH_HLEN + ipPacket.length));
  frame.writeUInt16BE(version === 6 ? 0x86dd : 0x0800, 12);
  ipPacket.copy(frame, ETH_HLEN, 0, frame.length - ETH_HLEN);
  return frame;
}

/** The 5-tuple of an Ethernet frame (one VLAN tag allowed), IPv4/IPv6, TCP/UDP; null otherwise. */
export function parseFiveTuple(frame: Buffer): { transport: Transport; source: Endpoint; destination: Endpoint } | null {
  let off = 12;
  if (frame.length < off + 2) return null;
  let type = frame.readUInt16BE(off);
  off += 2;
  if (type === 0x8100 || type === 0x88a8) {
    if (frame.length < off + 4) return null;
    type = frame.readUInt16BE(off + 2);
    off += 4;
  }
  let proto: number, src: string, dst: string, l4: number;
  if (type === 0x0800) {
    if (frame.length < off + 20 || frame[off]! >> 4 !== 4) return null;
    const ihl = (frame[off]! & 0x0f) * 4;
    if (ihl < 20 || (frame.readUInt16BE(off + 6) & 0x1fff) !== 0) return null; // a later fragment has no ports
    proto = frame[off + 9]!;
    src = [...frame.subarray(off + 12, off + 16)].join('.');
    dst = [...frame.subarray(off + 16, off + 20)].join('.');
    l4 = off + ihl;
  } else if (type === 0x86dd) {
    if (frame.length < off + 40 || frame[off]! >> 4 !== 6) return null;
    proto = frame[off + 6]!; // extension headers are not followed, as in the kernel program
    src = ipv6Text(frame.subarray(off + 8, off + 24));
    dst = ipv6Text(frame.subarray(off + 24, off + 40));
    l4 = off + 40;
  } else {
    return null;
  }
  if ((proto !== 6 && proto !== 17) || frame.length < l4 + 4) return null;
  return {
    transport: proto === 6 ? 'TCP' : 'UDP',
    source: { address: src, port: frame.readUInt16BE(l4) },
    destination: { address: dst, port: frame.readUInt16BE(l4 + 2) },
  };
}

export interface IntEventQueueStats {
  queued: number;
  /** events dropped because the queue was full (Kafka slow or down) */
  dropped: number;
  /** DROP events among them: the ones an operator misses most */
  droppedDrops: number;
}

/**
 * Events waiting for Kafka, at most `maxEvents`; past that the oldest are dropped and counted.
 * take() cuts them into IntReportBatch records of at most `maxPerBatch` events; a failed send
 * puts its events back in front (restore), still within the bound.
 */
export class IntEventQueue {
  private events: IntEvent[] = [];
  private dropsQueued = 0;
  private readonly counters = { dropped: 0, droppedDrops: 0 };

  constructor(private readonly o: { node: string; nodeAddress: string | null; maxEvents: number; maxPerBatch: number }) {}

  add(events: readonly IntEvent[]): void {
    for (const e of events) {
      this.events.push(e);
      if (e.kind === 'DROP') this.dropsQueued += 1;
    }
    this.trim();
  }

  /** A DROP waits: the caller flushes at once instead of at the next interval. */
  hasDrop(): boolean {
    return this.dropsQueued > 0;
  }

  get size(): number {
    return this.events.length;
  }

  /** Takes up to maxPerBatch events as one batch; null when empty. */
  take(): IntReportBatch | null {
    if (this.events.length === 0) return null;
    const events = this.events.splice(0, this.o.maxPerBatch);
    this.dropsQueued -= countDrops(events);
    return { node: this.o.node, nodeAddress: this.o.nodeAddress, events };
  }

  /** Puts a batch whose send failed back in front (the oldest events again go first when full). */
  restore(batch: IntReportBatch): void {
    this.events.unshift(...batch.events);
    this.dropsQueued += countDrops(batch.events);
    this.trim();
  }

  stats(): IntEventQueueStats {
    return { queued: this.events.length, ...this.counters };
  }

  private trim(): void {
    const excess = this.events.length - this.o.maxEvents;
    if (excess <= 0) return;
    const gone = this.events.splice(0, excess);
    const drops = countDrops(gone);
    this.dropsQueued -= drops;
    this.counters.dropped += excess;
    this.counters.droppedDrops += drops;
  }
}

function countDrops(events: readonly IntEvent[]): number {
  let n = 0;
  for (const e of events) if (e.kind === 'DROP') n += 1;
  return n;
}
