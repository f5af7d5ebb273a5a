import { CompressionTypes, Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { Component } from '../component.js';
import type { Logger } from '../logger.js';
import { ClovisorError, UnavailableError, errorMessage } from '../errors.js';

export interface OutgoingRecord {
  key: string;
  value: Buffer;
}

// A broker accepts record batches up to message.max.bytes (1 MiB by default), so one send is
// split into requests well under it, and a single record that cannot fit is refused up front
// (retrying it would block its partition forever).
export const MAX_REQUEST_BYTES = 768 * 1024;
export const MAX_RECORD_BYTES = 900 * 1024;
const RECORD_OVERHEAD_BYTES = 64;

export function recordBytes(record: OutgoingRecord): number {
  return record.value.length + Buffer.byteLength(record.key) + RECORD_OVERHEAD_BYTES;
}

export class RecordTooLargeError extends ClovisorError {
  constructor(topic: string, bytes: number) {
    super('KAFKA_RECORD_TOO_LARGE', `a record of ${bytes} bytes for ${topic} exceeds the ${MAX_RECORD_BYTES}-byte limit per record`);
    this.name = 'RecordTooLargeError';
  }
}

/** Splits records into runs whose total size stays under MAX_REQUEST_BYTES, keeping order. */
export function splitBySize(records: OutgoingRecord[], maxBytes = MAX_REQUEST_BYTES): OutgoingRecord[][] {
  const chunks: OutgoingRecord[][] = [];
  let chunk: OutgoingRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = recordBytes(record);
    if (chunk.length > 0 && bytes + size > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(record);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
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

  /** Sends in order, in requests under the broker's size limit; resolves once all are written. */
  async send(topic: string, records: OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    for (const record of records) {
      const bytes = recordBytes(record);
      if (bytes > MAX_RECORD_BYTES) throw new RecordTooLargeError(topic, bytes);
    }
    const began = Date.now();
    try {
      for (const chunk of splitBySize(records)) {
        await this.producer.send({
          topic,
          acks: -1,
          compression: CompressionTypes.None,
          messages: chunk.map((r) => ({ key: r.key, value: r.value })),
        });
        this.counters.sent += chunk.length;
      }
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
