import type { Kafka } from 'kafkajs';
import { Topics, TransformStage, codecs, type Logger, type RecordProducer, type Transaction } from '@clovisor/core';
import { Correlator, type CorrelatorOptions } from '../core/correlator.js';
import { spanKey } from '../core/keys.js';

/** clovisor.transactions.v1 → Correlator → clovisor.spans.v1 (key: trace id). */
export class CorrelatorStage extends TransformStage<Transaction> {
  readonly correlator: Correlator;

  constructor(kafka: Kafka, producer: RecordProducer, log: Logger, options: CorrelatorOptions = {}) {
    const correlator = new Correlator(options);
    const { transactions, spans } = codecs();
    super(kafka, producer, {
      name: 'correlator',
      groupId: 'clovisor-correlator',
      inputTopic: Topics.transactions,
      outputTopic: Topics.spans,
      decode: (value) => transactions.decode(value),
      process: (tx) => correlator.process(tx).map((span) => ({ key: spanKey(span), value: spans.encode(span) })),
    }, log);
    this.correlator = correlator;
  }
}
