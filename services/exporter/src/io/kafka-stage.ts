import type { Kafka } from 'kafkajs';
import {
  ClovisorError, StageConsumer, Topics, stageGroupId, codecs, deadLetterFor, errorMessage, loadRegistrySchemas,
  type Component, type ConsumedRecord, type Logger, type OutgoingRecord, type RecordProducer, type SpanRecord,
} from '@clovisor/core';
import { createOtlpPusher, type OtlpPusher, type OtlpPusherStats } from './otlp-push.js';

export interface ExporterStageOptions {
  protocol: 'http' | 'grpc';
  endpoint: string;
  /** spans per OTLP request */
  maxSpansPerRequest?: number;
  timeoutMs?: number;
}

export interface ExporterStageStats {
  spansExported: number;
  requestsFailedRetryable: number;
  spansRejectedPermanently: number;
  deadLettered: number;
  /** the OTLP clients' numbers, those of clients replaced by setEndpoint() included (sizes: the current one's) */
  otlp: OtlpPusherStats;
}

/**
 * clovisor.spans.v1 → OTLP. A batch's offsets are committed only after the backend accepted
 * all of its spans: while the backend is down the same batch is retried with backoff (the
 * consumer does not move on), so nothing is lost; span ids are deterministic, so a retried
 * request that had in fact arrived yields the same span again, not a second one.
 * A permanent rejection (e.g. 400) sends the batch to the dead-letter topic and moves on.
 */
export class ExporterStage implements Component {
  readonly name = 'exporter';
  private readonly consumer: StageConsumer;
  private pusher: OtlpPusher;
  private readonly pusherOptions: { protocol: ExporterStageOptions['protocol']; endpoint: string; timeoutMs: number };
  /** set by setEndpoint(); the next batch (or retry) switches to it */
  private nextEndpoint: string | null = null;
  private readonly maxSpansPerRequest: number;
  /** records the backend accepted, per partition, until a later batch of that partition shows
   * they were committed: a retried batch, or one handed out again because its commit failed,
   * skips them instead of sending them twice */
  private readonly accepted = new Map<string, Set<bigint>>();
  private readonly counters: Omit<ExporterStageStats, 'otlp'> = { spansExported: 0, requestsFailedRetryable: 0, spansRejectedPermanently: 0, deadLettered: 0 };
  /** totals of the OTLP clients replaced so far */
  private replaced: OtlpPusherStats = { pushes: 0, accepted: 0, spansAccepted: 0, retryableFailures: 0, permanentFailures: 0, adapter: { spans: 0, emptyAttributesDropped: 0, endClampedToStart: 0, resources: { size: 0, evictions: 0 } } };

  constructor(kafka: Kafka, private readonly producer: RecordProducer, options: ExporterStageOptions, private readonly log: Logger) {
    this.pusherOptions = { protocol: options.protocol, endpoint: options.endpoint, timeoutMs: options.timeoutMs ?? 10_000 };
    this.pusher = createOtlpPusher(this.pusherOptions);
    this.maxSpansPerRequest = options.maxSpansPerRequest ?? 512;
    this.consumer = new StageConsumer(kafka, { groupId: stageGroupId('exporter'), topic: Topics.spans, handle: (records) => this.handle(records) }, log);
  }

  async start(): Promise<void> {
    await this.consumer.start();
  }

  stats(): ExporterStageStats {
    return { ...this.counters, otlp: addPusherStats(this.replaced, this.pusher.stats()) };
  }

  /** Exports to another endpoint from the next batch on (a batch failing against the old one is retried against it). */
  setEndpoint(endpoint: string): void {
    this.nextEndpoint = endpoint === this.pusherOptions.endpoint ? null : endpoint;
  }

  private async switchEndpoint(endpoint: string): Promise<void> {
    const old = this.pusher;
    const { adapter, ...counts } = old.stats();
    this.replaced = addPusherStats(this.replaced, { ...counts, adapter: { ...adapter, resources: { size: 0, evictions: adapter.resources.evictions } } });
    this.pusherOptions.endpoint = endpoint;
    this.pusher = createOtlpPusher(this.pusherOptions);
    this.nextEndpoint = null;
    this.log.info('exporting to a new OTLP endpoint', { otlp: endpoint });
    await old.shutdown().catch((err: unknown) => this.log.warn('closing the previous OTLP exporter failed', { error: String(err) }));
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
    await this.pusher.shutdown();
  }

  private async handle(records: ConsumedRecord[]): Promise<void> {
    if (this.nextEndpoint !== null) await this.switchEndpoint(this.nextEndpoint);
    const dead: OutgoingRecord[] = [];
    const spans: Array<{ span: SpanRecord; record: ConsumedRecord }> = [];
    const accepted = this.acceptedFor(records);
    await loadRegistrySchemas(records.map((r) => r.value)); // registry mode; an outage retries the batch
    for (const record of records) {
      if (accepted.has(BigInt(record.offset))) continue;
      try {
        spans.push({ span: codecs().spans.decode(record.value), record });
      } catch (err) {
        dead.push(deadLetterFor('exporter', record, err));
      }
    }
    for (let i = 0; i < spans.length; i += this.maxSpansPerRequest) {
      const chunk = spans.slice(i, i + this.maxSpansPerRequest);
      try {
        await this.pusher.push(chunk.map((s) => s.span));
        for (const { record } of chunk) accepted.add(BigInt(record.offset));
        this.counters.spansExported += chunk.length;
      } catch (err) {
        if (!(err instanceof ClovisorError) || err.retryable) {
          this.counters.requestsFailedRetryable += 1;
          throw err; // the consumer retries this batch with backoff and does not commit
        }
        this.counters.spansRejectedPermanently += chunk.length;
        this.log.error('backend rejected spans permanently; sent to the dead-letter topic', { spans: chunk.length, error: errorMessage(err) });
        for (const { record } of chunk) dead.push(deadLetterFor('exporter', record, err));
      }
    }
    await this.producer.send(Topics.deadletter, dead);
    this.counters.deadLettered += dead.length;
  }

  /** The accepted offsets of this batch's partition, forgetting those before the batch (committed). */
  private acceptedFor(records: ConsumedRecord[]): Set<bigint> {
    const first = records[0]!;
    const key = `${first.topic}/${first.partition}`;
    const firstOffset = BigInt(first.offset);
    const set = this.accepted.get(key) ?? new Set<bigint>();
    for (const offset of set) if (offset < firstOffset) set.delete(offset);
    this.accepted.set(key, set);
    return set;
  }
}

function addPusherStats(a: OtlpPusherStats, b: OtlpPusherStats): OtlpPusherStats {
  return {
    pushes: a.pushes + b.pushes,
    accepted: a.accepted + b.accepted,
    spansAccepted: a.spansAccepted + b.spansAccepted,
    retryableFailures: a.retryableFailures + b.retryableFailures,
    permanentFailures: a.permanentFailures + b.permanentFailures,
    adapter: {
      spans: a.adapter.spans + b.adapter.spans,
      emptyAttributesDropped: a.adapter.emptyAttributesDropped + b.adapter.emptyAttributesDropped,
      endClampedToStart: a.adapter.endClampedToStart + b.adapter.endClampedToStart,
      resources: { size: a.adapter.resources.size + b.adapter.resources.size, evictions: a.adapter.resources.evictions + b.adapter.resources.evictions },
    },
  };
}
