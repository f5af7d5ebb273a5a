// One TCP connection: two reassemblers (client → server = requests, server → client =
// responses) feeding two parse drivers of the flow's protocol, and the queues of frames waiting
// to be stitched into transactions.
import { TcpFlags, type SegmentBatch, type Transaction } from '@clovisor/core';
import type { Direction, Framed } from '../protocols/protocol.js';
import { PROTOCOLS, detectProtocol, protocolForHint, type AnyProtocol } from '../protocols/registry.js';
import { h2cUpgrade, isH2cSwitch } from '../protocols/http2/upgrade.js';
import { DirectionReassembler } from './reassembly/reassembler.js';
import type { ChunkSink, EndReason, ReassemblyLimits } from './reassembly/types.js';
import type { DecoderCounters } from './stats.js';
import { DirectionDriver } from './stream/driver.js';
import type { DriverLimits } from './stream/types.js';
import { buildTransaction, metaOf } from './transaction.js';
import { NodeTimes } from './node-times.js';
import { addIntHop, noteIntHops, type FlowIntHops } from './int-hops.js';

export interface FlowLimits {
  reassembly: ReassemblyLimits;
  driver: DriverLimits;
  /** frames of one direction waiting for their other half */
  maxPendingFrames: number;
  /** bytes looked at to recognise the protocol before the flow is left unparsed */
  maxDetectBytes: number;
  /** which protocol parses a flow; the built-in registry unless replaced (plugin workers) */
  select: ProtocolSelector;
}

/** Chooses a flow's protocol from its hint, else from its first bytes. */
export interface ProtocolSelector {
  forHint(hint: string | null): AnyProtocol | null;
  detect(bytes: Buffer, serverPort: number | null): AnyProtocol | null;
}

export const BUILTIN_SELECTOR: ProtocolSelector = {
  forHint: (hint) => { const name = protocolForHint(hint); return name === null ? null : PROTOCOLS[name]; },
  detect: (bytes, port) => { const name = detectProtocol(bytes, port); return name === null ? null : PROTOCOLS[name]; },
};

type Frame = Framed<unknown>;

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
  /** HTTP/2 parser state once an HTTP/1.1 Upgrade switched the connection to h2c */
  private h2c: unknown = null;
  /** transactions finished while segments were being fed (at an h2c switch) */
  private early: Transaction[] = [];
  private readonly nodeTimes = new NodeTimes();
  private intHops: FlowIntHops | null = null;

  constructor(batch: SegmentBatch, private readonly counters: DecoderCounters, private readonly limits: FlowLimits) {
    this.meta = metaOf(batch);
    this.lastActivityNs = 0n;
    const emit = (f: Frame): void => {
      if (f.direction === 'response' && isH2cSwitch(f) && this.switchToH2c(f)) return;
      (f.direction === 'request' ? this.requests : this.responses).push(f);
    };
    this.drivers = {
      request: new DirectionDriver('request', emit, counters, limits.driver),
      response: new DirectionDriver('response', emit, counters, limits.driver),
    };
    for (const d of [this.drivers.request, this.drivers.response]) {
      d.onSwitch = () => (this.h2c === null ? null : { protocol: PROTOCOLS.http2 as AnyProtocol, state: this.h2c });
    }
    this.reasm = {
      request: new DirectionReassembler(this.sink('request'), limits.reassembly, counters),
      response: new DirectionReassembler(this.sink('response'), limits.reassembly, counters),
    };
    const hinted = limits.select.forHint(batch.protocolHint);
    if (hinted !== null) this.choose(hinted);
  }

  get bufferedBytes(): number {
    return this.reasm.request.bufferedBytes + this.reasm.response.bufferedBytes +
      this.drivers.request.bufferedBytes + this.drivers.response.bufferedBytes;
  }

  /** Feed a batch; finished transactions are appended to `out`. */
  push(batch: SegmentBatch, out: Transaction[]): void {
    this.meta = metaOf(batch);
    // before the segments: the transactions they complete pick among these reports
    this.intHops = noteIntHops(this.intHops, batch, this.counters);
    for (const seg of batch.segments) {
      if (seg.timestampNs > this.lastActivityNs) this.lastActivityNs = seg.timestampNs;
      if (seg.nodeTimestampNs != null) this.nodeTimes.note(batch.nodeInterfaceName, seg);
      this.reasm[seg.fromClient ? 'request' : 'response'].push(seg);
      if ((seg.flags & (TcpFlags.FIN | TcpFlags.RST)) !== 0) this.checkEnd();
    }
    if (!this.switchCounted && (this.drivers.request.switched || this.drivers.response.switched)) {
      this.switchCounted = true;
      this.counters.protocolSwitches++;
    }
    if (this.early.length > 0) { out.push(...this.early); this.early = []; }
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
    const detected = this.limits.select.detect(bytes, this.meta.server.port);
    if (detected !== null) { this.choose(detected); return; }
    this.detectBytes += bytes.length;
    if (this.detectBytes > this.limits.maxDetectBytes) {
      this.undetected = true;
      this.counters.flowsUndetected++;
    }
  }

  /** The HTTP/1 response `res` switched the connection to h2c: earlier HTTP/1 exchanges are
   * stitched now, its request becomes HTTP/2 stream 1, and both drivers go on with http2 where
   * the HTTP/1 parser stops (driver.onSwitch). False when the upgrade cannot be followed. */
  private switchToH2c(res: Frame): boolean {
    if (this.protocol?.name !== 'http') return false;
    const req = this.requests.pop();
    const up = req === undefined ? null : h2cUpgrade(req, res);
    if (up === null) { if (req !== undefined) this.requests.push(req); return false; }
    this.stitch(true, this.early);
    this.protocol = PROTOCOLS.http2;
    this.h2c = up.state;
    this.requests = [up.request];
    this.responses = [];
    return true;
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
    const node = this.nodeTimes.of(request.seq, response?.seq ?? null);
    if (node !== null) tx.nodeInterface = node;
    addIntHop(tx, this.intHops, this.counters);
    this.counters.transactions++;
    if (!tx.complete) this.counters.incompleteTransactions++;
    out.push(tx);
  }
}
