import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
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

/**
 * What a handler may ask instead of the default (commit the whole batch):
 * - `seekTo`: read this partition again from that offset (nothing resolved, nothing committed);
 * - `commit`: commit that offset instead of the batch's end (lower while some of the batch's
 *   output is still held back), or null to commit nothing now.
 */
export type BatchOutcome = { seekTo: string } | { commit: string | null };

export type BatchHandler = (records: ConsumedRecord[]) => Promise<void | BatchOutcome>;

export interface StageConsumerOptions {
  groupId: string;
  topic: string;
  /** start at the earliest offset when the group has none (default true: nothing captured is skipped) */
  fromBeginning?: boolean;
  handle: BatchHandler;
  /** called with this member's partitions after every (re)join of the group */
  onAssignment?: (partitions: number[]) => void;
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
  private batchInFlight: Promise<void> = Promise.resolve();
  private commits: Promise<void> = Promise.resolve();

  constructor(kafka: Kafka, private readonly options: StageConsumerOptions, private readonly log: Logger) {
    this.name = `consumer:${options.groupId}`;
    // maxWaitTimeInMs: an idle fetch returns after 1 s instead of KafkaJS's 5 s, because stop()
    // waits for the fetch in flight; records still come back as soon as they exist.
    this.consumer = kafka.consumer({ groupId: options.groupId, allowAutoTopicCreation: false, sessionTimeout: 30000, heartbeatInterval: 3000, maxWaitTimeInMs: 1000 });
  }

  async start(): Promise<void> {
    // KafkaJS gives up on a consumer after a non-retriable error (e.g. a commit refused because
    // the group evicted us); we restart it, with backoff, for as long as the stage runs.
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      if (event.payload.restart || !this.running) return;
      void this.restartAfterCrash(errorMessage(event.payload.error));
    });
    const onAssignment = this.options.onAssignment;
    if (onAssignment) {
      this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => onAssignment(event.payload.memberAssignment[this.options.topic] ?? []));
    }
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
      eachBatch: async (payload) => {
        const done = this.handleBatch(payload);
        this.batchInFlight = done.catch(() => undefined);
        await done;
      },
    });
  }

  private async handleBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
    const records: ConsumedRecord[] = batch.messages.map((m) => ({
      topic: batch.topic,
      partition: batch.partition,
      offset: m.offset,
      key: m.key,
      value: m.value,
      timestampMs: m.timestamp,
    }));
    if (records.length === 0) return;
    let outcome: void | BatchOutcome;
    for (let attempt = 0; ; attempt++) {
      if (!isRunning() || isStale() || this.abort.signal.aborted) return;
      try {
        outcome = await this.options.handle(records);
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
    if (outcome && 'seekTo' in outcome) {
      this.consumer.seek({ topic: batch.topic, partition: batch.partition, offset: outcome.seekTo });
      return;
    }
    // resolve (KafkaJS's fetch position) and commit (the group's position) together: without
    // the resolve, the batch after the first retry is fetched and handled a second time
    resolveOffset(batch.lastOffset());
    const next = outcome ? outcome.commit : (BigInt(batch.lastOffset()) + 1n).toString();
    if (next !== null) await this.commit([{ partition: batch.partition, offset: next }]);
    await heartbeat();
  }

  /** Commits offsets of this member's partitions, outside a batch too (one commit at a time). */
  commit(offsets: { partition: number; offset: string }[]): Promise<void> {
    const topic = this.options.topic;
    const run = this.commits.then(() => this.consumer.commitOffsets(offsets.map((o) => ({ topic, ...o }))));
    this.commits = run.catch(() => undefined);
    return run;
  }

  stats(): { handlerFailures: number; restarts: number } {
    return { handlerFailures: this.handlerFailures, restarts: this.restarts };
  }

  /**
   * Stops consuming. `beforeLeave` runs once the batch in progress is done, while this member
   * still owns its partitions (so it can still commit()).
   */
  async stop(beforeLeave?: () => Promise<void>): Promise<void> {
    this.abort.abort();
    if (!this.running) return;
    this.running = false;
    if (beforeLeave) {
      try {
        this.consumer.pause([{ topic: this.options.topic }]);
      } catch {
        // not running (e.g. restarting after a crash): nothing is fetched anyway
      }
      await this.batchInFlight;
      await beforeLeave().catch((err: unknown) => this.log.error('work before leaving the group failed', { error: errorMessage(err) }));
    }
    await this.consumer.disconnect().catch(() => undefined);
  }
}
