// The producer against the real broker: a send far larger than the broker's 1 MiB request limit
// arrives whole and in order; a single record that can never fit is refused as permanent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createKafka } from './client.js';
import { MAX_RECORD_BYTES, RecordProducer, RecordTooLargeError, splitBySize } from './producer.js';
import { createLogger } from '../logger.js';

const brokers = (process.env['CLOVISOR_BROKERS'] ?? '127.0.0.1:9092').split(',');
const log = createLogger('producer-test', () => undefined);

test('splitBySize keeps order and bounds each run', () => {
  const records = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: Buffer.alloc(100 * 1024, i) }));
  const chunks = splitBySize(records, 300 * 1024);
  assert.deepEqual(chunks.flat(), records);
  assert.ok(chunks.every((c) => c.length >= 1 && c.reduce((n, r) => n + r.value.length, 0) <= 300 * 1024));
});

test('a 5 MiB send reaches the broker whole; an oversized record is refused', async () => {
  const kafka = createKafka(brokers, 'producer-test', log);
  const admin = kafka.admin();
  const topic = `clovisor-test-producer-${randomBytes(4).toString('hex')}`;
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = new RecordProducer(kafka, log);
  await producer.start();
  try {
    // 2,000 records of 2.5 KiB on one partition: about 5 MiB in one send() call
    const records = Array.from({ length: 2000 }, (_, i) => ({ key: 'same', value: Buffer.from(`${i}:`.padEnd(2560, 'x')) }));
    await producer.send(topic, records);
    const offsets = await admin.fetchTopicOffsets(topic);
    assert.equal(offsets[0]!.high, '2000');
    await assert.rejects(producer.send(topic, [{ key: 'big', value: Buffer.alloc(MAX_RECORD_BYTES + 1) }]), RecordTooLargeError);
  } finally {
    await producer.stop();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
});
