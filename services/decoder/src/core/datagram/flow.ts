// One UDP flow (a 5-tuple) of a datagram protocol: every segment payload is one whole message.
// Queries wait in a bounded table keyed by their pairing key (the DNS id) until the response
// with the same key comes; a query still waiting after queryTimeoutNs (measured on datagram
// timestamps: replaying a capture must give the same result), pushed out by a newer one, asked
// again with the same key, or left when the flow ends becomes a transaction without response.
import type { SegmentBatch, Segment, Transaction } from '@clovisor/core';
import type { Framed } from '../../protocols/protocol.js';
import type { DecoderCounters } from '../stats.js';
import { buildTransaction, metaOf } from '../transaction.js';
import type { DatagramProtocol } from './protocols.js';
import { addIntHop, noteIntHops, type FlowIntHops } from '../int-hops.js';

export interface DatagramLimits {
  /** queries waiting for a response, per flow */
  maxPendingFrames: number;
  /** a query unanswered this long after it was sent is given up */
  queryTimeoutNs: bigint;
}

type Frame = Framed<unknown>;

/** What a waiting query is charged against the decoder's memory budget (its parsed fields). */
const BYTES_PER_QUERY = 512;

export class DatagramFlow {
  meta: SegmentBatch;
  lastActivityNs = 0n;
  touched = false;
  /** UDP has no end: a datagram flow only leaves by idleness, LRU or memory eviction */
  readonly closed = false;
  accountedBytes = 0;
  private readonly waiting = new Map<number, Frame>(); // insertion order = oldest first
  private queries = 0;
  private responses = 0;
  private intHops: FlowIntHops | null = null;

  constructor(batch: SegmentBatch, private readonly protocol: DatagramProtocol<unknown>,
    private readonly counters: DecoderCounters, private readonly limits: DatagramLimits) {
    this.meta = metaOf(batch);
  }

  get bufferedBytes(): number {
    return this.waiting.size * BYTES_PER_QUERY;
  }

  push(batch: SegmentBatch, out: Transaction[]): void {
    this.meta = metaOf(batch);
    this.intHops = noteIntHops(this.intHops, batch, this.counters);
    for (const seg of batch.segments) {
      if (seg.timestampNs > this.lastActivityNs) this.lastActivityNs = seg.timestampNs;
      this.expire(seg.timestampNs, out);
      this.datagram(seg, out);
    }
  }

  /** The flow ends (idle, evicted, shutdown): waiting queries get no response. */
  finish(out: Transaction[]): void {
    for (const q of this.waiting.values()) this.emit(q, null, ['no response captured'], out);
    this.waiting.clear();
  }

  private datagram(seg: Segment, out: Transaction[]): void {
    const c = this.counters;
    const truncated = seg.payload.length < seg.wireLength;
    const r = this.protocol.parse(seg.payload, seg.wireLength);
    if (r.kind === 'invalid') { c.datagramsInvalid++; return; }
    if (truncated) c.datagramsTruncated++;
    const isQuery = r.kind === 'query';
    const notes = [...r.notes];
    if (isQuery !== seg.fromClient) notes.push(`${isQuery ? 'query' : 'response'} sent by the ${seg.fromClient ? 'client' : 'server'} side of the flow`);
    const frame: Frame = {
      frame: r.message, direction: isQuery ? 'request' : 'response', index: isQuery ? this.queries++ : this.responses++,
      seq: 0, startNs: seg.timestampNs, endNs: seg.timestampNs, wireBytes: seg.wireLength,
      truncatedBytes: Math.max(0, seg.wireLength - seg.payload.length), lostBytes: 0,
      partial: false, afterResync: false, notes,
    };
    if (isQuery) {
      const earlier = this.waiting.get(r.key);
      if (earlier !== undefined) {
        this.waiting.delete(r.key);
        this.emit(earlier, null, ['no response before a query with the same id was sent'], out);
      }
      this.waiting.set(r.key, frame);
      if (this.waiting.size > this.limits.maxPendingFrames) {
        const [key, oldest] = this.waiting.entries().next().value as [number, Frame];
        this.waiting.delete(key);
        c.pendingOverflows++;
        this.emit(oldest, null, ['no response captured (too many queries waiting)'], out);
      }
      return;
    }
    const query = this.waiting.get(r.key);
    if (query === undefined) { c.orphanResponses++; return; }
    this.waiting.delete(r.key);
    this.emit(query, frame, [], out);
  }

  /** Give up on queries sent queryTimeoutNs or more before nowNs (a datagram's timestamp). */
  private expire(nowNs: bigint, out: Transaction[]): void {
    for (const [key, q] of this.waiting) {
      if (q.startNs + this.limits.queryTimeoutNs > nowNs) continue;
      this.waiting.delete(key);
      this.emit(q, null, [`no response within ${this.limits.queryTimeoutNs / 1_000_000n} ms`], out);
    }
  }

  private emit(query: Frame, response: Frame | null, notes: string[], out: Transaction[]): void {
    const p = this.protocol;
    const tx = buildTransaction(this.meta, p, {
      request: query, response, notes: [...notes, ...p.pairNotes(query.frame, response?.frame ?? null)],
    });
    addIntHop(tx, this.intHops, this.counters);
    this.counters.transactions++;
    if (response === null) this.counters.unansweredQueries++;
    if (!tx.complete) this.counters.incompleteTransactions++;
    out.push(tx);
  }
}
