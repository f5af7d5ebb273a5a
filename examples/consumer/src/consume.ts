#!/usr/bin/env node
// An example consumer of Clovisor's topics: kafkajs + avsc, nothing of Clovisor's code. Prints one
// JSON line per record: topic, partition, offset, key, which schema wrote it, and the record
// (Avro longs, e.g. epoch-nanosecond times, as strings of digits; bytes as base64).
//
//   node dist/consume.js --topic clovisor.spans.v1 [--brokers 127.0.0.1:9092] [--schemas ../../schemas]
//                        [--group my-consumer] [--from-beginning] [--max <n>] [--schema-registry <url>]
//
// Undecodable records are reported on stderr and skipped (a real consumer would dead-letter
// them); offsets are committed by the group as usual, so a restart goes on where it stopped.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { TopicDecoder, schemaNameOf, toJson } from './decode.js';

const { values } = parseArgs({
  options: {
    topic: { type: 'string' },
    brokers: { type: 'string', default: process.env['CLOVISOR_BROKERS'] ?? '127.0.0.1:9092' },
    schemas: { type: 'string', default: fileURLToPath(new URL('../../../schemas/', import.meta.url)) },
    group: { type: 'string', default: 'clovisor-example-consumer' },
    'from-beginning': { type: 'boolean', default: false },
    max: { type: 'string' },
    'schema-registry': { type: 'string', default: process.env['CLOVISOR_SCHEMA_REGISTRY'] },
  },
});
if (values.topic === undefined) {
  process.stderr.write('usage: consume.js --topic <clovisor topic> [--brokers h:p] [--schemas dir] [--group id] [--from-beginning] [--max n] [--schema-registry url]\n');
  process.exit(2);
}
const topic = values.topic;
const max = values.max === undefined ? Infinity : Number(values.max);
const decoder = new TopicDecoder(values.schemas!, schemaNameOf(topic), values['schema-registry'] ?? null);

const kafka = new Kafka({ clientId: 'clovisor-example-consumer', brokers: values.brokers!.split(','), logLevel: logLevel.WARN });
const consumer = kafka.consumer({ groupId: values.group! });
let seen = 0;
const stop = async (): Promise<void> => {
  await consumer.disconnect();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());

await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: values['from-beginning'] });
await consumer.run({
  eachMessage: async ({ partition, message }) => {
    if (seen >= max) return;
    seen++;
    try {
      const { record, writer } = await decoder.decode(message.value);
      process.stdout.write(toJson({ topic, partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, writer, record }) + '\n');
    } catch (err) {
      process.stderr.write(`skipped ${topic}/${partition}@${message.offset}: ${(err as Error).message}\n`);
    }
    if (seen >= max) setImmediate(() => void stop());
  },
});
