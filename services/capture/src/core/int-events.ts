import type { IntEvent, IntReportBatch } from '@clovisor/core';
import { intEventFrame, type IntRawEvent } from '@clovisor/libbpf';

// Pure: raw INT events of the kernel (bpf/int.bpf.c, decoded by @clovisor/libbpf's IntProbe) →
// IntEvent records, and the bounded queue they wait in before going to Kafka as IntReportBatch.

/**
 * One IntEvent from a raw event. `offsetNs` = CLOCK_REALTIME − CLOCK_MONOTONIC (clockOffsetNs(),
 * sampled once as capture does for its packet times); `reasonName` = the kernel's skb_drop_reason
 * name of a value without the SKB_DROP_REASON_ prefix (IntProbe.dropReasonName, from BTF). The
 * packet becomes an Ethernet frame: a zero-MAC header in front when the kernel had no L2 header.
 */
export function toIntEvent(raw: IntRawEvent, offsetNs: bigint, reasonName: (value: number) => string | null): IntEvent {
  const { packet, packetLength } = intEventFrame(raw);
  const epoch = (ns: bigint | null) => (ns === null ? null : ns + offsetNs);
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
    dropReasonName: drop && raw.dropReason !== null ? reasonName(raw.dropReason) : null,
    flow: raw.flow,
    packet,
    packetLength,
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
 * Events waiting for Kafka, at most `maxEvents`; past that the oldest hops are dropped and
 * counted, and the oldest drops only when nothing but drops is left (a drop is rarer and matters
 * more than a hop, which the next periodic report repeats).
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
    const hops = this.events.length - this.dropsQueued;
    const dropsGone = Math.max(0, excess - hops);
    let hopsLeftToRemove = excess - dropsGone;
    let dropsLeftToRemove = dropsGone;
    // one pass, order kept: the oldest hops go, then (only if hops did not suffice) the oldest drops
    this.events = this.events.filter((e) => {
      if (e.kind === 'DROP') {
        if (dropsLeftToRemove === 0) return true;
        dropsLeftToRemove -= 1;
        return false;
      }
      if (hopsLeftToRemove === 0) return true;
      hopsLeftToRemove -= 1;
      return false;
    });
    this.dropsQueued -= dropsGone;
    this.counters.dropped += excess;
    this.counters.droppedDrops += dropsGone;
  }
}

function countDrops(events: readonly IntEvent[]): number {
  let n = 0;
  for (const e of events) if (e.kind === 'DROP') n += 1;
  return n;
}
