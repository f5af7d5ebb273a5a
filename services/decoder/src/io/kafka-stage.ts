import type { Kafka } from 'kafkajs';
import { Topics, TransformStage, codecs, type Logger, type RecordProducer, type SegmentBatch, type Transaction } from '@clovisor/core';
import { transactionKey } from '@clovisor/correlator';
import { FlowDecoder, type FlowDecoderOptions } from '../core/decoder.js';

/**
 * clovisor.segments.v1 → TCP reassembly + protocol parsers → clovisor.transactions.v1
 * (key: x-request-id, else trace id, else flow id). Idle flows are flushed every second.
 * Flow state lives in memory: after a restart, flows already in progress resume mid-stream
 * (the reassembler resyncs on the next message), so their first transaction may be partial.
 */
export class DecoderStage extends TransformStage<SegmentBatch> {
  readonly decoder: FlowDecoder;

  constructor(kafka: Kafka, producer: RecordProducer, log: Logger, options: FlowDecoderOptions = {}) {
    const decoder = new FlowDecoder(options);
    const { segments, transactions } = codecs();
    const encode = (txs: Transaction[]) => txs.map((tx) => ({ key: transactionKey(tx), value: transactions.encode(tx) }));
    super(kafka, producer, {
      name: 'decoder',
      groupId: 'clovisor-decoder',
      inputTopic: Topics.segments,
      outputTopic: Topics.transactions,
      decode: (value) => segments.decode(value),
      process: (batch) => encode(decoder.push(batch)),
      tick: { intervalMs: 1000, run: (nowNs) => encode(decoder.flushIdle(nowNs)) },
      flush: () => encode(decoder.flushAll()),
    }, log);
    this.decoder = decoder;
  }
}
