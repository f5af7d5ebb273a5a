// A Produce request is walked, not buffered: its record batches (which may be megabytes) are
// only counted, and the walk resumes wherever the bytes ran out, so topic names that follow a
// large batch are still read.
//   ProduceRequest (v0–11) => [transactional_id NULLABLE_STRING (v3+)] acks INT16 timeout_ms INT32
//                             topic_data [TAG_BUFFER (v9+)]
//     topic_data     => ARRAY of name STRING partition_data [TAG_BUFFER (v9+)]
//     partition_data => ARRAY of index INT32 records RECORDS [TAG_BUFFER (v9+)]
//     RECORDS        => NULLABLE_BYTES (INT32 length; COMPACT: UNSIGNED_VARINT length + 1)
// Strings, bytes and arrays are COMPACT from v9.
import { Reader } from './reader.js';
import { addTopic, KAFKA_LIMITS, type KafkaMessage, type ProduceWalk } from './types.js';

export const MAX_PRODUCE_VERSION = 11;

/** Fields before topic_data; r.pos ends after the topic count. */
export function readProduceHead(r: Reader, msg: KafkaMessage): ProduceWalk | null {
  const v = msg.apiVersion as number;
  const flexible = v >= 9;
  if (v >= 3) r.skipString(flexible, true);
  const acks = r.int16();
  r.skip(4);
  const topics = r.arrayCount(flexible, flexible ? 3 : 6);
  if (!r.ok) return null;
  if (acks === 0) msg.expectsResponse = false;
  return { flexible, phase: 'topic', topicsLeft: Math.max(0, topics), partitionsLeft: 0, recordsLeft: 0 };
}

export type WalkStep = { kind: 'done'; pos: number } | { kind: 'more'; pos: number } | { kind: 'invalid'; reason: string };

/** Walk buf[pos..frameEnd) (frameEnd may lie beyond the buffer). Each group of fields is read
 * whole or not at all, so `pos` in the result is always a resumable point. */
export function stepProduce(w: ProduceWalk, msg: KafkaMessage, buf: Buffer, start: number, frameEnd: number): WalkStep {
  let pos = start;
  for (;;) {
    if (w.phase === 'records') {
      const take = Math.min(w.recordsLeft, Math.min(buf.length, frameEnd) - pos);
      w.recordsLeft -= take;
      msg.recordBytes += take;
      pos += take;
      if (w.recordsLeft > 0) return { kind: 'more', pos };
      w.phase = 'partition-end';
      continue;
    }
    const r = new Reader(buf, pos, frameEnd);
    switch (w.phase) {
      case 'topic':
        if (w.topicsLeft === 0) {
          if (w.flexible) r.taggedFields();
          if (r.ok) w.phase = 'end';
          break;
        }
        {
          const name = r.string(w.flexible, false, KAFKA_LIMITS.maxNameChars);
          const partitions = r.arrayCount(w.flexible, w.flexible ? 3 : 8);
          if (r.ok) {
            addTopic(msg, name ?? '');
            w.partitionsLeft = Math.max(0, partitions);
            w.topicsLeft--;
            w.phase = 'partition';
          }
        }
        break;
      case 'partition':
        if (w.partitionsLeft === 0) {
          if (w.flexible) r.taggedFields();
          if (r.ok) w.phase = 'topic';
          break;
        }
        r.skip(4);
        {
          const length = w.flexible ? r.uvarint() - 1 : r.int32();
          if (r.ok && (length < -1 || length > frameEnd - r.pos)) return { kind: 'invalid', reason: 'record batch length outside the frame' };
          if (r.ok) { w.recordsLeft = Math.max(0, length); w.partitionsLeft--; w.phase = 'records'; }
        }
        break;
      case 'partition-end':
        if (w.flexible) r.taggedFields();
        if (r.ok) w.phase = 'partition';
        break;
      case 'end':
        // Bytes after the last field: a newer layout than we know; they are walked over.
        if (frameEnd > pos) msg.notes.push(`${frameEnd - pos} bytes after the Produce body's fields`);
        return { kind: 'done', pos };
    }
    if (r.bad !== null) return { kind: 'invalid', reason: r.bad };
    if (r.short) return r.overrun ? { kind: 'invalid', reason: 'Produce fields overrun the frame' } : { kind: 'more', pos };
    pos = r.pos;
  }
}

/** A hole of `length` bytes: record bytes are accounted for; anything else was needed. */
export function absorbProduceGap(w: ProduceWalk, msg: KafkaMessage, length: number): number {
  if (w.phase !== 'records') return 0;
  const n = Math.min(length, w.recordsLeft);
  w.recordsLeft -= n;
  msg.recordBytes += n;
  if (w.recordsLeft === 0) w.phase = 'partition-end';
  return n;
}
