// Node-interface times of a flow's segments (SegmentBatch segments with nodeTimestampNs), kept by
// direction and sequence number so that a transaction can look up when its request and response
// crossed the node NIC: a message's seq is the seq of its first segment. Bounded per direction;
// the oldest entries go first (they belong to exchanges already emitted).
import type { NodeInterfaceTimes, Segment } from '@clovisor/core';
import type { Direction } from '../protocols/protocol.js';

const MAX_PER_DIRECTION = 128;

export class NodeTimes {
  private name: string | null = null;
  private readonly bySeq: Record<Direction, Map<number, bigint>> = { request: new Map(), response: new Map() };

  /** Notes a segment's node time, if it has one. */
  note(interfaceName: string | null | undefined, segment: Segment): void {
    // only data segments: a SYN, FIN or pure ACK can share the seq of the data that follows
    if (segment.nodeTimestampNs == null || !interfaceName || segment.wireLength === 0) return;
    this.name = interfaceName;
    const m = this.bySeq[segment.fromClient ? 'request' : 'response'];
    if (m.has(segment.seq)) return; // a retransmission: the first crossing counts
    if (m.size >= MAX_PER_DIRECTION) m.delete(m.keys().next().value!);
    m.set(segment.seq, segment.nodeTimestampNs);
  }

  /** The node times of an exchange whose request starts at requestSeq (and response at responseSeq), or null. */
  of(requestSeq: number, responseSeq: number | null): NodeInterfaceTimes | null {
    if (this.name === null) return null;
    const requestNs = this.bySeq.request.get(requestSeq) ?? null;
    const responseNs = responseSeq === null ? null : this.bySeq.response.get(responseSeq) ?? null;
    if (requestNs === null && responseNs === null) return null;
    return { name: this.name, requestNs, responseNs };
  }
}
