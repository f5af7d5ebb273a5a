import type { IntEvent } from '@clovisor/core';
import { dropIngressNs, low32, port16, type ReportHeader } from './report.js';

// Telemetry Report v0.5 as int-host-reporter sends it (ARCHITECTURE.md "INT telemetry report"),
// big-endian:
//   fixed header, 12 bytes:
//     ver(4)=0 | nproto(4) | D(1) Q(1) F(1) | reserved(15) | hw_id(6) | seq_no(32) | ingress_tstamp(32)
//   flow report (HOP): nproto=2, F=1, then the switch-local header, 16 bytes:
//     switch_id(32) | ingress_port(16) | egress_port(16) | queue_id(8) | queue_occupancy(24) | egress_tstamp(32)
//   drop report (DROP): nproto=1, D=1, then the drop header, 12 bytes:
//     switch_id(32) | ingress_port(16) | egress_port(16) | queue_id(8) | drop_reason(8) | pad(16)
//   then the inner Ethernet frame.
// A host has no queues: queue_id and queue_occupancy are 0, as int-host-reporter sends them.

const FIXED = 12;
const SWITCH_LOCAL = 16;
const DROP = 12;
const NPROTO_DROP = 1;
const NPROTO_SWITCH_LOCAL = 2;
const BIT_D = 0x80;
const BIT_F = 0x20;

export function encodeReportV05(event: IntEvent, header: ReportHeader): Buffer {
  const drop = event.kind === 'DROP';
  const headerBytes = FIXED + (drop ? DROP : SWITCH_LOCAL);
  const out = Buffer.alloc(headerBytes + event.packet.length);
  out[0] = drop ? NPROTO_DROP : NPROTO_SWITCH_LOCAL; // version 0 in the high nibble
  out[1] = drop ? BIT_D : BIT_F;
  out[3] = header.hwId & 0x3f;
  out.writeUInt32BE(header.seqNo >>> 0, 4);
  out.writeUInt32BE(low32(drop ? dropIngressNs(event) : event.ingressTimeNs), 8);
  out.writeUInt32BE(header.switchId >>> 0, 12);
  out.writeUInt16BE(port16(event.ingressIfindex), 16);
  out.writeUInt16BE(port16(event.egressIfindex), 18);
  // byte 20: queue_id 0
  if (drop) {
    out[21] = header.dropReason & 0xff;
  } else {
    out.writeUInt32BE(low32(event.egressTimeNs), 24);
  }
  event.packet.copy(out, headerBytes);
  return out;
}
