import type { Consumer, Kafka } from 'kafkajs';
import type { Component } from '../component.js';
import type { Logger } from '../logger.js';
import { backoffDelayMs, sleep } from '../backoff.js';
import { errorMessage } from '../errors.js';

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  timestampMs: string;
}

export type BatchHandler = (records: ConsumedRecord[]) => Promise<void>;

export interface StageConsumerOptions {
  groupId: string;
  topic: string;
  /** start at the earliest offset when the group has none (default true: nothing captured is skipped) */
  fromBeginning?: boolean;
  handle: BatchHandler;
}

/**
 * At-least-once consumption: each batch is handed to `handle`, and its offsets are committed
 * only after `handle` resolved (i.e. its output is in Kafka or the backend accepted it).
 * A failing handler is retried with backoff on the same batch; the partition does not move on.
 * Handlers must send undecodable records to the dead-letter topic instead of throwing.
 */
export class StageConsumer implements Component {
  readonly name: string;
  private readonly consumer: Consumer;
  private readonly abort = new AbortController();
  private running = false;
  private handlerFailures = 0;

  constructor(kafka: Kafka, private readonly options: StageConsumerOptions, private readonly log: Logger) {
    this.name = `consumer:${options.groupId}`;
    this.consumer = kafka.consumer({ groupId: options.groupId, allowAutoTopicCreation: false, sessionTimeout: 30000, heartbeatInterval: 3000 });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: this.options.fromBeginning ?? true });
    this.running = true;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
        const records: ConsumedRecord[] = batch.messages.map((m) => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key,
          value: m.value,
          timestampMs: m.timestamp,
        }));
        if (records.length === 0) return;
        for (let attempt = 0; ; attempt++) {
          if (!isRunning() || isStale() || this.abort.signal.aborted) return;
          try {
            await this.options.handle(records);
            break;
          } catch (err) {
            this.handlerFailures += 1;
            const delay = backoffDelayMs(attempt, 500, 30_000);
            this.log.warn('batch not processed, will retry', { topic: batch.topic, partition: batch.partition, attempt: attempt + 1, retryInMs: delay, error: errorMessage(err) });
            await sleep(delay, this.abort.signal);
            await heartbeat().catch(() => undefined);
          }
        }
        // resolve (KafkaJS's fetch position) and commit (the group's position) together: without
        // the resolve, the batch after the first retry is fetched and handled a second time
        resolveOffset(batch.lastOffset());
        const next = (BigInt(batch.lastOffset()) + 1n).toString();
        await this.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
        await heartbeat();
      },
    });
  }

  stats(): { handlerFailures: number } {
    return { handlerFailures: this.handlerFailures };
  }

  async stop(): Promise<void> {
    this.abort.abort();
    if (!this.running) return;
    this.running = false;
    await this.consumer.disconnect();
  }
}
