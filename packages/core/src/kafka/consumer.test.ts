// StageConsumer on the real broker: every record handled exactly once on a fresh group when
// nothing fails, a failing batch retried (not skipped, not committed), and a restarted group
// resuming after what was committed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createKafka } from './client.js';
import { StageConsumer, type ConsumedRecord } from './consumer.js';
import { RecordProducer } from './producer.js';
import { createLogger } from '../logger.js';

const brokers = (process.env['CLOVISOR_BROKERS'] ?? '127.0.0.1:9092').split(',');
const log = createLogger('consumer-test', () => undefined);

async function until(cond: () => boolean, ms: number) {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
}

test('at-least-once consumption: exactly once without failures, retried on failure, resumes after commit', async () => {
  const kafka = createKafka(brokers, 'consumer-test', log);
  const admin = kafka.admin();
  const topic = `clovisor-test-consumer-${randomBytes(4).toString('hex')}`;
  const groupId = `${topic}-group`;
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = new RecordProducer(kafka, log);
  await producer.start();
  try {
    await producer.send(topic, Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: Buffer.from(`v${i}`) })));
    const seen: string[] = [];
    let failOnce = true;
    const handle = async (records: ConsumedRecord[]) => {
      if (failOnce) {
        failOnce = false;
        throw new Error('transient');
      }
      seen.push(...records.map((r) => r.value!.toString()));
    };
    const first = new StageConsumer(kafka, { groupId, topic, handle }, log);
    await first.start();
    await until(() => seen.length >= 10, 30_000);
    await new Promise((r) => setTimeout(r, 2000)); // would a duplicate arrive?
    assert.deepEqual(seen, Array.from({ length: 10 }, (_, i) => `v${i}`), 'each record once, in order, after the retry');
    assert.equal(first.stats().handlerFailures, 1);
    await first.stop();

    await producer.send(topic, [{ key: 'k10', value: Buffer.from('v10') }]);
    const second: string[] = [];
    const resumed = new StageConsumer(kafka, { groupId, topic, handle: async (rs) => void second.push(...rs.map((r) => r.value!.toString())) }, log);
    await resumed.start();
    await until(() => second.length >= 1, 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    await resumed.stop();
    assert.deepEqual(second, ['v10'], 'a restarted group resumes after its committed offset');
  } finally {
    await producer.stop();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
});
