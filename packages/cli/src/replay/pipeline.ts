// The decode and correlate stages' cores, driven in process over replayed records: the same
// FlowDecoder (or the --plugin that claims a flow, routed as DecoderStage routes), the same
// Avro encoding and keys, the same Correlator fed the decoder's transactions directly (the
// e2e test checks its spans equal the live stages', which read them back from Kafka). Everything the live stages take from the wall
// clock comes from the records here, so the same range gives the same records every time:
// idle flows are flushed by capture time (the newest segment seen), SERVER spans waiting for
// their CLIENT capture are released by the correlator's capture clock or at the end (its
// wall-clock tick is not used), and dead letters carry the failed record's Kafka timestamp.
import {
  MAX_RECORD_BYTES, RecordTooLargeError, codecs, deadLetterFor, recordBytes,
  type ConsumedRecord, type OutgoingRecord, type SpanRecord, type Transaction,
} from '@clovisor/core';
import { FlowDecoder, type PluginHost } from '@clovisor/decoder';
import { Correlator, spanKey, transactionKey } from '@clovisor/correlator';
import type { ReplayRecord } from './reader.js';

/** Where a replay's output goes: Kafka topics, or spans to OTLP. */
export interface ReplaySink {
  transactions(records: OutgoingRecord[]): Promise<void>;
  spans(spans: SpanRecord[], records: OutgoingRecord[]): Promise<void>;
  deadLetters(records: OutgoingRecord[]): Promise<void>;
  /** everything buffered is written */
  flush(): Promise<void>;
}

export interface ReplayCounts {
  records: number;
  segments: number;
  transactions: number;
  spans: number;
  deadLetters: number;
  /** capture time of the earliest and latest segment replayed (0 when none) */
  firstSegmentNs: bigint;
  lastSegmentNs: bigint;
}

export interface ReplayPipelineOptions {
  plugins: PluginHost | null;
  legacyTags: boolean;
}

/** The live decoder flushes idle flows every second; the replay does it every second of capture time. */
const TICK_NS = 1_000_000_000n;

export class ReplayPipeline {
  private readonly decoder = new FlowDecoder();
  private readonly correlator: Correlator;
  private readonly codec = codecs();
  private clockNs = 0n;
  private nextTickNs = 0n;
  readonly counts: ReplayCounts = { records: 0, segments: 0, transactions: 0, spans: 0, deadLetters: 0, firstSegmentNs: 0n, lastSegmentNs: 0n };

  constructor(private readonly sink: ReplaySink, private readonly o: ReplayPipelineOptions) {
    this.correlator = new Correlator({ legacyTags: o.legacyTags });
  }

  async push(item: ReplayRecord): Promise<void> {
    const c = this.counts;
    c.records++;
    const recordNs = BigInt(item.record.timestampMs) * 1_000_000n;
    if (item.batch === null) {
      await this.dead('decoder', item.record, item.error, recordNs);
      return;
    }
    const batch = item.batch;
    c.segments += batch.segments.length;
    for (const s of batch.segments) {
      if (c.firstSegmentNs === 0n || s.timestampNs < c.firstSegmentNs) c.firstSegmentNs = s.timestampNs;
      if (s.timestampNs > c.lastSegmentNs) c.lastSegmentNs = s.timestampNs;
    }
    if (item.orderNs > this.clockNs) this.clockNs = item.orderNs;
    if (this.clockNs >= this.nextTickNs) {
      if (this.nextTickNs !== 0n) await this.idleFlush(item.record);
      this.nextTickNs = this.clockNs + TICK_NS;
    }
    let txs: Transaction[] = [];
    let failure: unknown;
    try {
      const plugin = this.o.plugins?.route(batch) ?? null;
      if (plugin === null) txs = this.decoder.push(batch);
      else {
        const r = await this.o.plugins!.process(plugin, batch);
        txs = r.transactions;
        if (r.failure !== null) failure = r.failure;
      }
    } catch (err) {
      failure = err;
    }
    const records = txs.map((tx) => this.encodeTransaction(tx));
    const oversized = records.find((r) => recordBytes(r) > MAX_RECORD_BYTES);
    // as in the live stage: an output Kafka would refuse sends its input to the dead letters
    if (oversized !== undefined) failure ??= new RecordTooLargeError('transactions', recordBytes(oversized));
    else await this.transactions(txs, records, item.record, recordNs);
    if (failure !== undefined) await this.dead('decoder', item.record, failure, recordNs);
  }

  /** End of the range: every flow still open and every SERVER span still waiting goes out. */
  async finish(): Promise<void> {
    const txs = this.decoder.flushAll();
    if (this.o.plugins !== null) txs.push(...(await this.o.plugins.flush()));
    await this.transactions(txs, null, null, this.clockNs);
    await this.spans(this.correlator.flush());
    await this.sink.flush();
  }

  private async idleFlush(record: ConsumedRecord): Promise<void> {
    const txs = this.decoder.flushIdle(this.clockNs);
    if (this.o.plugins !== null) txs.push(...(await this.o.plugins.tick(this.clockNs)));
    await this.transactions(txs, null, record, this.clockNs);
  }

  /** Written, and correlated (the e2e test checks the spans equal those of the live stages,
   * which read the transactions back from their topic). */
  private async transactions(txs: Transaction[], records: OutgoingRecord[] | null, source: ConsumedRecord | null, atNs: bigint): Promise<void> {
    if (txs.length === 0) return;
    this.counts.transactions += txs.length;
    await this.sink.transactions(records ?? txs.map((tx) => this.encodeTransaction(tx)));
    for (const tx of txs) {
      let spans: SpanRecord[];
      try {
        spans = this.correlator.process(tx);
      } catch (err) {
        const r = this.encodeTransaction(tx);
        const from: ConsumedRecord = source ?? { topic: 'replay', partition: -1, offset: '-1', key: null, value: null, timestampMs: '0' };
        await this.dead('correlator', { ...from, key: Buffer.from(r.key), value: r.value }, err, atNs);
        continue;
      }
      await this.spans(spans);
    }
  }

  private encodeTransaction(tx: Transaction): OutgoingRecord {
    return { key: transactionKey(tx), value: this.codec.transactions.encode(tx) };
  }

  private async spans(spans: SpanRecord[]): Promise<void> {
    if (spans.length === 0) return;
    this.counts.spans += spans.length;
    await this.sink.spans(spans, spans.map((span) => ({ key: spanKey(span), value: this.codec.spans.encode(span) })));
  }

  private async dead(stage: string, record: ConsumedRecord, err: unknown, atNs: bigint): Promise<void> {
    this.counts.deadLetters++;
    await this.sink.deadLetters([deadLetterFor(stage, record, err, atNs)]);
  }
}
