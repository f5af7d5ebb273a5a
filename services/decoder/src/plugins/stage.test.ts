// DecoderStage with a plugin through the real Kafka of the local stack (own topics and group):
// the shared TransformStage awaits the plugin worker, sends a failing batch to
// clovisor.deadletter.v1 with its PLUGIN_* code, and built-in protocols keep flowing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { RecordProducer, Topics, codecs, createKafka, createLogger, ensureTopics, type DeadLetter, type Transaction } from '@clovisor/core';
import { DecoderStage } from '../io/kafka-stage.js';
import { flowBatch } from './test-batches.js';

const LINES = fileURLToPath(new URL('./fixture-plugins/lines.js', import.meta.url));
const BROKERS = (process.env['CLOVISOR_BROKERS'] ?? '127.0.0.1:9092').split(',');

test('DecoderStage routes plugin flows to the worker and dead-letters what the plugin fails on', { timeout: 60_000 }, async () => {
  const log = createLogger('stage-test', (l) => { if (process.env['STAGE_TEST_LOG']) process.stderr.write(l + '\n'); });
  const kafka = createKafka(BROKERS, 'plugin-stage-test', log);
  const run = randomBytes(4).toString('hex');
  const topics = { input: `clovisor-test.plugins-in.${run}`, output: `clovisor-test.plugins-out.${run}`, groupId: `clovisor-test-plugins-${run}` };
  await ensureTopics(kafka, [topics.input, topics.output, Topics.deadletter].map((topic) => ({ topic, numPartitions: 1 })));
  const admin = kafka.admin();
  await admin.connect();
  const deadStart = await admin.fetchTopicOffsets(Topics.deadletter);
  const producer = new RecordProducer(kafka, log);
  await producer.start();
  const { segments, transactions: txCodec, deadletter } = codecs();
  const batches = [
    flowBatch('good-1', [['hello\n', 'world\n']]),
    flowBatch('boom-1', [['boom\n', 'x\n']]),
    flowBatch('http-1', [['GET /a HTTP/1.1\r\nHost: h\r\n\r\n', 'HTTP/1.1 204 No Content\r\n\r\n']], { hint: 'http', port: 8080 }),
    flowBatch('spin-1', [['spin\n', 'x\n']]),
    flowBatch('good-2', [['again\n', 'fine\n']]),
  ];
  await producer.send(topics.input, batches.map((b) => ({ key: b.flowId, value: segments.encode(b) })));
  const stage = new DecoderStage(kafka, producer, log, {}, {
    specs: [{ protocol: 'lines', path: LINES, source: 'flag' }], redisUrl: null, limits: { timeoutMs: 500 }, topics,
  });
  const out: Transaction[] = [];
  const dead: DeadLetter[] = [];
  const consumer = kafka.consumer({ groupId: `${topics.groupId}-reader` });
  try {
    await stage.start();
    await consumer.connect();
    await consumer.subscribe({ topics: [topics.output, Topics.deadletter], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (topic === topics.output) out.push(txCodec.decode(message.value));
        else {
          const letter = deadletter.decode(message.value);
          if (letter.sourceTopic === topics.input) dead.push(letter);
        }
      },
    });
    for (const p of deadStart) consumer.seek({ topic: Topics.deadletter, partition: p.partition, offset: p.high });
    const end = Date.now() + 40_000;
    while ((out.length < 3 || dead.length < 2) && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
    const byFlow = new Map(out.map((t) => [t.flowId, t]));
    assert.equal(byFlow.get('good-1')?.attributes['lines.response'], 'world');
    assert.equal(byFlow.get('good-2')?.attributes['lines.response'], 'fine', 'the plugin works after a timeout');
    assert.equal(byFlow.get('http-1')?.http?.statusCode, 204, 'built-in protocols keep flowing');
    // at-least-once: a rebalance of the new group may hand the stage its first batch twice
    const letters = [...new Set(dead.map((d) => `${d.errorCode}@${d.sourceOffset}`))].sort();
    assert.deepEqual(letters, ['PLUGIN_ERROR@1', 'PLUGIN_TIMEOUT@3']);
    assert.equal(segments.decode(dead[0]!.value).segments.length > 0, true, 'the dead letter holds the input record');
    const s = stage.pluginStats();
    assert.ok(s.deadLettered >= 2 && s.failures.PLUGIN_TIMEOUT >= 1 && s.failures.PLUGIN_ERROR >= 1);
    assert.equal(s.redis, null);
    assert.ok(stage.stats().deadLettered >= 2);
  } finally {
    await consumer.disconnect();
    await stage.stop();
    await producer.stop();
    await admin.deleteTopics({ topics: [topics.input, topics.output] }).catch(() => undefined);
    await admin.disconnect();
  }
});
