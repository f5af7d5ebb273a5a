import type { Kafka } from 'kafkajs';
import type { Component } from '../component.js';
import type { Logger } from '../logger.js';
import { Topics } from '../topics.js';
import { errorMessage } from '../errors.js';
import { deadLetterFor } from '../deadletter.js';
import { loadRegistrySchemas } from '../avro/registry-mode.js';
import { StageConsumer, type ConsumedRecord } from './consumer.js';
import { MAX_RECORD_BYTES, RecordTooLargeError, recordBytes, type OutgoingRecord, type RecordProducer } from './producer.js';

// The shell shared by the stages that turn one topic into another (decoder, correlator):
// consume → decode → pure core → produce, commit only after the output is in Kafka. A record
// that cannot be decoded or processed goes to the dead-letter topic; the others go on.

/**
 * What processing one input gives: output records, or output records plus the error that sends
 * the input itself to the dead-letter topic (a plugin timed out on it: its partial output, if
 * any, is still sent).
 */
export type ProcessOutput = OutgoingRecord[] | { records: OutgoingRecord[]; deadLetter?: unknown };

export interface TransformStageOptions<I> {
  name: string;
  groupId: string;
  inputTopic: string;
  outputTopic: string;
  decode: (value: Buffer | null) => I;
  /** the core: one input → keyed, encoded output records (async when it waits on a worker) */
  process: (input: I) => ProcessOutput | Promise<ProcessOutput>;
  /** periodic output of the core's timers (e.g. idle flows), every intervalMs */
  tick?: { intervalMs: number; run: (nowNs: bigint) => OutgoingRecord[] | Promise<OutgoingRecord[]> };
  /** what the core still holds, emitted on stop */
  flush?: () => OutgoingRecord[] | Promise<OutgoingRecord[]>;
}

export interface TransformStageStats {
  consumed: number;
  produced: number;
  deadLettered: number;
}

export class TransformStage<I> implements Component {
  readonly name: string;
  private readonly consumer: StageConsumer;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private readonly counters: TransformStageStats = { consumed: 0, produced: 0, deadLettered: 0 };

  constructor(kafka: Kafka, private readonly producer: RecordProducer, private readonly o: TransformStageOptions<I>, private readonly log: Logger) {
    this.name = o.name;
    this.consumer = new StageConsumer(kafka, { groupId: o.groupId, topic: o.inputTopic, handle: (records) => this.handle(records) }, log);
  }

  async start(): Promise<void> {
    await this.consumer.start();
    if (this.o.tick) {
      const { intervalMs, run } = this.o.tick;
      this.timer = setInterval(() => {
        this.ticking = this.ticking
          .then(async () => this.send(await run(BigInt(Date.now()) * 1_000_000n), []))
          .catch((err: unknown) => this.log.warn('timer output not sent', { error: errorMessage(err) }));
      }, intervalMs);
      this.timer.unref();
    }
  }

  stats(): TransformStageStats {
    return { ...this.counters };
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.consumer.stop();
    await this.ticking;
    const flush = this.o.flush;
    if (flush) await Promise.resolve().then(flush).then((records) => this.send(records, [])).catch((err: unknown) => this.log.error('final flush not sent', { error: errorMessage(err) }));
  }

  private async handle(records: ConsumedRecord[]): Promise<void> {
    const outputs: OutgoingRecord[] = [];
    const dead: OutgoingRecord[] = [];
    // registry mode: the schemas of new ids, before decoding (a registry outage retries the batch)
    await loadRegistrySchemas(records.map((r) => r.value));
    for (const record of records) {
      let failure: unknown;
      try {
        // Records are processed one after the other even when process is async: flow state
        // depends on the order of a partition's records.
        const out = await this.o.process(this.o.decode(record.value));
        const produced = Array.isArray(out) ? out : out.records;
        const oversized = produced.find((r) => recordBytes(r) > MAX_RECORD_BYTES);
        // an output Kafka would refuse would block the partition: the input goes to the dead letters
        if (oversized) failure = new RecordTooLargeError(this.o.outputTopic, recordBytes(oversized));
        else outputs.push(...produced);
        if (!Array.isArray(out) && out.deadLetter !== undefined) failure = out.deadLetter;
      } catch (err) {
        failure = err;
      }
      if (failure !== undefined) {
        this.log.warn('record sent to the dead-letter topic', { topic: record.topic, partition: record.partition, offset: record.offset, error: errorMessage(failure) });
        dead.push(deadLetterFor(this.o.name, record, failure));
      }
    }
    this.counters.consumed += records.length;
    await this.send(outputs, dead);
  }

  private async send(outputs: OutgoingRecord[], dead: OutgoingRecord[]): Promise<void> {
    await this.producer.send(this.o.outputTopic, outputs);
    await this.producer.send(Topics.deadletter, dead);
    this.counters.produced += outputs.length;
    this.counters.deadLettered += dead.length;
  }
}
