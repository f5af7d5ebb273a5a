import type { ConsumedRecord, OutgoingRecord } from './kafka/index.js';
import type { DeadLetter } from './records.js';
import { ClovisorError, errorMessage } from './errors.js';
import { codecs } from './avro/index.js';

/** The dead-letter record for a consumed record a stage could not process. */
export function deadLetterFor(stage: string, record: ConsumedRecord, err: unknown): OutgoingRecord {
  const letter: DeadLetter = {
    stage,
    sourceTopic: record.topic,
    sourcePartition: record.partition,
    sourceOffset: record.offset,
    errorCode: err instanceof ClovisorError ? err.code : 'UNEXPECTED',
    errorMessage: errorMessage(err),
    timestampNs: BigInt(Date.now()) * 1_000_000n,
    value: record.value,
  };
  return { key: record.key?.toString('utf8') ?? '', value: codecs().deadletter.encode(letter) };
}
