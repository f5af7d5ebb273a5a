import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

// Tests read the first records a stage wrote with a plain consumer of their own (a throwaway group from the
// beginning), not with the code under test.

export interface TopicRecord {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

/** The first `count` records of `topic` (all partitions), or a timeout naming how many came. */
export async function readFirstRecords(brokers: string, topic: string, count: number, timeoutMs = 60_000): Promise<TopicRecord[]> {
  const kafka = new Kafka({ clientId: 'clovisor-test-reader', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const groupId = `clovisor-test-reader-${randomBytes(4).toString('hex')}`;
  const consumer = kafka.consumer({ groupId });
  const records: TopicRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${topic}: ${records.length} of ${count} records after ${timeoutMs / 1000} s`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          records.push({ partition, offset: message.offset, key: message.key, value: message.value });
          if (records.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
    const admin = kafka.admin();
    await admin.connect().then(() => admin.deleteGroups([groupId])).catch(() => undefined).finally(() => admin.disconnect());
  }
  return records;
}
