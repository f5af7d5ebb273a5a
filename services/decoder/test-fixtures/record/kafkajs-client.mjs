// Real kafkajs client against the real broker (127.0.0.1:9092) for the Kafka fixtures:
// admin creates two topics, a producer sends one batch to both (acks all; one 110 KiB value,
// so the Produce request carries a big record batch before the second topic's name), then a
// second Produce with acks=0 (the broker sends no response) and a third with acks all follow,
// then a consumer joins a group and fetches until it has every message.
// Usage: node kafkajs-client.mjs <run-id>   (resolves kafkajs from the repo's node_modules)
import { createRequire } from 'node:module';
const require = createRequire(new URL('../../../../package.json', import.meta.url));
const { Kafka, logLevel } = require('kafkajs');

const run = process.argv[2] ?? String(Date.now());
const topicA = `decoder-fixture-kjs-a-${run}`;
const topicB = `decoder-fixture-kjs-b-${run}`;
const kafka = new Kafka({ clientId: 'fixture-kafkajs', brokers: ['127.0.0.1:9092'], logLevel: logLevel.NOTHING });

const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ waitForLeaders: true, topics: [{ topic: topicA, numPartitions: 1 }, { topic: topicB, numPartitions: 1 }] });
await admin.disconnect();

const producer = kafka.producer({ allowAutoTopicCreation: false });
await producer.connect();
const big = 'x'.repeat(110 * 1024);
await producer.sendBatch({
  acks: -1,
  topicMessages: [
    { topic: topicA, messages: [{ key: 'k1', value: 'hello' }, { key: 'big', value: big }] },
    { topic: topicB, messages: [{ key: 'k2', value: 'world' }, { key: 'k3', value: '!' }] },
  ],
});
await producer.send({ topic: topicB, acks: 0, messages: [{ value: 'fire-and-forget' }] });
await producer.send({ topic: topicA, acks: -1, messages: [{ value: 'after' }] });
await producer.disconnect();

const consumer = kafka.consumer({ groupId: `decoder-fixture-group-${run}`, maxWaitTimeInMs: 200 });
await consumer.connect();
await consumer.subscribe({ topics: [topicA, topicB], fromBeginning: true });
let seen = 0;
await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`only ${seen} of 6 messages`)), 20000);
  consumer.run({ eachMessage: async () => { if (++seen === 6) { clearTimeout(timer); resolve(); } } }).catch(reject);
});
await consumer.disconnect();
console.log(`ok ${seen} messages`);
