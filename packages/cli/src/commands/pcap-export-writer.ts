// SegmentBatch records → pcapng blocks, in timestamp order. Pure: records in, Buffers out; the
// caller writes them. Batches of several partitions interleave in time, so frames wait in a
// bounded min-heap (by timestamp) and leave it when it is full or at the end: the file is in
// time order as long as the disorder fits the heap; a frame that leaves later than a younger
// one is written anyway and counted (Wireshark sorts on request).
import type { SegmentBatch } from '@clovisor/core';
import { buildFrame, LINKTYPE_ETHERNET } from './pcap-export-frames.js';
import { enhancedPacketBlock, interfaceDescriptionBlock, MAX_SNAPLEN, sectionHeaderBlock } from './pcap-export-pcapng.js';

export interface ExportFilter {
  /** only these flow ids (empty: all) */
  flows: ReadonlySet<string>;
  /** capture time, inclusive */
  startNs: bigint | null;
  /** capture time, exclusive */
  endNs: bigint | null;
}

export interface ExportLimits {
  reorderFrames: number;
  reorderBytes: number;
}

export const DEFAULT_EXPORT_LIMITS: ExportLimits = { reorderFrames: 100_000, reorderBytes: 64 * 1024 * 1024 };

export interface ExportStats {
  batches: number;
  packets: number;
  /** frames whose payload the snaplen had cut */
  truncatedPackets: number;
  payloadBytes: number;
  interfaces: number;
  flows: number;
  /** segments left out by --flow / --start / --end */
  filteredSegments: number;
  /** records whose addresses cannot be rebuilt (not an IP address) */
  unrepresentable: number;
  /** frames written after a younger one (disorder wider than the reorder heap) */
  outOfOrder: number;
}

interface Pending {
  timestampNs: bigint;
  order: number;
  interfaceKey: string;
  interfaceName: string;
  description: string;
  data: Buffer;
  originalLength: number;
  comment: string;
}

const before = (a: Pending, b: Pending): boolean => a.timestampNs < b.timestampNs || (a.timestampNs === b.timestampNs && a.order < b.order);

export class PcapngExport {
  readonly stats: ExportStats = {
    batches: 0, packets: 0, truncatedPackets: 0, payloadBytes: 0, interfaces: 0, flows: 0, filteredSegments: 0, unrepresentable: 0, outOfOrder: 0,
  };
  private readonly heap: Pending[] = [];
  private heapBytes = 0;
  private order = 0;
  private lastWrittenNs: bigint | null = null;
  private readonly interfaces = new Map<string, number>();
  private readonly flows = new Set<string>();

  constructor(private readonly filter: ExportFilter, private readonly limits: ExportLimits = DEFAULT_EXPORT_LIMITS) {}

  header(): Buffer {
    return sectionHeaderBlock('clovisor pcap export');
  }

  /** The blocks that are ready after this batch (often none: frames wait to be put in order). */
  add(batch: SegmentBatch): Buffer[] {
    this.stats.batches++;
    if (this.filter.flows.size > 0 && !this.filter.flows.has(batch.flowId)) {
      this.stats.filteredSegments += batch.segments.length;
      return [];
    }
    const interfaceKey = `${batch.node}\u0000${batch.interfaceName}`;
    const out: Buffer[] = [];
    for (const segment of batch.segments) {
      const { startNs, endNs } = this.filter;
      if ((startNs !== null && segment.timestampNs < startNs) || (endNs !== null && segment.timestampNs >= endNs)) {
        this.stats.filteredSegments++;
        continue;
      }
      let frame;
      try {
        frame = buildFrame(batch, segment);
      } catch {
        this.stats.unrepresentable++;
        continue;
      }
      this.flows.add(batch.flowId);
      if (segment.payload.length < segment.wireLength) this.stats.truncatedPackets++;
      this.stats.payloadBytes += Math.min(segment.payload.length, segment.wireLength);
      this.push({
        timestampNs: segment.timestampNs, order: this.order++, interfaceKey, interfaceName: batch.interfaceName,
        description: `node ${batch.node}, ifindex ${batch.ifindex}`, data: frame.data, originalLength: frame.originalLength,
        comment: `clovisor flow ${batch.flowId}`,
      });
      while (this.heap.length > this.limits.reorderFrames || this.heapBytes > this.limits.reorderBytes) out.push(...this.write(this.pop()));
    }
    this.stats.flows = this.flows.size;
    return out;
  }

  /** Everything still waiting, in order. */
  finish(): Buffer[] {
    const out: Buffer[] = [];
    while (this.heap.length > 0) out.push(...this.write(this.pop()));
    return out;
  }

  private write(p: Pending): Buffer[] {
    const out: Buffer[] = [];
    let id = this.interfaces.get(p.interfaceKey);
    if (id === undefined) {
      id = this.interfaces.size;
      this.interfaces.set(p.interfaceKey, id);
      this.stats.interfaces = this.interfaces.size;
      out.push(interfaceDescriptionBlock({ linkType: LINKTYPE_ETHERNET, snaplen: MAX_SNAPLEN, name: p.interfaceName, description: p.description }));
    }
    if (this.lastWrittenNs !== null && p.timestampNs < this.lastWrittenNs) this.stats.outOfOrder++;
    else this.lastWrittenNs = p.timestampNs;
    this.stats.packets++;
    out.push(enhancedPacketBlock({ interfaceId: id, timestampNs: p.timestampNs, data: p.data, originalLength: p.originalLength, comment: p.comment }));
    return out;
  }

  private push(p: Pending): void {
    const h = this.heap;
    h.push(p);
    this.heapBytes += p.data.length;
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): Pending {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    this.heapBytes -= top.data.length;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let min = i;
        if (l < h.length && before(h[l]!, h[min]!)) min = l;
        if (r < h.length && before(h[r]!, h[min]!)) min = r;
        if (min === i) break;
        [h[i], h[min]] = [h[min]!, h[i]!];
        i = min;
      }
    }
    return top;
  }
}
