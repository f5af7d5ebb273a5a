// Reads the selected offset ranges of a topic and hands the records out in one deterministic
// order: a merge of the partitions by capture time (the batch's first segment; the Kafka
// timestamp when the value does not decode), ties broken by partition then offset. Each
// partition keeps its offset order (a flow's batches must reach the decoder in order); the
// merge only decides how partitions interleave, and it depends on nothing but the records.
//
// KafkaJS has no manual assignment: a consumer group of our own (never committed, deleted on
// close) gets every partition, seeks to the ranges' starts, and pauses partitions that are done
// or whose buffer is full (bounded: about maxBuffered records + one fetch per partition).
import type { Consumer, Kafka } from 'kafkajs';
import { UnavailableError, errorMessage, type ConsumedRecord, type SegmentBatch } from '@clovisor/core';
import type { PartitionRange } from './range.js';

export interface ReplayRecord {
  record: ConsumedRecord;
  /** the decoded batch, or null with the decoding error */
  batch: SegmentBatch | null;
  error: unknown;
  /** merge order and the replay's clock: capture time of the batch's first segment (-1: not decoded yet) */
  orderNs: bigint;
}

interface PartitionQueue {
  range: PartitionRange;
  /** the next offset to take: a fetch again from an earlier offset (KafkaJS restarting the
   * consumer, a rebalance) cannot hand a record out twice */
  next: bigint;
  items: ReplayRecord[];
  head: number;
  done: boolean;
  paused: boolean;
}

export interface RangeReaderOptions {
  groupId: string;
  decode: (value: Buffer | null) => SegmentBatch;
  /** records buffered per partition before it is paused; default 500 */
  maxBuffered?: number;
}

export class RangeReader {
  private readonly consumer: Consumer;
  private readonly queues = new Map<number, PartitionQueue>();
  private readonly maxBuffered: number;
  private wake: (() => void) | null = null;
  private failure: unknown = null;
  private started = false;
  /** times the merge waited for a partition's next fetch */
  waits = 0;
  waitedMs = 0;

  /** partitions: every partition of the topic (those not read are paused) */
  constructor(private readonly kafka: Kafka, private readonly topic: string, private readonly partitions: number[], ranges: PartitionRange[], private readonly o: RangeReaderOptions) {
    this.maxBuffered = o.maxBuffered ?? 500;
    for (const range of ranges) {
      this.queues.set(range.partition, { range, next: range.start, items: [], head: 0, done: range.start >= range.end, paused: false });
    }
    // a short fetch wait: the range is already written, and stopping waits for the fetch in flight
    this.consumer = kafka.consumer({ groupId: o.groupId, allowAutoTopicCreation: false, sessionTimeout: 30000, heartbeatInterval: 3000, maxWaitTimeInMs: 200 });
  }

  async start(): Promise<void> {
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      if (event.payload.restart) return;
      this.fail(new UnavailableError('KAFKA_CONSUME', `reading ${this.topic} failed: ${errorMessage(event.payload.error)}`, { cause: event.payload.error }));
    });
    await this.consumer.connect();
    this.started = true;
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({ autoCommit: false, eachBatch: async ({ batch }) => this.take(batch.partition, batch.messages, batch.lastOffset()) });
    const idle: number[] = [];
    for (const p of this.partitions) {
      const q = this.queues.get(p);
      if (q === undefined || q.done) idle.push(p);
      else this.consumer.seek({ topic: this.topic, partition: p, offset: q.range.start.toString() });
    }
    if (idle.length > 0) this.consumer.pause([{ topic: this.topic, partitions: idle }]);
  }

  /** Every record of the ranges, once, in merge order. */
  async *records(): AsyncGenerator<ReplayRecord> {
    for (;;) {
      if (this.failure !== null) throw this.failure;
      let next: PartitionQueue | null = null;
      let waiting = false;
      for (const q of this.queues.values()) {
        if (q.head >= q.items.length) {
          if (!q.done) waiting = true;
          continue;
        }
        this.decodeHead(q);
        if (next === null || before(q, next)) next = q;
      }
      if (waiting) {
        this.waits++;
        const t = performance.now();
        await new Promise<void>((resolve) => { this.wake = resolve; });
        this.waitedMs += performance.now() - t;
        continue;
      }
      if (next === null) return;
      const item = next.items[next.head]!;
      next.items[next.head++] = undefined as unknown as ReplayRecord; // let the buffer go
      if (next.head > 1024 && next.head * 2 > next.items.length) {
        next.items = next.items.slice(next.head);
        next.head = 0;
      }
      if (next.paused && !next.done && next.items.length - next.head < this.maxBuffered / 2) {
        next.paused = false;
        this.consumer.resume([{ topic: this.topic, partitions: [next.range.partition] }]);
      }
      yield item;
    }
  }

  async close(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.consumer.disconnect().catch(() => undefined);
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([this.o.groupId]);
    } catch {
      // an empty group the broker expires on its own; nothing to tell the user
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private take(partition: number, messages: Array<{ offset: string; key: Buffer | null; value: Buffer | null; timestamp: string }>, lastOffset: string): void {
    const q = this.queues.get(partition);
    if (q === undefined || q.done) return;
    for (const m of messages) {
      const offset = BigInt(m.offset);
      if (offset < q.next) continue;
      if (offset >= q.range.end) { q.done = true; break; }
      q.next = offset + 1n;
      const record: ConsumedRecord = { topic: this.topic, partition, offset: m.offset, key: m.key, value: m.value, timestampMs: m.timestamp };
      q.items.push({ record, batch: null, error: null, orderNs: -1n });
    }
    if (BigInt(lastOffset) >= q.range.end - 1n) q.done = true;
    if (q.done || q.items.length - q.head >= this.maxBuffered) {
      q.paused = !q.done;
      this.consumer.pause([{ topic: this.topic, partitions: [partition] }]);
    }
    this.notify();
  }

  /** Records are decoded only once they head their partition: few decoded batches live at once. */
  private decodeHead(q: PartitionQueue): void {
    const item = q.items[q.head]!;
    if (item.orderNs >= 0n) return;
    try {
      item.batch = this.o.decode(item.record.value);
    } catch (err) {
      item.error = err;
    }
    const first = item.batch?.segments[0];
    item.orderNs = first !== undefined ? first.timestampNs : BigInt(item.record.timestampMs) * 1_000_000n;
  }

  private fail(err: unknown): void {
    this.failure = err;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

function before(a: PartitionQueue, b: PartitionQueue): boolean {
  const x = a.items[a.head]!;
  const y = b.items[b.head]!;
  if (x.orderNs !== y.orderNs) return x.orderNs < y.orderNs;
  return a.range.partition < b.range.partition;
}
