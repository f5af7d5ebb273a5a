// INT hop reports of a flow (SegmentBatch.intHops) and which of them a transaction carries.
//
// The INT programs report a (flow, ingress, egress) hop at its first packet, then about once a
// second while packets flow, and whenever the hop latency moves to another bucket. So most packets
// have no report of their own, and a short connection often has only its SYN's. A packet without
// a report had a report of its hop within about the last second, in the same latency bucket.
//
// The rule: a transaction carries, among its flow's reports of packets that entered the host
// between INT_HOP_LOOKBACK_NS before the request's first byte and the end of the exchange (the
// response's last byte, else the request's), a request-direction (client → server) report if
// there is one, else a response-direction one; of those, the one whose packet entered the host
// closest to the request's first byte (the earlier on a tie). That is the request's own packet
// when it was reported, else the nearest report of the connection: its SYN, an earlier request,
// or a later packet of the exchange.
//
// Bounded: a flow keeps its latest MAX_INT_HOPS_PER_FLOW reports; older ones leave, counted.
import type { IntHop, SegmentBatch, Transaction, TransactionIntHop } from '@clovisor/core';
import type { DecoderCounters } from './stats.js';

/** how long before a request a report of its connection still stands for it (the INT report interval) */
export const INT_HOP_LOOKBACK_NS = 1_000_000_000n;
export const MAX_INT_HOPS_PER_FLOW = 32;

export class FlowIntHops {
  /** ingress-time order */
  private hops: IntHop[] = [];

  /** Adds a batch's reports; returns how many older ones left to stay within the bound. */
  note(hops: readonly IntHop[] | undefined): number {
    if (hops === undefined || hops.length === 0) return 0;
    for (const hop of hops) {
      // batches come in order and their reports in ingress-time order: append, or insert near the end
      let i = this.hops.length;
      while (i > 0 && this.hops[i - 1]!.ingressTimeNs > hop.ingressTimeNs) i--;
      this.hops.splice(i, 0, hop);
    }
    const excess = this.hops.length - MAX_INT_HOPS_PER_FLOW;
    if (excess <= 0) return 0;
    this.hops.splice(0, excess);
    return excess;
  }

  /** The report the transaction carries (see the rule above), or null. */
  of(tx: Pick<Transaction, 'requestStartNs' | 'requestEndNs' | 'responseEndNs'>): TransactionIntHop | null {
    if (this.hops.length === 0) return null;
    const from = tx.requestStartNs - INT_HOP_LOOKBACK_NS;
    const to = tx.responseEndNs ?? tx.requestEndNs;
    let best: IntHop | null = null;
    let bestDistance = 0n;
    for (const hop of this.hops) {
      if (hop.ingressTimeNs < from) continue;
      if (hop.ingressTimeNs > to) break;
      const distance = abs(hop.ingressTimeNs - tx.requestStartNs);
      const better = best === null
        || (hop.fromClient && !best.fromClient)
        || (hop.fromClient === best.fromClient && distance < bestDistance);
      if (better) {
        best = hop;
        bestDistance = distance;
      }
    }
    if (best === null) return null;
    return {
      ingressIfindex: best.ingressIfindex,
      egressIfindex: best.egressIfindex,
      latencyNs: Number(best.egressTimeNs - best.ingressTimeNs),
      timeNs: best.ingressTimeNs,
      fromClient: best.fromClient,
    };
  }
}

const abs = (n: bigint) => (n < 0n ? -n : n);

/**
 * A flow takes a batch's hop reports (before its segments complete transactions); returns its
 * reports, created with the first (null until then: most flows have none, and idle flows are many).
 */
export function noteIntHops(hops: FlowIntHops | null, batch: SegmentBatch, counters: DecoderCounters): FlowIntHops | null {
  if (batch.intHops === undefined || batch.intHops.length === 0) return hops;
  const kept = hops ?? new FlowIntHops();
  counters.intHops += batch.intHops.length;
  counters.intHopsEvicted += kept.note(batch.intHops);
  return kept;
}

/** Sets tx.intHop when the flow has a report for it. */
export function addIntHop(tx: Transaction, hops: FlowIntHops | null, counters: DecoderCounters): void {
  if (hops === null) return;
  const hop = hops.of(tx);
  if (hop === null) return;
  tx.intHop = hop;
  counters.transactionsWithIntHop++;
}
