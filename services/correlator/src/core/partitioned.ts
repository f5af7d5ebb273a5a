// One Correlator per input partition, plus the offset bookkeeping that makes restarts and
// rebalances safe. Pure: the Kafka stage (io/kafka-stage.ts) feeds it offsets and records.
//
// The join state is rebuilt by replay, not kept in a changelog (docs/spans.md, Restarts):
// - When a partition is first seen at offset c (its committed offset), the stage reads it again
//   from c − warmupRecords ("warm-up"): those records go through a fresh Correlator, which
//   rebuilds the x-request-id window, the remembered CLIENT spans and the held SERVER spans
//   exactly as an uninterrupted run had them, and their spans are dropped (they were emitted
//   before c was committed).
// - From c on, spans go out, except a span whose own transaction lies before c (a held SERVER
//   span rebuilt by the warm-up and released or joined later): it went out before.
// - The commit never passes a SERVER span still held: the committed offset is the lowest of
//   the next offset and the oldest held origin. A crash loses nothing; the held transaction is
//   read again after the restart and decided again with the same state.
// - Records below the next offset are skipped: after a rebalance that leaves a partition here,
//   KafkaJS reads it again from the committed offset, but their spans already went out.
// - A partition that is revoked loses its state (its held spans are not emitted: their
//   transactions are not committed, the new owner decides them). A partition that comes back
//   after a gap (someone else moved its offset on) starts over with a warm-up.
// Every decision depends on the records and their order only, so a replay gives the same spans
// with the same ids, trace ids and parents as the uninterrupted run. Exceptions: the wall-clock
// idle tick, and warm-up shorter than the state (more than warmupRecords records in a window).

import type { SpanRecord, Transaction } from '@clovisor/core';
import { Correlator, type CorrelatorOptions, type CorrelatorStats } from './correlator.js';
import type { Emitted } from './connection-join.js';

export interface PartitionedCorrelatorOptions extends CorrelatorOptions {
  /** records read again before the committed offset to rebuild the join state; default 100 000; 0 = off */
  warmupRecords?: number;
}

/** What to do with one record of a batch. */
export type RecordPhase = 'skip' | 'warm' | 'live';

export interface PartitionedStats {
  partitions: number;
  /** partitions started (with a warm-up when records came before) */
  warmups: number;
  /** records read again to rebuild state, and the spans they gave that were dropped */
  warmupRecords: number;
  suppressedSpans: number;
  /** records already processed by this instance and seen again (after a rebalance) */
  skippedRecords: number;
  /** SERVER spans held by revoked partitions, left to the new owner */
  revokedHeld: number;
  /**
   * The correlators' numbers summed: the totals include those of correlators dropped since (a
   * revoked partition, a partition started over), so they never go down; the current sizes
   * (window size, held, clients) are those of the partitions owned now.
   */
  correlator: CorrelatorStats;
}

interface PartitionState {
  correlator: Correlator;
  /** first offset whose spans may not have gone out yet: earlier origins are dropped */
  resumeAt: bigint;
  /** next offset to process; lower ones were applied already */
  next: bigint;
  /** last offset handed out for commit */
  committed: bigint;
}

export class PartitionedCorrelator {
  private readonly parts = new Map<number, PartitionState>();
  private readonly warmup: bigint;
  private readonly counts = { warmups: 0, warmupRecords: 0, suppressedSpans: 0, skippedRecords: 0, revokedHeld: 0 };
  /** totals of the correlators dropped so far (sizes zeroed) */
  private retired: CorrelatorStats;

  constructor(private readonly options: PartitionedCorrelatorOptions = {}) {
    const warmup = options.warmupRecords ?? 100_000;
    if (!Number.isInteger(warmup) || warmup < 0) throw new RangeError('warmupRecords must be an integer ≥ 0');
    this.warmup = BigInt(warmup);
    this.retired = new Correlator(options).stats(); // zeros; and bad options are refused now, not at the first record
  }

  /** The partitions this member owns after a (re)join: the others' state is dropped. */
  assigned(partitions: readonly number[]): void {
    const owned = new Set(partitions);
    for (const [partition, state] of this.parts) {
      if (owned.has(partition)) continue;
      this.counts.revokedHeld += state.correlator.stats().connectionJoin.held;
      this.retire(state.correlator);
      this.parts.delete(partition);
    }
  }

  /**
   * A batch of `partition` starts at `firstOffset`: null to go on with it, or the offset to read
   * the partition from first (a warm-up), not below `lowWatermark` (its first retained record).
   */
  begin(partition: number, firstOffset: bigint, lowWatermark = 0n): bigint | null {
    if (!this.starts(partition, firstOffset)) {
      const state = this.parts.get(partition)!;
      // the warm-up starts later than asked (retention removed records meanwhile)
      if (firstOffset > state.next) state.next = firstOffset;
      return null;
    }
    // not below the partition's first record: KafkaJS would "recover" by committing the earliest offset
    const wanted = firstOffset > this.warmup ? firstOffset - this.warmup : 0n;
    const from = wanted > lowWatermark ? wanted : lowWatermark < firstOffset ? lowWatermark : firstOffset;
    const previous = this.parts.get(partition);
    if (previous !== undefined) this.retire(previous.correlator);
    this.parts.set(partition, { correlator: new Correlator(this.options), resumeAt: firstOffset, next: from, committed: firstOffset });
    this.counts.warmups++;
    return from < firstOffset ? from : null;
  }

  /** Whether a batch at `firstOffset` starts the partition over (new here, or others moved it on): begin() then asks for a warm-up. */
  starts(partition: number, firstOffset: bigint): boolean {
    const state = this.parts.get(partition);
    if (state === undefined) return true;
    if (firstOffset <= state.next) return false;
    return !(state.next < state.resumeAt && firstOffset <= state.resumeAt);
  }

  phase(partition: number, offset: bigint): RecordPhase {
    const state = this.state(partition);
    if (offset < state.next) {
      this.counts.skippedRecords++;
      return 'skip';
    }
    return offset < state.resumeAt ? 'warm' : 'live';
  }

  /** A record that is not 'skip': its spans (none while warming). */
  process(partition: number, offset: bigint, tx: Transaction): SpanRecord[] {
    const state = this.state(partition);
    state.next = offset + 1n;
    if (offset < state.resumeAt) this.counts.warmupRecords++;
    return this.live(state, state.correlator.processFrom(tx, offset));
  }

  /** A record that is not 'skip' but could not be processed (dead-lettered, or bad while warming). */
  passed(partition: number, offset: bigint): void {
    this.state(partition).next = offset + 1n;
  }

  /** The correlators' idle tick (wall clock): the spans it released, by partition. */
  tick(): Map<number, SpanRecord[]> {
    return this.each((c) => c.tickFrom());
  }

  /** On stop: every SERVER span still held, unjoined, by partition. */
  flush(): Map<number, SpanRecord[]> {
    return this.each((c) => c.flushFrom());
  }

  /**
   * Offsets that can be committed now and were not handed out before: all spans of the records
   * below them went out. Call after the spans returned so far are in Kafka. `include`: the
   * partitions to look at (the others keep theirs for a later call).
   */
  commitOffsets(include: (partition: number) => boolean = () => true): { partition: number; offset: bigint }[] {
    const out: { partition: number; offset: bigint }[] = [];
    for (const [partition, state] of this.parts) {
      if (!include(partition)) continue;
      if (state.next < state.resumeAt) continue; // still warming
      const held = state.correlator.oldestHeldOrigin(state.resumeAt);
      const safe = held !== null && held < state.next ? held : state.next;
      if (safe <= state.committed) continue;
      state.committed = safe;
      out.push({ partition, offset: safe });
    }
    return out;
  }

  stats(): PartitionedStats {
    const all = [...this.parts.values()].map((s) => s.correlator.stats());
    return { partitions: this.parts.size, ...this.counts, correlator: sumStats(all, this.retired) };
  }

  /** Keeps a dropped correlator's totals; its sizes go with it. */
  private retire(correlator: Correlator): void {
    const s = correlator.stats();
    s.requestIdWindow.size = 0;
    s.requestIdHold.held = 0;
    s.connectionJoin.clients = 0;
    s.connectionJoin.held = 0;
    this.retired = sumStats([s], this.retired);
  }

  private each(release: (c: Correlator) => Emitted[]): Map<number, SpanRecord[]> {
    const out = new Map<number, SpanRecord[]>();
    for (const [partition, state] of this.parts) {
      const spans = this.live(state, release(state.correlator));
      if (spans.length > 0) out.set(partition, spans);
    }
    return out;
  }

  private live(state: PartitionState, emitted: Emitted[]): SpanRecord[] {
    const out: SpanRecord[] = [];
    for (const e of emitted) {
      if (e.origin >= state.resumeAt) out.push(e.span);
      else this.counts.suppressedSpans++;
    }
    return out;
  }

  private state(partition: number): PartitionState {
    const state = this.parts.get(partition);
    if (state === undefined) throw new Error(`partition ${partition}: begin() was not called`);
    return state;
  }
}

/** Adds up numeric fields, nested ones too. */
function sumStats<T>(items: T[], zero: T): T {
  const add = (a: unknown, b: unknown): unknown => {
    if (typeof a === 'number' && typeof b === 'number') return a + b;
    if (a !== null && typeof a === 'object' && b !== null && typeof b === 'object') {
      return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, add(v, (b as Record<string, unknown>)[k])]));
    }
    return a;
  };
  return items.reduce((acc, item) => add(acc, item) as T, zero);
}
