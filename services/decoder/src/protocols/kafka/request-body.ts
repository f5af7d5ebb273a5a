// Topics of Fetch and Metadata requests, read from the body's head. (Produce is walked by
// produce.ts: its record batches sit between the topic names.)
//   FetchRequest (v0–17) => [replica_id INT32 (v0–14)] max_wait_ms INT32 min_bytes INT32
//                           [max_bytes INT32 (v3+)] [isolation_level INT8 (v4+)]
//                           [session_id INT32 session_epoch INT32 (v7+)] topics ...
//     topics     => ARRAY (COMPACT v12+) of topic STRING (v0–12) | topic_id UUID (v13+),
//                   partitions, [TAG_BUFFER (v12+)]
//     partitions => ARRAY of partition INT32 [current_leader_epoch INT32 (v9+)] fetch_offset INT64
//                   [last_fetched_epoch INT32 (v12+)] [log_start_offset INT64 (v5+)]
//                   partition_max_bytes INT32 [TAG_BUFFER (v12+)]
//   MetadataRequest (v0–12) => topics ARRAY (nullable v1+: null = all topics; COMPACT v9+) of
//                   name STRING (v0–9) | topic_id UUID name COMPACT_NULLABLE_STRING (v10+),
//                   [TAG_BUFFER (v9+)]
// Fields after the topics (forgotten topics, rack id, ...) are not read.
import { API } from './apis.js';
import type { Reader } from './reader.js';
import { addTopic, KAFKA_LIMITS, type KafkaMessage } from './types.js';

function readFetchTopics(r: Reader, msg: KafkaMessage, v: number): void {
  const flexible = v >= 12;
  if (v <= 14) r.skip(4);
  r.skip(v >= 3 ? 12 : 8);
  if (v >= 4) r.skip(1);
  if (v >= 7) r.skip(8);
  const partitionBytes = 16 + (v >= 9 ? 4 : 0) + (v >= 12 ? 5 : 0) + (v >= 5 ? 8 : 0);
  const topics = r.arrayCount(flexible, v >= 13 ? 17 : 2);
  for (let t = 0; t < topics && r.ok; t++) {
    const topic = v >= 13 ? r.uuid() : r.string(flexible, false, KAFKA_LIMITS.maxNameChars);
    const partitions = r.arrayCount(flexible, partitionBytes);
    for (let p = 0; p < partitions && r.ok; p++) {
      r.skip(partitionBytes - (flexible ? 1 : 0));
      if (flexible) r.taggedFields();
    }
    if (flexible) r.taggedFields();
    if (r.ok && topic !== null) addTopic(msg, topic);
  }
}

function readMetadataTopics(r: Reader, msg: KafkaMessage, v: number): void {
  const flexible = v >= 9;
  const topics = r.arrayCount(flexible, v >= 10 ? 18 : 2);
  if (topics === -1 && r.ok && v === 0) r.fail('null topics in Metadata v0');
  for (let t = 0; t < topics && r.ok; t++) {
    const id = v >= 10 ? r.uuid() : null;
    const name = r.string(flexible, v >= 10, KAFKA_LIMITS.maxNameChars);
    if (flexible) r.taggedFields();
    if (r.ok) addTopic(msg, name ?? id ?? '');
  }
}

/** Read what the Transaction records from a request body (not Produce). */
export function readRequestBody(r: Reader, msg: KafkaMessage): void {
  const v = msg.apiVersion as number;
  if (msg.apiKey === API.Fetch) {
    if (v <= 17) readFetchTopics(r, msg, v);
    else msg.notes.push(`Fetch v${v} body not parsed`);
  } else if (msg.apiKey === API.Metadata) {
    if (v <= 12) readMetadataTopics(r, msg, v);
  }
}
