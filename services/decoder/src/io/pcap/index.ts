// Capture file bytes → SegmentBatch records (what `clovisor pcap decode` and the tests feed to
// the decoder). Pure: no file system; the caller reads the file.
import { readPackets, type ContainerStats } from './capture-file.js';
import { FlowGrouper, type FlowOptions } from './flows.js';
import { decodePacket } from './packet.js';
import type { SegmentBatch } from '@clovisor/core';

export interface PcapReadOptions extends Partial<FlowOptions> {}

export interface PcapReadStats extends ContainerStats {
  packets: number;
  tcpSegments: number;
  udpDatagrams: number;
  flows: number;
  skippedLinkType: number;
  skippedNotIp: number;
  /** neither TCP nor UDP */
  skippedNotTcp: number;
  skippedFragments: number;
  skippedMalformed: number;
}

export interface PcapReadResult {
  /** in capture order within each flow; flows interleave by when their batches filled */
  batches: SegmentBatch[];
  stats: PcapReadStats;
}

export function readCaptureFile(bytes: Buffer, options: PcapReadOptions = {}): PcapReadResult {
  const stats: PcapReadStats = {
    truncatedRecords: 0, skippedBlocks: 0, packets: 0, tcpSegments: 0, udpDatagrams: 0, flows: 0, skippedLinkType: 0,
    skippedNotIp: 0, skippedNotTcp: 0, skippedFragments: 0, skippedMalformed: 0,
  };
  const grouper = new FlowGrouper({
    node: options.node ?? 'pcap',
    interfaceName: options.interfaceName ?? 'pcap0',
    ifindex: options.ifindex ?? 0,
    podRole: options.podRole ?? 'SERVER',
    protocolHint: options.protocolHint ?? null,
    serverPorts: options.serverPorts ?? [],
    maxSegmentsPerBatch: Math.max(1, options.maxSegmentsPerBatch ?? 64),
  });
  for (const pkt of readPackets(bytes, stats)) {
    stats.packets++;
    const r = decodePacket(pkt.linkType, pkt.data, pkt.originalLength);
    if (r.kind === 'skip') {
      if (r.reason === 'link-type') stats.skippedLinkType++;
      else if (r.reason === 'not-ip') stats.skippedNotIp++;
      else if (r.reason === 'not-tcp') stats.skippedNotTcp++;
      else if (r.reason === 'fragment') stats.skippedFragments++;
      else stats.skippedMalformed++;
      continue;
    }
    if (r.kind === 'udp') {
      stats.udpDatagrams++;
      grouper.addUdp(r.packet, pkt.timestampNs, pkt.interfaceId, pkt.interfaceName);
      continue;
    }
    stats.tcpSegments++;
    grouper.add(r.packet, pkt.timestampNs, pkt.interfaceId, pkt.interfaceName);
  }
  const batches = grouper.finish();
  stats.flows = grouper.flows;
  return { batches, stats };
}

export { decodePacket, ipv6Text, type TcpPacket, type UdpPacket } from './packet.js';
export { readPackets, isPcapng, type CapturedPacket } from './capture-file.js';
export { flowIdOf, type FlowOptions } from './flows.js';
