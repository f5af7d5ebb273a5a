// Where a replay writes: its own topics (clovisor.<name>.v1.replay-<id>), or its spans straight
// to an OTLP endpoint. Records are buffered per topic and sent in order, in requests the
// producer sizes, so per-partition order (key → partition) is the order the cores produced.
import { ClovisorError, backoffDelayMs, errorMessage, sleep, type OutgoingRecord, type SpanRecord } from '@clovisor/core';
import type { OtlpPusher } from '@clovisor/exporter';
import type { ReplaySink } from './pipeline.js';
import type { RecordSender } from './worker-producer.js';

export interface ReplayTopics {
  transactions: string;
  spans: string;
  deadletter: string;
}

/** Records buffered before a send: small sends start early and overlap the decoding. */
const MAX_BUFFERED = 500;

/** One topic's records: sent in order, one send in flight while the next buffer fills. */
class TopicBuffer {
  private records: OutgoingRecord[] = [];
  private inFlight: Promise<void> = Promise.resolve();
  constructor(private readonly producer: RecordSender, private readonly topic: string) {}

  async add(records: OutgoingRecord[]): Promise<void> {
    for (const r of records) this.records.push(r);
    if (this.records.length >= MAX_BUFFERED) {
      await this.inFlight; // bounded: one send in flight, one buffer filling
      this.sendBuffered();
    }
  }

  async flush(): Promise<void> {
    await this.inFlight;
    this.sendBuffered();
    await this.inFlight;
  }

  private sendBuffered(): void {
    const records = this.records;
    this.records = [];
    this.inFlight = this.producer.send(this.topic, records);
    // a failure surfaces at the next add() or flush(), not as an unhandled rejection meanwhile
    this.inFlight.catch(() => undefined);
  }
}

/** Transactions, spans and dead letters into the replay's topics. */
export function kafkaSink(producer: RecordSender, topics: ReplayTopics): ReplaySink {
  const tx = new TopicBuffer(producer, topics.transactions);
  const spans = new TopicBuffer(producer, topics.spans);
  const dead = new TopicBuffer(producer, topics.deadletter);
  return {
    transactions: (records) => tx.add(records),
    spans: (_spans, records) => spans.add(records),
    deadLetters: (records) => dead.add(records),
    flush: async () => {
      await tx.flush();
      await spans.flush();
      await dead.flush();
    },
  };
}

const SPANS_PER_REQUEST = 512;
const ATTEMPTS = 6;

/** Spans to OTLP (transactions are not written); dead letters still go to the replay's topic. */
export function otlpSink(pusher: OtlpPusher, producer: RecordSender, deadletterTopic: string): ReplaySink {
  const dead = new TopicBuffer(producer, deadletterTopic);
  let pending: SpanRecord[] = [];
  const push = async (spans: SpanRecord[]): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      try {
        await pusher.push(spans);
        return;
      } catch (err) {
        const retryable = !(err instanceof ClovisorError) || err.retryable;
        if (!retryable || attempt + 1 >= ATTEMPTS) {
          throw new ClovisorError('OTLP_EXPORT', `the OTLP endpoint ${pusher.target} did not accept ${spans.length} spans: ${errorMessage(err)}`, { cause: err });
        }
        await sleep(backoffDelayMs(attempt, 500, 10_000));
      }
    }
  };
  const sendFull = async (): Promise<void> => {
    while (pending.length >= SPANS_PER_REQUEST) {
      await push(pending.slice(0, SPANS_PER_REQUEST));
      pending = pending.slice(SPANS_PER_REQUEST);
    }
  };
  return {
    transactions: async () => undefined,
    spans: async (spans) => {
      for (const s of spans) pending.push(s);
      await sendFull();
    },
    deadLetters: (records) => dead.add(records),
    flush: async () => {
      await sendFull();
      if (pending.length > 0) await push(pending);
      pending = [];
      await dead.flush();
    },
  };
}
