import type { IntEvent } from '@clovisor/core';

// What one telemetry report says, whatever its version: the event plus the header fields the
// exporter assigns (who sends it, its sequence number, the INT drop reason).

export interface ReportHeader {
  /** switch_id (v0.5) / Node ID (v2.0) */
  switchId: number;
  /** 0..63 */
  hwId: number;
  seqNo: number;
  /** INT drop reason code; used by drop reports only */
  dropReason: number;
}

export type IntVersion = '0.5' | '2';

/** Low 32 bits of an epoch-ns time; 0 when unknown. */
export function low32(ns: bigint | null): number {
  return ns === null ? 0 : Number(ns & 0xffff_ffffn);
}

/** Port ids are 16 bits on the wire: an ifindex above 65535 keeps its low 16 bits. */
export function port16(ifindex: number): number {
  return ifindex & 0xffff;
}

/** A drop's ingress time: when it entered this host, else when it was dropped (originated here). */
export function dropIngressNs(event: IntEvent): bigint | null {
  return event.ingressTimeNs ?? event.dropTimeNs;
}
