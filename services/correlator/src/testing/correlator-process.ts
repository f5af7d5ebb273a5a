// The correlator stage alone in a process, for tests that kill it: reads its topics from
// CLOVISOR_TOPIC_SUFFIX, its brokers from CLOVISOR_BROKERS, its Kafka client id from
// CLOVISOR_TEST_CLIENT_ID and its options (JSON) from argv[2].
// Prints "ready" once consuming; SIGTERM stops it gracefully (flush, commit) and prints its stats.

import { RecordProducer, createKafka, createLogger } from '@clovisor/core';
import { CorrelatorStage, type CorrelatorStageOptions } from '../io/kafka-stage.js';

const brokers = (process.env['CLOVISOR_BROKERS'] ?? '127.0.0.1:9092').split(',');
const options = JSON.parse(process.argv[2] ?? '{}') as CorrelatorStageOptions;
const log = createLogger('correlator-process');
const kafka = createKafka(brokers, process.env['CLOVISOR_TEST_CLIENT_ID'] ?? 'correlator-process', log);
const producer = new RecordProducer(kafka, log);
await producer.start();
const stage = new CorrelatorStage(kafka, producer, log, options);
await stage.start();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void (async () => {
    await stage.stop();
    await producer.stop();
    process.stdout.write(`${JSON.stringify(stage.stats())}\n`);
    process.exit(0);
  })();
});
