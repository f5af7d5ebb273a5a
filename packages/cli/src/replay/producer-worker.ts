// The replay's Kafka producer in a worker thread: KafkaJS's request encoding (partitioning,
// record batches, CRCs) is a quarter of a replay's CPU, and here it runs beside the decoding
// instead of between it. Requests are handled one at a time, in the order posted, so each
// topic's records are sent in the order the cores produced them.
import { parentPort, workerData } from 'node:worker_threads';
import { RecordProducer, createKafka, createLogger, errorMessage } from '@clovisor/core';
import { unpack, type Packed } from './packed.js';

export interface ProducerWorkerInit {
  brokers: string[];
}

export type ProducerRequest = { id: number; topic: string; keys: string[]; values: Packed } | { id: number; stop: true };
export type ProducerReply = { id: number; error: string | null };

const port = parentPort;
if (port === null) throw new Error('producer-worker.js runs as a worker thread');
const { brokers } = workerData as ProducerWorkerInit;
const log = createLogger('clovisor-replay/producer');
const producer = new RecordProducer(createKafka(brokers, 'clovisor-replay', log), log);
let queue: Promise<void> = producer.start();

port.on('message', (req: ProducerRequest) => {
  queue = queue.then(async () => {
    if ('stop' in req) {
      await producer.stop();
      port.postMessage({ id: req.id, error: null } satisfies ProducerReply);
      port.close();
      return;
    }
    const records = unpack(req.values).map((value, i) => ({ key: req.keys[i]!, value }));
    await producer.send(req.topic, records);
    port.postMessage({ id: req.id, error: null } satisfies ProducerReply);
  }).catch((err: unknown) => {
    port.postMessage({ id: req.id, error: errorMessage(err) } satisfies ProducerReply);
  });
});
