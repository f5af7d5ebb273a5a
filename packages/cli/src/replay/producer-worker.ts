// The replay's Kafka producer in a worker thread: KafkaJS's request encoding (partitioning,
// record batches, CRCs) is a quarter of a replay's CPU, and here it runs beside the decoding
// instead of between it. Each topic's requests are handled one at a time, in the order posted,
// so its records are sent in the order the cores produced them; different topics' requests
// overlap (one is encoded while another waits for the broker).
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
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
const started = producer.start();
/** per topic: the last request's completion (never rejects) */
const queues = new Map<string, Promise<void>>();

function reply(to: MessagePort, id: number, run: () => Promise<void>): Promise<void> {
  return run().then(
    () => to.postMessage({ id, error: null } satisfies ProducerReply),
    (err: unknown) => to.postMessage({ id, error: errorMessage(err) } satisfies ProducerReply),
  );
}

port.on('message', (req: ProducerRequest) => {
  if ('stop' in req) {
    // after every request posted before it
    const pending = [started.catch(() => undefined), ...queues.values()];
    void reply(port, req.id, async () => {
      await Promise.all(pending);
      await producer.stop();
    }).then(() => port.close());
    return;
  }
  const previous = queues.get(req.topic) ?? Promise.resolve();
  queues.set(req.topic, previous.then(() => reply(port, req.id, async () => {
    await started;
    await producer.send(req.topic, unpack(req.values).map((value, i) => ({ key: req.keys[i]!, value })));
  })));
});
