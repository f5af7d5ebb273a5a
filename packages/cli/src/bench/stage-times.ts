import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { codecs } from '@clovisor/core';

export interface StageTimes {
  /** url path → Kafka timestamp (ms) of its last transaction record (decoder output; both captures needed) */
  transactions: Map<string, number>;
  /** url path → Kafka timestamp (ms) of its last span record (correlator output; the joined SERVER span comes last) */
  spans: Map<string, number>;
}

/**
 * When the requests whose path starts with `prefix` passed the decoder and the correlator:
 * the producer timestamps of their records in a pipeline's transactions and spans topics.
 */
export async function stageTimes(brokers: string, suffix: string, prefix: string): Promise<StageTimes> {
  const kafka = new Kafka({ clientId: 'bench-stage-times', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const { transactions, spans } = codecs();
  const out: StageTimes = { transactions: new Map(), spans: new Map() };
  await readAll(kafka, `clovisor.transactions.v1${suffix}`, (value, ts) => {
    const path = transactions.decode(value).http?.path;
    if (path?.startsWith(prefix)) out.transactions.set(path, Math.max(ts, out.transactions.get(path) ?? 0));
  });
  await readAll(kafka, `clovisor.spans.v1${suffix}`, (value, ts) => {
    const path = spans.decode(value).attributes['url.path']?.stringValue;
    if (typeof path === 'string' && path.startsWith(prefix)) out.spans.set(path, Math.max(ts, out.spans.get(path) ?? 0));
  });
  return out;
}

/** Every record of a topic up to its end offsets now. */
async function readAll(kafka: Kafka, topic: string, each: (value: Buffer | null, timestampMs: number) => void): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(ends.filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.high)]));
  if (remaining.size === 0) return;
  const groupId = `bench-stage-times-${randomBytes(4).toString('hex')}`;
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 60_000);
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) each(m.value, Number(m.timestamp));
        const end = remaining.get(batch.partition);
        if (end !== undefined && BigInt(batch.lastOffset()) + 1n >= end) remaining.delete(batch.partition);
        if (remaining.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  const cleanup = kafka.admin();
  await cleanup.connect();
  await cleanup.deleteGroups([groupId]).catch(() => undefined);
  await cleanup.disconnect();
}
