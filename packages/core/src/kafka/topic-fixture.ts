// Test support for the Kafka shells (not a test file): a fresh single-partition topic on the real
// broker with a started producer, removed with its consumer group afterwards.
import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { createKafka } from './client.js';
import { RecordProducer } from './producer.js';
import { createLogger, type Logger } from '../logger.js';

export interface TestTopic {
  kafka: Kafka;
  log: Logger;
  topic: string;
  groupId: string;
  producer: RecordProducer;
}

/** Runs `body` against a new topic `clovisor-test-<name>-<random>`; cleans up even when it throws. */
export async function withTestTopic(name: string, body: (t: TestTopic) => Promise<void>): Promise<void> {
  const brokers = (process.env['CLOVISOR_BROKERS'] ?? '127.0.0.1:9092').split(',');
  const log = createLogger(`${name}-test`, () => undefined);
  const kafka = createKafka(brokers, `${name}-test`, log);
  const admin = kafka.admin();
  const topic = `clovisor-test-${name}-${randomBytes(4).toString('hex')}`;
  const groupId = `${topic}-group`;
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = new RecordProducer(kafka, log);
  await producer.start();
  try {
    await body({ kafka, log, topic, groupId, producer });
  } finally {
    await producer.stop();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

/** Polls `cond` every 100 ms until it holds or `ms` passed. */
export async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
}
