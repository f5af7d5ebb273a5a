import type { Kafka } from 'kafkajs';
import {
  MAX_RECORD_BYTES, RecordTooLargeError, StageConsumer, Topics, codecs, deadLetterFor, errorMessage, loadRegistrySchemas, recordBytes, stageGroupId,
  type BatchOutcome, type Component, type ConsumedRecord, type Logger, type OutgoingRecord, type RecordProducer, type SpanRecord,
} from '@clovisor/core';
import { PartitionedCorrelator, type PartitionedCorrelatorOptions, type PartitionedStats } from '../core/partitioned.js';
import { spanKey } from '../core/keys.js';

export interface CorrelatorStageOptions extends PartitionedCorrelatorOptions {
  /** consumer group; default clovisor-correlator (+ CLOVISOR_TOPIC_SUFFIX) */
  groupId?: string;
}

export interface CorrelatorStageStats {
  consumed: number;
  produced: number;
  deadLettered: number;
  partitioned: PartitionedStats;
}

/** Output of one partition not yet in Kafka. */
interface Pending {
  spans: OutgoingRecord[];
  dead: OutgoingRecord[];
}

/**
 * clovisor.transactions.v1 → one Correlator per partition → clovisor.spans.v1 (key: trace id).
 * Offsets are committed only below the spans that went out; a partition new to this member is
 * read again from before its committed offset to rebuild the join state (core/partitioned.ts).
 *
 * Output waits in `pending` until Kafka has it: the correlator's state has already moved past
 * those records, so a failed send is retried from here (with the batch's retry, or the next
 * tick), never by processing the records again.
 */
export class CorrelatorStage implements Component {
  readonly name = 'correlator';
  readonly correlator: PartitionedCorrelator;
  private readonly consumer: StageConsumer;
  private readonly codec = codecs();
  private readonly pending = new Map<number, Pending>();
  private timer: NodeJS.Timeout | undefined;
  /** batches and ticks one at a time: a tick must not commit offsets whose spans a batch is still sending */
  private lane: Promise<unknown> = Promise.resolve();
  private readonly counters = { consumed: 0, produced: 0, deadLettered: 0 };

  constructor(private readonly kafka: Kafka, private readonly producer: RecordProducer, private readonly log: Logger, private readonly options: CorrelatorStageOptions = {}) {
    this.correlator = new PartitionedCorrelator(options);
    this.consumer = new StageConsumer(kafka, {
      groupId: options.groupId ?? stageGroupId('correlator'),
      topic: Topics.transactions,
      handle: (records) => this.serially(() => this.handle(records)),
      onAssignment: (partitions) => this.assigned(partitions),
    }, log);
  }

  async start(): Promise<void> {
    await this.consumer.start();
    // SERVER spans waiting for their CLIENT capture, and x-request-id-only hops waiting for a hop
    // with context, are released by the capture clock while transactions flow; when traffic is
    // quiet this tick releases them (after 1-2 intervals) and commits the offsets they held back.
    const holds = [this.options.joinConnections === false ? 0 : this.options.serverHoldMs ?? 2_000, this.options.requestIdHoldMs ?? 2_000].filter((ms) => ms > 0);
    if (holds.length > 0) {
      this.timer = setInterval(() => {
        this.serially(() => this.release(this.correlator.tick()))
          .catch((err: unknown) => this.log.warn('timer output not sent yet, will retry', { error: errorMessage(err) }));
      }, Math.max(Math.min(...holds), 100));
      this.timer.unref();
    }
  }

  stats(): CorrelatorStageStats {
    return { ...this.counters, partitioned: this.correlator.stats() };
  }

  /** Emits the held SERVER spans and commits them while the partitions are still ours. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.consumer.stop(() => this.serially(() => this.release(this.correlator.flush())));
  }

  private assigned(partitions: number[]): void {
    const owned = new Set(partitions);
    // not committed, so the partition's new owner reads these records again
    for (const partition of this.pending.keys()) if (!owned.has(partition)) this.pending.delete(partition);
    this.correlator.assigned(partitions);
  }

  private async handle(records: ConsumedRecord[]): Promise<BatchOutcome> {
    const first = records[0]!;
    const partition = first.partition;
    const firstOffset = BigInt(first.offset);
    const low = this.correlator.starts(partition, firstOffset) ? await this.lowWatermark(partition) : 0n;
    const seekTo = this.correlator.begin(partition, firstOffset, low);
    if (seekTo !== null) {
      this.pending.delete(partition); // a fresh start: the records are read again
      this.log.info('rebuilding join state', { partition, from: seekTo.toString(), resumeAt: first.offset });
      return { seekTo: seekTo.toString() };
    }
    // registry mode: the schemas of new ids, before decoding (a registry outage retries the batch)
    await loadRegistrySchemas(records.map((r) => r.value));
    const out = this.pendingOf(partition);
    for (const record of records) {
      const offset = BigInt(record.offset);
      const phase = this.correlator.phase(partition, offset);
      if (phase === 'skip') continue;
      try {
        const spans = this.correlator.process(partition, offset, this.codec.transactions.decode(record.value));
        const encoded = spans.map((span) => this.encode(span));
        const oversized = encoded.find((r) => recordBytes(r) > MAX_RECORD_BYTES);
        // an output Kafka would refuse would block the partition: the input goes to the dead letters
        if (oversized === undefined) out.spans.push(...encoded);
        else out.dead.push(deadLetterFor(this.name, record, new RecordTooLargeError(Topics.spans, recordBytes(oversized))));
      } catch (err) {
        this.correlator.passed(partition, offset);
        // a bad record was dead-lettered when it was first read; a warm-up only passes it by
        if (phase === 'warm') continue;
        this.log.warn('record sent to the dead-letter topic', { topic: record.topic, partition, offset: record.offset, error: errorMessage(err) });
        out.dead.push(deadLetterFor(this.name, record, err));
      }
    }
    this.counters.consumed += records.length;
    await this.sendPending();
    const [mine] = this.correlator.commitOffsets((p) => p === partition);
    return { commit: mine === undefined ? null : mine.offset.toString() };
  }

  /** Spans released by a tick or the final flush: sent, then the offsets they freed committed. */
  private async release(spans: Map<number, SpanRecord[]>): Promise<void> {
    for (const [partition, list] of spans) this.pendingOf(partition).spans.push(...list.map((span) => this.encode(span)));
    await this.sendPending();
    const offsets = this.correlator.commitOffsets();
    if (offsets.length > 0) await this.consumer.commit(offsets.map((o) => ({ partition: o.partition, offset: o.offset.toString() })));
  }

  private async sendPending(): Promise<void> {
    for (const [partition, out] of this.pending) {
      await this.producer.send(Topics.deadletter, out.dead);
      this.counters.deadLettered += out.dead.length;
      out.dead = [];
      await this.producer.send(Topics.spans, out.spans);
      this.counters.produced += out.spans.length;
      this.pending.delete(partition);
    }
  }

  /** The partition's first retained offset (0 when Kafka cannot say: the warm-up may then ask for too much, and KafkaJS falls back to the earliest). */
  private async lowWatermark(partition: number): Promise<bigint> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets(Topics.transactions);
      return BigInt(offsets.find((o) => o.partition === partition)?.low ?? '0');
    } catch (err) {
      this.log.warn('cannot read the first offset of a partition', { partition, error: errorMessage(err) });
      return 0n;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private pendingOf(partition: number): Pending {
    let out = this.pending.get(partition);
    if (out === undefined) this.pending.set(partition, (out = { spans: [], dead: [] }));
    return out;
  }

  private encode(span: SpanRecord): OutgoingRecord {
    return { key: spanKey(span), value: this.codec.spans.encode(span) };
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lane.then(work);
    this.lane = run.catch(() => undefined);
    return run;
  }
}
