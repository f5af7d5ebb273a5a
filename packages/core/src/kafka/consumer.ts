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
  private restarts = 0;

  constructor(kafka: Kafka, private readonly options: StageConsumerOptions, private readonly log: Logger) {
    this.name = `consumer:${options.groupId}`;
    this.consumer = kafka.consumer({ groupId: options.groupId, allowAutoTopicCreation: false, sessionTimeout: 30000, heartbeatInterval: 3000 });
  }

  async start(): Promise<void> {
    // KafkaJS gives up on a consumer after a non-retriable error (e.g. a commit refused because
    // the group evicted us); we restart it, with backoff, for as long as the stage runs.
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      if (event.payload.restart || !this.running) return;
      void this.restartAfterCrash(errorMessage(event.payload.error));
    });
    this.running = true;
    await this.run();
  }

  private async restartAfterCrash(reason: string): Promise<void> {
    for (let attempt = 0; this.running && !this.abort.signal.aborted; attempt++) {
      const delay = backoffDelayMs(attempt, 1000, 30_000);
      this.log.error(`consumer stopped (${reason}); restarting in ${(delay / 1000).toFixed(1)} s`, { group: this.options.groupId });
      await sleep(delay, this.abort.signal);
      if (!this.running || this.abort.signal.aborted) return;
      try {
        await this.run();
        this.restarts += 1;
        return;
      } catch (err) {
        reason = errorMessage(err);
      }
    }
  }

  private async run(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: this.options.fromBeginning ?? true });
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
            // Heartbeat through the backoff: KafkaJS heartbeats only when asked, and a long
            // backoff would exceed the session timeout and get this member evicted.
            const until = Date.now() + delay;
            while (Date.now() < until && !this.abort.signal.aborted) {
              await sleep(Math.min(3000, until - Date.now()), this.abort.signal);
              await heartbeat().catch(() => undefined);
            }
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

  stats(): { handlerFailures: number; restarts: number } {
    return { handlerFailures: this.handlerFailures, restarts: this.restarts };
  }

  async stop(): Promise<void> {
    this.abort.abort();
    if (!this.running) return;
    this.running = false;
    await this.consumer.disconnect().catch(() => undefined);
  }
}
