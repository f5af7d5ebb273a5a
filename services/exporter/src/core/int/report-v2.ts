import type { IntEvent } from '@clovisor/core';
import { dropIngressNs, port16, type ReportHeader } from './report.js';

// Telemetry Report Format Specification v2.0 (P4.org, 2020-05-25), one individual report per
// packet, big-endian:
//   Telemetry Report Group Header (§3.2), 8 bytes:
//     Ver(4)=2 | hw_id(6) | Sequence Number(22) | Node ID(32)
//   Individual Report Header (§3.3), 4 bytes:
//     RepType(4)=1 INT | InType(4)=3 Ethernet | Report Length(8) | MD Length(8) | D Q F I (1 each) | Rsvd(4)
//   Individual Report Main Contents for RepType INT (§3.3.1), 8 bytes:
//     RepMdBits(16) | Domain Specific ID(16)=0 | DSMdBits(16)=0 | DSMdstatus(16)=0
//   then the optional baseline metadata of the RepMdBits set, in bit order (bit 0 = MSB):
//     bit 1  ingress interface id(16) | egress interface id(16)        (HOP and DROP)
//     bit 2  hop latency(32), ns, egress - ingress                     (HOP with both times)
//     bit 4  ingress timestamp(64), epoch ns                           (when known; a DROP of a
//            packet that originated on the host carries its drop time)
//     bit 5  egress timestamp(64), epoch ns                            (HOP with an egress time)
//     bit 15 queue id(8)=0 | drop reason(8) | padding(16)              (DROP)
//   then the truncated packet (the inner Ethernet frame), zero-padded to a 4-byte multiple:
//   Report Length counts 4-byte words after the first header word.
// HOP: F=1; DROP: D=1. Q and I are 0 (a host has no queues and embeds no INT-MD).

const GROUP = 8;
const INDIVIDUAL = 4;
const MAIN_FIXED = 8;
const VERSION = 2;
const REP_TYPE_INT = 1;
const IN_TYPE_ETHERNET = 3;
const SEQ_MASK = 0x3f_ffff;
const MAX_REPORT_WORDS = 0xff;

const bit = (n: number): number => 0x8000 >>> n;
const MD_INTERFACES = bit(1);
const MD_HOP_LATENCY = bit(2);
const MD_INGRESS_TS = bit(4);
const MD_EGRESS_TS = bit(5);
const MD_DROP_REASON = bit(15);
const FLAG_D = 0x80;
const FLAG_F = 0x20;

export function encodeReportV2(event: IntEvent, header: ReportHeader): Buffer {
  const drop = event.kind === 'DROP';
  const ingressNs = drop ? dropIngressNs(event) : event.ingressTimeNs;
  const egressNs = drop ? null : event.egressTimeNs;
  const latencyNs = ingressNs !== null && egressNs !== null && egressNs >= ingressNs ? egressNs - ingressNs : null;

  let mdBits = MD_INTERFACES;
  if (latencyNs !== null) mdBits |= MD_HOP_LATENCY;
  if (ingressNs !== null) mdBits |= MD_INGRESS_TS;
  if (egressNs !== null) mdBits |= MD_EGRESS_TS;
  if (drop) mdBits |= MD_DROP_REASON;
  const mdBytes = 4 + (latencyNs !== null ? 4 : 0) + (ingressNs !== null ? 8 : 0) + (egressNs !== null ? 8 : 0) + (drop ? 4 : 0);

  // the packet as far as Report Length (8 bits of words) can say
  const room = MAX_REPORT_WORDS * 4 - MAIN_FIXED - mdBytes;
  const frame = event.packet.subarray(0, Math.min(event.packet.length, room));
  const frameBytes = Math.ceil(frame.length / 4) * 4;
  const reportWords = (MAIN_FIXED + mdBytes + frameBytes) / 4;

  const out = Buffer.alloc(GROUP + INDIVIDUAL + MAIN_FIXED + mdBytes + frameBytes);
  out.writeUInt32BE(((VERSION << 28) | ((header.hwId & 0x3f) << 22) | (header.seqNo & SEQ_MASK)) >>> 0, 0);
  out.writeUInt32BE(header.switchId >>> 0, 4);
  out[8] = (REP_TYPE_INT << 4) | IN_TYPE_ETHERNET;
  out[9] = reportWords;
  out[10] = mdBytes / 4;
  out[11] = drop ? FLAG_D : FLAG_F;
  out.writeUInt16BE(mdBits, 12);
  // 14..19: Domain Specific ID, DSMdBits, DSMdstatus = 0 (the default domain)
  let at = GROUP + INDIVIDUAL + MAIN_FIXED;
  at = out.writeUInt16BE(port16(event.ingressIfindex), at);
  at = out.writeUInt16BE(port16(event.egressIfindex), at);
  if (latencyNs !== null) at = out.writeUInt32BE(latencyNs > 0xffff_ffffn ? 0xffff_ffff : Number(latencyNs), at);
  if (ingressNs !== null) at = out.writeBigUInt64BE(ingressNs, at);
  if (egressNs !== null) at = out.writeBigUInt64BE(egressNs, at);
  if (drop) {
    out[at + 1] = header.dropReason & 0xff; // queue id 0, then the reason, then 16 bits of padding
    at += 4;
  }
  frame.copy(out, at);
  return out;
}
