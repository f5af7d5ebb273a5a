import type { Endpoint } from '@clovisor/core';

// The latest INT hop reports by canonical 5-tuple. Hop reports and packets come through different
// ring buffers, so a report can arrive before the flow of its packet exists (the SYN's report
// before the SYN's capture event), and a pod → pod connection has two flows (one per veth) that
// may start at different moments: a flow created later takes the reports of its connection from
// here. Bounded in total; the oldest reports go first, and what leaves is counted.

export interface HopReport {
  /** the packet's sender: tells the direction of the packet on a flow */
  source: Endpoint;
  ingressIfindex: number;
  egressIfindex: number;
  ingressTimeNs: bigint;
  egressTimeNs: bigint;
  /** put on at least one flow's batch */
  taken: boolean;
}

export interface RecentIntHopsStats {
  held: number;
  /** pushed out by the bounds */
  evicted: number;
  /** of those, the ones no flow had taken */
  evictedUntaken: number;
}

export class RecentIntHops {
  /** insertion order: the connection whose reports started first goes first */
  private readonly byTuple = new Map<string, HopReport[]>();
  private held = 0;
  private evicted = 0;
  private evictedUntaken = 0;

  constructor(private readonly maxReports: number, private readonly maxPerTuple: number) {}

  remember(tuple: string, report: HopReport): void {
    let list = this.byTuple.get(tuple);
    if (list === undefined) {
      list = [];
      this.byTuple.set(tuple, list);
    }
    if (list.length >= this.maxPerTuple) this.count(list.shift()!);
    list.push(report);
    this.held += 1;
    while (this.held > this.maxReports) {
      const [oldestTuple, oldest] = this.byTuple.entries().next().value as [string, HopReport[]];
      this.count(oldest.shift()!);
      if (oldest.length === 0) this.byTuple.delete(oldestTuple);
    }
  }

  of(tuple: string): readonly HopReport[] {
    return this.byTuple.get(tuple) ?? [];
  }

  stats(): RecentIntHopsStats {
    return { held: this.held, evicted: this.evicted, evictedUntaken: this.evictedUntaken };
  }

  private count(report: HopReport): void {
    this.held -= 1;
    this.evicted += 1;
    if (!report.taken) this.evictedUntaken += 1;
  }
}
