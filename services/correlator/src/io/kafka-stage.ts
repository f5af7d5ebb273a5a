import type { Kafka } from 'kafkajs';
import { Topics, TransformStage, stageGroupId, codecs, type Logger, type RecordProducer, type SpanRecord, type Transaction } from '@clovisor/core';
import { Correlator, type CorrelatorOptions } from '../core/correlator.js';
import { spanKey } from '../core/keys.js';

/** clovisor.transactions.v1 → Correlator → clovisor.spans.v1 (key: trace id). */
export class CorrelatorStage extends TransformStage<Transaction> {
  readonly correlator: Correlator;

  constructor(kafka: Kafka, producer: RecordProducer, log: Logger, options: CorrelatorOptions = {}) {
    const correlator = new Correlator(options);
    const { transactions, spans } = codecs();
    const encode = (out: SpanRecord[]) => out.map((span) => ({ key: spanKey(span), value: spans.encode(span) }));
    // SERVER spans waiting for their CLIENT capture, and x-request-id-only hops waiting for a
    // hop with context, are released by the capture clock while transactions flow; when traffic
    // is quiet this tick releases them (after 1-2 intervals). A crash loses the spans waiting at
    // that moment: their input offsets are committed.
    const holds = [options.joinConnections === false ? 0 : options.serverHoldMs ?? 2_000, options.requestIdHoldMs ?? 2_000].filter((ms) => ms > 0);
    super(kafka, producer, {
      name: 'correlator',
      groupId: stageGroupId('correlator'),
      inputTopic: Topics.transactions,
      outputTopic: Topics.spans,
      decode: (value) => transactions.decode(value),
      process: (tx) => encode(correlator.process(tx)),
      ...(holds.length > 0 ? { tick: { intervalMs: Math.max(Math.min(...holds), 100), run: () => encode(correlator.tick()) } } : {}),
      flush: () => encode(correlator.flush()),
    }, log);
    this.correlator = correlator;
  }
}
