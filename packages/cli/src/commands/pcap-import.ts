// `clovisor pcap import`: a capture file's SegmentBatch records onto clovisor.segments.v1, as the
// capture agent would have published them (Avro single-object encoding, key = flowId, so one
// flow's batches stay in order on one partition). Downstream stages cannot tell the difference.
import { Kafka, logLevel } from 'kafkajs';
import {
  RecordProducer, UnavailableError, codecs, createKafka, createLogger, ensureTopics, errorMessage, useSchemaRegistry,
  type OutgoingRecord, type SegmentBatch,
} from '@clovisor/core';

// Kafka refuses a partition's record batch above message.max.bytes (1 MiB by default).
// Loopback captures carry up to 64 KiB per segment, so a 64-segment batch can exceed it:
// batches are split at RECORD_PAYLOAD_MAX (the producer keeps each request under the broker's limit).
const RECORD_PAYLOAD_MAX = 512 * 1024;

export interface ImportSummary {
  batches: number;
  segments: number;
  flows: number;
  bytes: number;
}

/** The batch cut into consecutive batches of at most RECORD_PAYLOAD_MAX payload bytes each. */
export function splitBatch(batch: SegmentBatch): SegmentBatch[] {
  const out: SegmentBatch[] = [];
  let current: SegmentBatch = { ...batch, segments: [] };
  let bytes = 0;
  for (const s of batch.segments) {
    if (current.segments.length > 0 && bytes + s.payload.length > RECORD_PAYLOAD_MAX) {
      out.push(current);
      // capture loss is reported once, on the first part
      current = { ...batch, segments: [], lostEventsBefore: 0 };
      bytes = 0;
    }
    current.segments.push(s);
    bytes += s.payload.length;
  }
  if (current.segments.length > 0) out.push(current);
  return out;
}

/** Fails at once, in one line, when nobody answers: a one-shot command should not wait forever. */
export async function probeKafka(brokers: string[]): Promise<void> {
  const kafka = new Kafka({ clientId: 'clovisor-probe', brokers, logLevel: logLevel.NOTHING, connectionTimeout: 3000, retry: { retries: 0 } });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (err) {
    throw new UnavailableError('KAFKA_UNREACHABLE', `Kafka unreachable at ${brokers.join(',')}: ${errorMessage(err)} (start it with \`clovisor stack up\` or pass --brokers)`, { cause: err });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function importBatches(batches: SegmentBatch[], brokers: string[], topic: string, partitions: number, schemaRegistry: string | null = null): Promise<ImportSummary> {
  await probeKafka(brokers);
  if (schemaRegistry !== null) await useSchemaRegistry(schemaRegistry, [{ topic, codec: 'segments' }]);
  const log = createLogger('clovisor-pcap');
  const kafka = createKafka(brokers, 'clovisor-pcap', log);
  await ensureTopics(kafka, [{ topic, numPartitions: partitions }]);
  const producer = new RecordProducer(kafka, log.child('producer'));
  await producer.start();
  const codec = codecs().segments;
  const summary: ImportSummary = { batches: 0, segments: 0, flows: new Set(batches.map((b) => b.flowId)).size, bytes: 0 };
  try {
    // the producer splits the send into requests the broker accepts
    const records: OutgoingRecord[] = [];
    for (const part of batches.flatMap(splitBatch)) {
      const value = codec.encode(part);
      records.push({ key: part.flowId, value });
      summary.batches++;
      summary.segments += part.segments.length;
      summary.bytes += value.length;
    }
    await producer.send(topic, records);
  } finally {
    await producer.stop();
  }
  return summary;
}
