// The error code of a response, read from the head of its body (the rest is walked over).
//   top-level (ApiVersions, SaslHandshake, SaslAuthenticate)   => error_code INT16 ...
//   top-level (FindCoordinator v1–3, JoinGroup v2+, Heartbeat v1+, LeaveGroup v1+, SyncGroup v1+,
//              ListGroups v1+, InitProducerId, AddOffsetsToTxn, EndTxn)
//                                    => [throttle_time_ms INT32] error_code INT16 ...
//   FindCoordinator v4+ => throttle_time_ms INT32 coordinators COMPACT_ARRAY of key COMPACT_STRING
//                          node_id INT32 host COMPACT_STRING port INT32 error_code INT16 ...
//   ProduceResponse (v0–11) => responses ARRAY of name STRING partition_responses ARRAY of
//                              index INT32 error_code INT16 ...            (COMPACT v9+)
//   FetchResponse (v0–17) => [throttle_time_ms INT32 (v1+)] [error_code INT16 session_id INT32 (v7+)]
//                            responses ARRAY (COMPACT v12+) of topic STRING (v0–12) | topic_id UUID
//                            (v13+), partitions ARRAY of partition_index INT32 error_code INT16 ...
// Produce and Fetch have no top-level error before v7 of Fetch: the first partition's error
// code stands for the response (later partitions would need the record batches walked).
import { API, TOP_LEVEL_ERROR } from './apis.js';
import { MAX_PRODUCE_VERSION } from './produce.js';
import type { Reader } from './reader.js';

function firstPartitionError(r: Reader, compact: boolean, topicIds: boolean): number | null {
  const topics = r.arrayCount(compact, topicIds ? 17 : 2);
  if (topics <= 0) return null;
  if (topicIds) r.skip(16);
  else r.skipString(compact);
  const partitions = r.arrayCount(compact, 6);
  if (partitions <= 0) return null;
  r.skip(4);
  return r.int16();
}

/** errorCode of a response body at r.pos, or null when this API has none we read. */
export function readResponseError(r: Reader, apiKey: number, v: number): number | null {
  const throttleFrom = TOP_LEVEL_ERROR.get(apiKey);
  if (apiKey === API.FindCoordinator && v >= 4) {
    r.skip(4);
    const coordinators = r.arrayCount(true, 13);
    if (coordinators <= 0) return null;
    r.skipString(true);
    r.skip(4);
    r.skipString(true);
    r.skip(4);
    return r.int16();
  }
  if (throttleFrom !== undefined) {
    if (v >= throttleFrom) r.skip(4);
    return r.int16();
  }
  if (apiKey === API.Produce && v <= MAX_PRODUCE_VERSION) return firstPartitionError(r, v >= 9, false);
  if (apiKey === API.Fetch && v <= 17) {
    if (v >= 1) r.skip(4);
    const top = v >= 7 ? r.int16() : 0;
    if (v >= 7) r.skip(4);
    const first = firstPartitionError(r, v >= 12, v >= 13);
    return top !== 0 ? top : first ?? (v >= 7 ? top : null);
  }
  return null;
}
