import { CompressionTypes, Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { Component } from '../component.js';
import type { Logger } from '../logger.js';
import { UnavailableError, errorMessage } from '../errors.js';

export interface OutgoingRecord {
  key: string;
  value: Buffer;
}

export interface ProducerStats {
  sent: number;
  sendErrors: number;
  lastSendLatencyMs: number;
}

/**
 * Sends records with acks=all, one request in flight (so retries keep per-partition order).
 * send() resolves only once the broker has the records; callers commit their input after it.
 * Delivery is at-least-once: a retried send may duplicate, which downstream tolerates because
 * flow, transaction and span ids are deterministic. (KafkaJS's idempotent producer would need
 * unlimited retries, and a send that never gives up would block shutdown while Kafka is down.)
 */
export class RecordProducer implements Component {
  readonly name = 'kafka-producer';
  private readonly producer: Producer;
  private started = false;
  private readonly counters: ProducerStats = { sent: 0, sendErrors: 0, lastSendLatencyMs: 0 };

  constructor(kafka: Kafka, private readonly log: Logger) {
    this.producer = kafka.producer({
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  async start(): Promise<void> {
    await this.producer.connect();
    this.started = true;
  }

  async send(topic: string, records: OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    const began = Date.now();
    try {
      await this.producer.send({
        topic,
        acks: -1,
        compression: CompressionTypes.None,
        messages: records.map((r) => ({ key: r.key, value: r.value })),
      });
      this.counters.sent += records.length;
      this.counters.lastSendLatencyMs = Date.now() - began;
    } catch (err) {
      this.counters.sendErrors += 1;
      this.log.warn('send failed', { topic, records: records.length, error: errorMessage(err) });
      throw new UnavailableError('KAFKA_SEND', `cannot send to ${topic}: ${errorMessage(err)}`, { cause: err });
    }
  }

  stats(): ProducerStats {
    return { ...this.counters };
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.producer.disconnect();
  }
}
