// Every drop, eviction, gap and resync of the decoder is counted here. One flat object is shared
// by the decoder, its flows, reassemblers and drivers (each sees the slice it updates).
import { newReassemblyCounters, type ReassemblyCounters } from './reassembly/types.js';
import { newDriverCounters, type DriverCounters } from './stream/types.js';

export interface FlowCounters {
  batches: number;
  segments: number;
  payloadBytes: number;
  /** UDP batches (decoded by the datagram path when a datagram protocol fits) */
  nonTcpBatches: number;
  /** UDP datagrams matching no datagram protocol: not parsed, no flow kept */
  datagramsUndetected: number;
  /** datagrams of a datagram flow its protocol rejected */
  datagramsInvalid: number;
  /** datagrams cut by the snaplen: parsed as far as they go */
  datagramsTruncated: number;
  /** datagram queries given up without response (timeout, same id again, flow ended, overflow) */
  unansweredQueries: number;
  /** segments of a flow that already ended (late retransmissions, trailing ACKs) */
  segmentsAfterClose: number;
  /** events the capture agent lost (sum of lostEventsBefore) */
  lostEvents: number;
  flowsCreated: number;
  flowsClosed: number;
  flowsEvictedIdle: number;
  flowsEvictedLru: number;
  flowsEvictedMemory: number;
  /** flows whose first bytes matched no protocol: not parsed */
  flowsUndetected: number;
  transactions: number;
  incompleteTransactions: number;
  /** responses no captured request could own */
  orphanResponses: number;
  /** requests emitted without response because too many were pending */
  pendingOverflows: number;
  /** connections that switched protocol (Upgrade, CONNECT): not parsed after the switch */
  protocolSwitches: number;
  /** INT hop reports received with batches (SegmentBatch.intHops) of decoded flows */
  intHops: number;
  /** hop reports a flow let go because it held MAX_INT_HOPS_PER_FLOW newer ones */
  intHopsEvicted: number;
  /** transactions that carry a hop (Transaction.intHop) */
  transactionsWithIntHop: number;
}

export type DecoderCounters = FlowCounters & ReassemblyCounters & DriverCounters;

export interface DecoderStats extends DecoderCounters {
  flowsActive: number;
  flowsEvicted: number;
  /** bytes held right now: out-of-order segments and unconsumed frame bytes */
  bufferedBytes: number;
}

export function newDecoderCounters(): DecoderCounters {
  return {
    batches: 0, segments: 0, payloadBytes: 0, nonTcpBatches: 0, datagramsUndetected: 0, datagramsInvalid: 0,
    datagramsTruncated: 0, unansweredQueries: 0, segmentsAfterClose: 0, lostEvents: 0,
    flowsCreated: 0, flowsClosed: 0, flowsEvictedIdle: 0, flowsEvictedLru: 0, flowsEvictedMemory: 0,
    flowsUndetected: 0, transactions: 0, incompleteTransactions: 0, orphanResponses: 0, pendingOverflows: 0, protocolSwitches: 0,
    intHops: 0, intHopsEvicted: 0, transactionsWithIntHop: 0,
    ...newReassemblyCounters(),
    ...newDriverCounters(),
  };
}
