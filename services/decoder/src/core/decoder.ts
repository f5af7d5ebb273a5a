// FlowDecoder: SegmentBatch records in, Transaction records out. Pure: no I/O, no clock — time
// comes from the segments and from the nowNs callers pass to flushIdle().
//
// Memory is bounded three ways: per flow (out-of-order window, parser buffer, pending frames),
// by the number of flows (least recently used evicted first), and by the bytes held across all
// flows (least recently used evicted until under budget). An evicted flow emits what it has as
// incomplete transactions; every eviction is counted.
import type { SegmentBatch, Transaction } from '@clovisor/core';
import { DatagramFlow, type DatagramLimits } from './datagram/flow.js';
import { datagramProtocolFor } from './datagram/protocols.js';
import { BUILTIN_SELECTOR, Flow, type FlowLimits, type ProtocolSelector } from './flow.js';
import { DEFAULT_REASSEMBLY_LIMITS, type ReassemblyLimits } from './reassembly/types.js';
import { newDecoderCounters, type DecoderCounters, type DecoderStats } from './stats.js';
import { DEFAULT_DRIVER_LIMITS, type DriverLimits } from './stream/types.js';

export interface FlowDecoderOptions {
  /** flows tracked at once (LRU eviction beyond); default 16384 */
  maxFlows?: number;
  /** a flow with no segment for this long is flushed by flushIdle(); default 60 s */
  idleTimeoutNs?: bigint;
  /** bytes held across all flows (out-of-order + unparsed); default 64 MiB */
  maxBufferedBytes?: number;
  reassembly?: Partial<ReassemblyLimits>;
  driver?: Partial<DriverLimits>;
  /** frames of one direction waiting to be paired, per flow; default 64 */
  maxPendingFrames?: number;
  /** bytes inspected to recognise a protocol without a hint; default 16 KiB */
  maxDetectBytes?: number;
  /** ids of ended flows remembered, so late segments do not revive them; default 4096 */
  closedFlowMemory?: number;
  /** UDP: a query unanswered this long (datagram timestamps) is emitted without response; default 5 s */
  datagramTimeoutNs?: bigint;
  /** protocol choice; default: the built-in protocols (a plugin worker passes its plugin) */
  select?: ProtocolSelector;
}

export class FlowDecoder {
  // TCP connections and UDP datagram flows; insertion order = least recently used first
  private readonly flows = new Map<string, Flow | DatagramFlow>();
  private readonly ended = new Set<string>();
  private readonly counters: DecoderCounters = newDecoderCounters();
  private readonly limits: FlowLimits;
  private readonly datagramLimits: DatagramLimits;
  private readonly maxFlows: number;
  private readonly idleTimeoutNs: bigint;
  private readonly maxBufferedBytes: number;
  private readonly closedFlowMemory: number;
  private bufferedBytes = 0;

  constructor(options: FlowDecoderOptions = {}) {
    this.maxFlows = Math.max(1, options.maxFlows ?? 16_384);
    this.idleTimeoutNs = options.idleTimeoutNs ?? 60_000_000_000n;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 64 * 1024 * 1024;
    this.closedFlowMemory = options.closedFlowMemory ?? 4096;
    this.datagramLimits = { maxPendingFrames: options.maxPendingFrames ?? 64, queryTimeoutNs: options.datagramTimeoutNs ?? 5_000_000_000n };
    this.limits = {
      reassembly: { ...DEFAULT_REASSEMBLY_LIMITS, ...options.reassembly },
      driver: { ...DEFAULT_DRIVER_LIMITS, ...options.driver },
      maxPendingFrames: options.maxPendingFrames ?? 64,
      maxDetectBytes: options.maxDetectBytes ?? 16 * 1024,
      select: options.select ?? BUILTIN_SELECTOR,
    };
  }

  push(batch: SegmentBatch): Transaction[] {
    const c = this.counters;
    c.batches++;
    c.segments += batch.segments.length;
    c.lostEvents += batch.lostEventsBefore;
    for (const s of batch.segments) c.payloadBytes += s.payload.length;
    if (batch.transport !== 'TCP') c.nonTcpBatches++;
    const out: Transaction[] = [];
    let flow = this.flows.get(batch.flowId);
    if (flow !== undefined) {
      this.flows.delete(batch.flowId); // re-insert: now the most recently used
      this.flows.set(batch.flowId, flow);
    } else {
      if (this.ended.has(batch.flowId)) { c.segmentsAfterClose += batch.segments.length; return out; }
      const opened = this.open(batch);
      if (opened === null) return out;
      ({ flow, batch } = opened);
      c.flowsCreated++;
      this.flows.set(batch.flowId, flow);
      while (this.flows.size > this.maxFlows) this.evictOldest('lru', out);
    }
    flow.push(batch, out);
    flow.touched = true;
    if (flow.closed) this.drop(batch.flowId, flow, true);
    else this.account(flow);
    while (this.bufferedBytes > this.maxBufferedBytes && this.flows.size > 0) this.evictOldest('memory', out);
    return out;
  }

  /**
   * Flush flows idle for idleTimeout before nowNs. A flow's last activity is the latest of its
   * segment timestamps and the nowNs of the first flushIdle() after its latest batch: replaying
   * old captures against a wall clock must not evict flows that are still receiving batches.
   */
  flushIdle(nowNs: bigint): Transaction[] {
    const out: Transaction[] = [];
    for (const [id, flow] of this.flows) {
      if (flow.touched) {
        flow.touched = false;
        if (nowNs > flow.lastActivityNs) flow.lastActivityNs = nowNs;
      }
      if (flow.lastActivityNs + this.idleTimeoutNs > nowNs) continue;
      flow.finish(out);
      this.counters.flowsEvictedIdle++;
      this.drop(id, flow, false);
    }
    return out;
  }

  /** Flush every flow (shutdown, end of a pcap). */
  flushAll(): Transaction[] {
    const out: Transaction[] = [];
    for (const [id, flow] of this.flows) {
      flow.finish(out);
      this.drop(id, flow, false);
    }
    return out;
  }

  /** State for a new flow and the part of its first batch it starts with, or null: nothing to decode. */
  private open(batch: SegmentBatch): { flow: Flow | DatagramFlow; batch: SegmentBatch } | null {
    if (batch.transport === 'TCP') {
      // Pure ACKs of a flow never seen carry nothing to decode: no state for them.
      if (!batch.segments.some((s) => s.wireLength > 0 || (s.flags & 0x02) !== 0)) return null;
      return { flow: new Flow(batch, this.counters, this.limits), batch };
    }
    // UDP: the first datagram a datagram protocol recognises starts the flow; no state before.
    for (let i = 0; i < batch.segments.length; i++) {
      const p = datagramProtocolFor(batch.protocolHint, (batch.segments[i] as { payload: Buffer }).payload, batch.server.port);
      if (p === null) { this.counters.datagramsUndetected++; continue; }
      return { flow: new DatagramFlow(batch, p, this.counters, this.datagramLimits), batch: { ...batch, segments: batch.segments.slice(i) } };
    }
    return null;
  }

  /** Forget a flow without emitting anything (its parser failed); later batches start it anew. */
  discard(flowId: string): void {
    const flow = this.flows.get(flowId);
    if (flow !== undefined) this.drop(flowId, flow, false);
  }

  stats(): DecoderStats {
    const c = this.counters;
    return {
      ...c,
      flowsActive: this.flows.size,
      flowsEvicted: c.flowsEvictedIdle + c.flowsEvictedLru + c.flowsEvictedMemory,
      bufferedBytes: this.bufferedBytes,
    };
  }

  private evictOldest(why: 'lru' | 'memory', out: Transaction[]): void {
    const first = this.flows.entries().next();
    if (first.done === true) return;
    const [id, flow] = first.value;
    flow.finish(out);
    if (why === 'lru') this.counters.flowsEvictedLru++;
    else this.counters.flowsEvictedMemory++;
    this.drop(id, flow, false);
  }

  private account(flow: Flow | DatagramFlow): void {
    const now = flow.bufferedBytes;
    this.bufferedBytes += now - flow.accountedBytes;
    flow.accountedBytes = now;
  }

  /** Forget a flow; closed: it ended (FIN/RST), so late segments of it are ignored. */
  private drop(id: string, flow: Flow | DatagramFlow, closed: boolean): void {
    this.flows.delete(id);
    this.bufferedBytes -= flow.accountedBytes;
    flow.accountedBytes = 0;
    if (!closed) return;
    this.counters.flowsClosed++;
    this.ended.add(id);
    if (this.ended.size > this.closedFlowMemory) this.ended.delete(this.ended.values().next().value as string);
  }
}
