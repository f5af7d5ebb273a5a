import type { ConsumedRecord, OutgoingRecord } from './kafka/index.js';
import type { DeadLetter } from './records.js';
import { ClovisorError, errorMessage } from './errors.js';
import { codecs } from './avro/index.js';

// The original value travels with the dead letter unless that would make the letter itself
// too large for Kafka; then only its size is said.
const MAX_COPIED_VALUE_BYTES = 768 * 1024;

/**
 * The dead-letter record for a consumed record a stage could not process. atNs: when it failed,
 * default now; a replay passes the record's own time so that replaying twice gives equal letters.
 */
export function deadLetterFor(stage: string, record: ConsumedRecord, err: unknown, atNs: bigint = BigInt(Date.now()) * 1_000_000n): OutgoingRecord {
  const tooLarge = (record.value?.length ?? 0) > MAX_COPIED_VALUE_BYTES;
  const letter: DeadLetter = {
    stage,
    sourceTopic: record.topic,
    sourcePartition: record.partition,
    sourceOffset: record.offset,
    errorCode: err instanceof ClovisorError ? err.code : 'UNEXPECTED',
    errorMessage: tooLarge ? `${errorMessage(err)} (original value of ${record.value!.length} bytes not copied)` : errorMessage(err),
    timestampNs: atNs,
    value: tooLarge ? null : record.value,
  };
  return { key: record.key?.toString('utf8') ?? '', value: codecs().deadletter.encode(letter) };
}
