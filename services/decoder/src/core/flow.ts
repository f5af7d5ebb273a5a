// One TCP connection: two reassemblers (client → server = requests, server → client =
// responses) feeding two parse drivers of the flow's protocol, and the queues of frames waiting
// to be stitched into transactions.
import { TcpFlags, type SegmentBatch, type Transaction } from '@clovisor/core';
import type { Direction, Framed } from '../protocols/protocol.js';
import { PROTOCOLS, detectProtocol, protocolForHint, type AnyProtocol } from '../protocols/registry.js';
import { DirectionReassembler } from './reassembly/reassembler.js';
import type { ChunkSink, EndReason, ReassemblyLimits } from './reassembly/types.js';
import type { DecoderCounters } from './stats.js';
import { DirectionDriver } from './stream/driver.js';
import type { DriverLimits } from './stream/types.js';
import { buildTransaction } from './transaction.js';

export interface FlowLimits {
  reassembly: ReassemblyLimits;
  driver: DriverLimits;
  /** frames of one direction waiting for their other half */
  maxPendingFrames: number;
  /** bytes looked at to recognise the protocol before the flow is left unparsed */
  maxDetectBytes: number;
}

type Frame = Framed<unknown>;

/** The batch without its segments: a flow must not pin payload buffers between batches. */
function metaOf(batch: SegmentBatch): SegmentBatch {
  return { ...batch, segments: [] };
}

export class Flow {
  meta: SegmentBatch;
  lastActivityNs: bigint;
  /** got a batch since the decoder's last flushIdle() */
  touched = false;
  closed = false;
  /** bytes held, as last reported to the decoder's budget */
  accountedBytes = 0;
  private protocol: AnyProtocol | null = null;
  private undetected = false;
  private detectBytes = 0;
  private readonly reasm: Record<Direction, DirectionReassembler>;
  private readonly drivers: Record<Direction, DirectionDriver<unknown, unknown>>;
  private readonly endedBy: Record<Direction, EndReason | null> = { request: null, response: null };
  private switchCounted = false;
  private requests: Frame[] = [];
  private responses: Frame[] = [];

  constructor(batch: SegmentBatch, private readonly counters: DecoderCounters, private readonly limits: FlowLimits) {
    this.meta = metaOf(batch);
    this.lastActivityNs = 0n;
    const emit = (f: Frame): void => { (f.direction === 'request' ? this.requests : this.responses).push(f); };
    this.drivers = {
      request: new DirectionDriver('request', emit, counters, limits.driver),
      response: new DirectionDriver('response', emit, counters, limits.driver),
    };
    this.reasm = {
      request: new DirectionReassembler(this.sink('request'), limits.reassembly, counters),
      response: new DirectionReassembler(this.sink('response'), limits.reassembly, counters),
    };
    const hinted = protocolForHint(batch.protocolHint);
    if (hinted !== null) this.choose(PROTOCOLS[hinted]);
  }

  get bufferedBytes(): number {
    return this.reasm.request.bufferedBytes + this.reasm.response.bufferedBytes +
      this.drivers.request.bufferedBytes + this.drivers.response.bufferedBytes;
  }

  /** Feed a batch; finished transactions are appended to `out`. */
  push(batch: SegmentBatch, out: Transaction[]): void {
    this.meta = metaOf(batch);
    for (const seg of batch.segments) {
      if (seg.timestampNs > this.lastActivityNs) this.lastActivityNs = seg.timestampNs;
      this.reasm[seg.fromClient ? 'request' : 'response'].push(seg);
      if ((seg.flags & (TcpFlags.FIN | TcpFlags.RST)) !== 0) this.checkEnd();
    }
    if (!this.switchCounted && (this.drivers.request.switched || this.drivers.response.switched)) {
      this.switchCounted = true;
      this.counters.protocolSwitches++;
    }
    this.stitch(false, out);
    if (this.endedBy.request !== null && this.endedBy.response !== null) this.close(out);
  }

  /** End the flow now (eviction or shutdown): what is pending becomes (incomplete) transactions. */
  finish(out: Transaction[]): void {
    if (this.closed) return;
    this.reasm.request.finish('flush');
    this.reasm.response.finish('flush');
    this.close(out);
  }

  private close(out: Transaction[]): void {
    this.stitch(true, out);
    this.closed = true;
  }

  /** Both sides sent FIN, or one reset: nothing more will come (retransmissions aside). */
  private checkEnd(): void {
    const { request, response } = this.reasm;
    if (this.endedBy.request === 'rst' || this.endedBy.response === 'rst') {
      request.finish('rst');
      response.finish('rst');
    } else if (request.finSeen && response.finSeen) {
      request.finish('fin');
      response.finish('fin');
    }
  }

  private sink(direction: Direction): ChunkSink {
    const driver = (): DirectionDriver<unknown, unknown> => this.drivers[direction];
    let first = true;
    return {
      data: (bytes, seq, ts) => {
        if (this.protocol === null && !this.undetected) this.detect(bytes);
        if (first) {
          first = false;
          if (this.reasm[direction].midStream) driver().pickedUpMidStream();
        }
        driver().data(bytes, seq, ts);
      },
      gap: (length, seq, ts, reason) => { first = false; driver().gap(length, seq, ts, reason); },
      end: (reason) => { this.endedBy[direction] = reason; driver().end(reason); },
    };
  }

  private detect(bytes: Buffer): void {
    const name = detectProtocol(bytes, this.meta.server.port);
    if (name !== null) { this.choose(PROTOCOLS[name]); return; }
    this.detectBytes += bytes.length;
    if (this.detectBytes > this.limits.maxDetectBytes) {
      this.undetected = true;
      this.counters.flowsUndetected++;
    }
  }

  private choose(protocol: AnyProtocol): void {
    this.protocol = protocol;
    const state = protocol.newState();
    // A direction that already passed bytes (before detection) resumes at a frame boundary.
    for (const d of ['request', 'response'] as const) this.drivers[d].start(protocol, state, this.drivers[d].position > 0);
  }

  private stitch(final: boolean, out: Transaction[]): void {
    const protocol = this.protocol;
    if (protocol === null) return;
    if (this.requests.length === 0 && (this.responses.length === 0 || !final)) return;
    const r = protocol.stitch(this.requests, this.responses, final);
    this.counters.orphanResponses += r.orphanResponses;
    for (const ex of r.transactions) this.emit(protocol, ex.request, ex.response, ex.notes, out);
    this.requests = r.leftover.requests;
    this.responses = r.leftover.responses;
    // Bounded: a flow seen in one direction only must not pile up frames.
    while (this.requests.length > this.limits.maxPendingFrames) {
      this.counters.pendingOverflows++;
      this.emit(protocol, this.requests.shift() as Frame, null, ['no response captured'], out);
    }
    if (this.responses.length > this.limits.maxPendingFrames) {
      this.counters.orphanResponses += this.responses.length - this.limits.maxPendingFrames;
      this.responses = this.responses.slice(-this.limits.maxPendingFrames);
    }
  }

  private emit(protocol: AnyProtocol, request: Frame, response: Frame | null, notes: string[], out: Transaction[]): void {
    const tx = buildTransaction(this.meta, protocol, { request, response, notes });
    this.counters.transactions++;
    if (!tx.complete) this.counters.incompleteTransactions++;
    out.push(tx);
  }
}
