// The main thread's side of producer-worker.ts: send() resolves once the worker's producer has
// the records in Kafka, like RecordProducer.send.
import { Worker } from 'node:worker_threads';
import { UnavailableError, type OutgoingRecord } from '@clovisor/core';
import { pack } from './packed.js';
import type { ProducerReply, ProducerRequest, ProducerWorkerInit } from './producer-worker.js';

const WORKER_URL = new URL('./producer-worker.js', import.meta.url);

export interface RecordSender {
  send(topic: string, records: OutgoingRecord[]): Promise<void>;
}

export class WorkerProducer implements RecordSender {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private nextId = 0;
  private exited: Error | null = null;

  constructor(brokers: string[]) {
    this.worker = new Worker(WORKER_URL, { workerData: { brokers } satisfies ProducerWorkerInit });
    this.worker.on('message', (reply: ProducerReply) => {
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.error === null) p?.resolve();
      else p?.reject(new UnavailableError('KAFKA_SEND', reply.error));
    });
    const fail = (err: Error): void => {
      this.exited = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', (err) => fail(new UnavailableError('KAFKA_SEND', `the producer thread failed: ${err.message}`, { cause: err })));
    this.worker.on('exit', () => fail(new UnavailableError('KAFKA_SEND', 'the producer thread exited')));
  }

  send(topic: string, records: OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return this.request({ id: 0, topic, keys: records.map((r) => r.key), values: pack(records.map((r) => r.value)) });
  }

  async stop(): Promise<void> {
    if (this.exited !== null) return;
    await this.request({ id: 0, stop: true }).catch(() => undefined);
    await this.worker.terminate();
  }

  private request(req: ProducerRequest): Promise<void> {
    if (this.exited !== null) return Promise.reject(this.exited);
    const id = ++this.nextId;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id }, 'values' in req ? [req.values.bytes.buffer] : []);
    });
  }
}
