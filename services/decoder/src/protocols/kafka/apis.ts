// The Kafka APIs this decoder knows: name, newest request version and the first "flexible"
// version (KIP-482: compact strings/arrays, tagged fields, request header v2, response header
// v1). Derived from kafka-clients 3.9.1 (ApiKeys: latestVersion and requestHeaderVersion per
// version). A version above the newest known one is still framed and paired; only detection
// (which must not claim random bytes) and body parsing stay within the known ranges.

/** [name, newest version, first flexible version (-1: never)], indexed by api key. */
const APIS: ReadonlyArray<readonly [string, number, number]> = [
  ['Produce', 11, 9], ['Fetch', 17, 12], ['ListOffsets', 9, 6], ['Metadata', 12, 9],
  ['LeaderAndIsr', 7, 4], ['StopReplica', 4, 2], ['UpdateMetadata', 8, 6], ['ControlledShutdown', 3, 3],
  ['OffsetCommit', 9, 8], ['OffsetFetch', 9, 6], ['FindCoordinator', 6, 3], ['JoinGroup', 9, 6],
  ['Heartbeat', 4, 4], ['LeaveGroup', 5, 4], ['SyncGroup', 5, 4], ['DescribeGroups', 5, 5],
  ['ListGroups', 5, 3], ['SaslHandshake', 1, -1], ['ApiVersions', 4, 3], ['CreateTopics', 7, 5],
  ['DeleteTopics', 6, 4], ['DeleteRecords', 2, 2], ['InitProducerId', 5, 2], ['OffsetForLeaderEpoch', 4, 4],
  ['AddPartitionsToTxn', 5, 3], ['AddOffsetsToTxn', 4, 3], ['EndTxn', 4, 3], ['WriteTxnMarkers', 1, 1],
  ['TxnOffsetCommit', 4, 3], ['DescribeAcls', 3, 2], ['CreateAcls', 3, 2], ['DeleteAcls', 3, 2],
  ['DescribeConfigs', 4, 4], ['AlterConfigs', 2, 2], ['AlterReplicaLogDirs', 2, 2], ['DescribeLogDirs', 4, 2],
  ['SaslAuthenticate', 2, 2], ['CreatePartitions', 3, 2], ['CreateDelegationToken', 3, 2], ['RenewDelegationToken', 2, 2],
  ['ExpireDelegationToken', 2, 2], ['DescribeDelegationToken', 3, 2], ['DeleteGroups', 2, 2], ['ElectLeaders', 2, 2],
  ['IncrementalAlterConfigs', 1, 1], ['AlterPartitionReassignments', 0, 0], ['ListPartitionReassignments', 0, 0], ['OffsetDelete', 0, -1],
  ['DescribeClientQuotas', 1, 1], ['AlterClientQuotas', 1, 1], ['DescribeUserScramCredentials', 0, 0], ['AlterUserScramCredentials', 0, 0],
  ['Vote', 1, 0], ['BeginQuorumEpoch', 1, 1], ['EndQuorumEpoch', 1, 1], ['DescribeQuorum', 2, 0],
  ['AlterPartition', 3, 0], ['UpdateFeatures', 1, 0], ['Envelope', 0, 0], ['FetchSnapshot', 1, 0],
  ['DescribeCluster', 1, 0], ['DescribeProducers', 0, 0], ['BrokerRegistration', 4, 0], ['BrokerHeartbeat', 1, 0],
  ['UnregisterBroker', 0, 0], ['DescribeTransactions', 0, 0], ['ListTransactions', 1, 0], ['AllocateProducerIds', 0, 0],
  ['ConsumerGroupHeartbeat', 0, 0], ['ConsumerGroupDescribe', 0, 0], ['ControllerRegistration', 0, 0], ['GetTelemetrySubscriptions', 0, 0],
  ['PushTelemetry', 0, 0], ['AssignReplicasToDirs', 0, 0], ['ListClientMetricsResources', 0, 0], ['DescribeTopicPartitions', 0, 0],
];

export const API = {
  Produce: 0, Fetch: 1, Metadata: 3, FindCoordinator: 10, JoinGroup: 11, Heartbeat: 12, LeaveGroup: 13,
  SyncGroup: 14, ListGroups: 16, SaslHandshake: 17, ApiVersions: 18, InitProducerId: 22,
  AddOffsetsToTxn: 25, EndTxn: 26, SaslAuthenticate: 36,
} as const;

export function isKnownApi(apiKey: number): boolean {
  return apiKey >= 0 && apiKey < APIS.length;
}

export function apiName(apiKey: number): string {
  return APIS[apiKey]?.[0] ?? `Unknown(${apiKey})`;
}

/** The newest version of a known API (for detection), or -1. */
export function maxVersion(apiKey: number): number {
  return APIS[apiKey]?.[1] ?? -1;
}

/** Flexible versions use compact encodings and tagged fields (unknown APIs: assumed not). */
export function isFlexible(apiKey: number, apiVersion: number): boolean {
  const api = APIS[apiKey];
  if (api === undefined) return false;
  return api[2] >= 0 && apiVersion >= api[2];
}

/** Response header v1 (with tagged fields) for flexible versions, except ApiVersions: a client
 * must read its response before it knows what the broker speaks, so that header stays v0. */
export function responseHasTaggedFields(apiKey: number, apiVersion: number): boolean {
  return apiKey !== API.ApiVersions && isFlexible(apiKey, apiVersion);
}

/** Responses whose body starts with a top-level error_code, optionally after throttle_time_ms:
 * api key → first version with throttle_time_ms before the error code (0: always, 99: never). */
export const TOP_LEVEL_ERROR: ReadonlyMap<number, number> = new Map([
  [API.ApiVersions, 99], [API.SaslHandshake, 99], [API.SaslAuthenticate, 99],
  [API.FindCoordinator, 1], [API.JoinGroup, 2], [API.Heartbeat, 1], [API.LeaveGroup, 1],
  [API.SyncGroup, 1], [API.ListGroups, 1], [API.InitProducerId, 0], [API.AddOffsetsToTxn, 0], [API.EndTxn, 0],
]);
