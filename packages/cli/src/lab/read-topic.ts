// Tests read a whole topic back: every record up to the high-water marks it has when called,
// per partition in offset order, through a consumer group of their own that is deleted after.
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

export interface StoredRecord {
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  timestampMs: number;
}

/** Partition → its records; partitions without records map to []. */
export async function readTopic(brokers: string, topic: string, timeoutMs = 30_000): Promise<Map<number, StoredRecord[]>> {
  const kafka = new Kafka({ clientId: 'clovisor-test-reader', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `clovisor-test-reader-${randomBytes(4).toString('hex')}`;
  const out = new Map<number, StoredRecord[]>();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const want = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    for (const o of offsets) out.set(o.partition, []);
    const pending = () => [...want].filter(([p, high]) => {
      const got = out.get(p)!;
      const low = BigInt(offsets.find((o) => o.partition === p)!.low);
      return high > low && (got.length === 0 || got[got.length - 1]!.offset < high - 1n);
    });
    if (pending().length === 0) return out;
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      let resolveDone: () => void = () => undefined;
      const done = new Promise<void>((resolve) => { resolveDone = resolve; });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const list = out.get(batch.partition)!;
          const high = want.get(batch.partition) ?? 0n;
          for (const m of batch.messages) {
            const offset = BigInt(m.offset);
            if (offset < high && (list.length === 0 || offset > list[list.length - 1]!.offset)) {
              list.push({ offset, key: m.key, value: m.value, timestampMs: Number(m.timestamp) });
            }
          }
          if (pending().length === 0) resolveDone();
        },
      });
      const timer = new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`reading ${topic} timed out`)), timeoutMs).unref());
      await Promise.race([done, timer]);
    } finally {
      await consumer.disconnect();
    }
    return out;
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
