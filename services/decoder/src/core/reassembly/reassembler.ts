// One direction of one TCP flow: turns captured segments (any order, duplicated, overlapping,
// truncated by the snaplen) into an in-order byte stream with explicit gap markers.
//
// - The stream starts at ISN+1 when the SYN is seen, else at the first segment (mid-stream pickup).
// - Bytes before `next` were delivered already: retransmissions and overlaps are trimmed.
// - Segments after `next` wait in a bounded out-of-order list. When it overflows (bytes or
//   segments), the hole before the oldest waiting segment is declared lost: a gap marker of its
//   length is delivered so the parser can skip exactly that many bytes and resync.
// - A segment whose payload is shorter than its wireLength (snaplen) delivers the captured bytes
//   and then a 'truncated' gap for the missing tail: its length is known, so parsers can still
//   count body bytes they never saw.
// - FIN ends the direction once every byte before it was delivered; RST ends it at once.
import { TcpFlags, type Segment } from '@clovisor/core';
import { seqAdd, seqDiff } from '../seq.js';
import type { ChunkSink, EndReason, ReassemblyCounters, ReassemblyLimits } from './types.js';

interface Waiting {
  seq: number;
  payload: Buffer;
  wireLength: number;
  timestampNs: bigint;
}

export class DirectionReassembler {
  private next: number | null = null;
  private finSeq: number | null = null;
  private waiting: Waiting[] = [];
  private waitingBytes = 0;
  private ended = false;
  private sawSyn = false;
  private lastTs = 0n;

  constructor(
    private readonly sink: ChunkSink,
    private readonly limits: ReassemblyLimits,
    private readonly counters: ReassemblyCounters,
  ) {}

  /** True when the stream was picked up mid-connection (no SYN): it may start mid-message. */
  get midStream(): boolean { return this.next !== null && !this.sawSyn; }
  get isEnded(): boolean { return this.ended; }
  /** A FIN was seen (the end may still wait for missing bytes before it). */
  get finSeen(): boolean { return this.finSeq !== null; }
  /** Bytes held out of order. */
  get bufferedBytes(): number { return this.waitingBytes; }

  push(segment: Segment): void {
    if (this.ended) {
      if (segment.wireLength > 0) this.counters.segmentsAfterEnd++; // trailing ACKs are normal
      return;
    }
    this.lastTs = segment.timestampNs;
    const flags = segment.flags;
    let seq = segment.seq >>> 0;
    if ((flags & TcpFlags.SYN) !== 0) {
      seq = seqAdd(seq, 1); // the SYN occupies one sequence number; data (TFO) follows it
      if (this.next === null) { this.next = seq; this.sawSyn = true; }
    }
    // A wireLength below the captured length would be a capture bug: trust the bytes we have.
    const wireLength = Math.max(segment.wireLength, segment.payload.length);
    if (this.next === null) {
      if (wireLength === 0 && (flags & (TcpFlags.FIN | TcpFlags.RST)) === 0) return; // pure ACK: no anchor
      this.next = seq;
    }
    if (wireLength > 0) this.accept(seq, segment.payload, wireLength, segment.timestampNs);
    if ((flags & TcpFlags.RST) !== 0) { this.finish('rst'); return; }
    if ((flags & TcpFlags.FIN) !== 0 && this.finSeq === null) this.finSeq = seqAdd(seq, wireLength);
    this.endIfComplete();
  }

  /** Deliver everything held, declaring the holes before it lost. Used at FIN of both sides and eviction. */
  flush(): void {
    while (this.waiting.length > 0) this.declareGap();
    if (this.finSeq !== null && this.next !== null && seqDiff(this.finSeq, this.next) > 0) {
      this.lostGap(seqDiff(this.finSeq, this.next), this.next, this.lastTs);
    }
    this.endIfComplete();
  }

  /** End the direction now; what is held is delivered first, holes declared lost. */
  finish(reason: EndReason): void {
    if (this.ended) return;
    this.flush();
    if (this.ended) return; // the flush reached the FIN
    this.ended = true;
    this.waiting = [];
    this.waitingBytes = 0;
    this.sink.end(reason);
  }

  private accept(seq: number, payload: Buffer, wireLength: number, ts: bigint): void {
    const next = this.next as number;
    const offset = seqDiff(seq, next);
    if (offset + wireLength <= 0) {
      this.counters.duplicateSegments++;
      this.counters.duplicateBytes += wireLength;
      return;
    }
    if (offset <= 0) {
      if (offset < 0) this.counters.duplicateBytes += -offset;
      this.deliver(payload, wireLength, -offset, ts);
      if (this.waiting.length > 0) this.drain();
      return;
    }
    this.counters.outOfOrderSegments++;
    this.hold(seq, payload, wireLength, ts);
    while (this.waiting.length > this.limits.maxOutOfOrderSegments ||
           this.waitingBytes > this.limits.maxOutOfOrderBytes) this.declareGap();
  }

  /** Deliver a segment whose first `skip` bytes were delivered already. */
  private deliver(payload: Buffer, wireLength: number, skip: number, ts: bigint): void {
    let next = this.next as number;
    const captured = payload.length;
    if (skip < captured) {
      this.sink.data(skip === 0 ? payload : payload.subarray(skip), next, ts);
      next = seqAdd(next, captured - skip);
    }
    const hole = wireLength - Math.max(skip, captured);
    if (hole > 0) {
      this.counters.truncatedSegments++;
      this.counters.truncatedBytes += hole;
      this.sink.gap(hole, next, ts, 'truncated');
      next = seqAdd(next, hole);
    }
    this.next = next;
  }

  private hold(seq: number, payload: Buffer, wireLength: number, ts: bigint): void {
    const next = this.next as number;
    const offset = seqDiff(seq, next);
    let i = this.waiting.length;
    while (i > 0 && seqDiff((this.waiting[i - 1] as Waiting).seq, next) > offset) i--;
    const before = this.waiting[i - 1];
    if (before !== undefined && before.seq === seq && before.wireLength >= wireLength) {
      this.counters.duplicateSegments++;
      this.counters.duplicateBytes += wireLength;
      return;
    }
    // Copy: a held payload must not pin the whole batch buffer it was decoded from.
    this.waiting.splice(i, 0, { seq, payload: Buffer.from(payload), wireLength, timestampNs: ts });
    this.waitingBytes += payload.length;
  }

  /** Deliver held segments that are now in order (overlaps trimmed, duplicates dropped). */
  private drain(): void {
    while (this.waiting.length > 0) {
      const w = this.waiting[0] as Waiting;
      const offset = seqDiff(w.seq, this.next as number);
      if (offset > 0) return;
      this.waiting.shift();
      this.waitingBytes -= w.payload.length;
      if (offset + w.wireLength <= 0) {
        this.counters.duplicateSegments++;
        this.counters.duplicateBytes += w.wireLength;
        continue;
      }
      if (offset < 0) this.counters.duplicateBytes += -offset;
      this.deliver(w.payload, w.wireLength, -offset, w.timestampNs);
    }
  }

  /** Give up on the hole before the oldest held segment. */
  private declareGap(): void {
    const w = this.waiting[0] as Waiting;
    this.lostGap(seqDiff(w.seq, this.next as number), this.next as number, w.timestampNs);
    this.drain();
  }

  private lostGap(length: number, seq: number, ts: bigint): void {
    this.counters.gaps++;
    this.counters.gapBytes += length;
    this.sink.gap(length, seq, ts, 'lost');
    this.next = seqAdd(seq, length);
  }

  private endIfComplete(): void {
    if (!this.ended && this.finSeq !== null && this.next !== null && this.waiting.length === 0 &&
        seqDiff(this.next, this.finSeq) >= 0) {
      this.ended = true;
      this.sink.end('fin');
    }
  }
}
