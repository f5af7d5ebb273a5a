// End to end on the real captures: pcap → SegmentBatch → FlowDecoder → Transaction (kafka).
// Expected values come from the captured bytes themselves (header fields at their fixed
// offsets, topic names found in the raw bytes), cross-checked against tshark's dissector
// when the fixtures were recorded (api names, versions, correlation ids, error codes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SegmentBatch, Transaction } from '@clovisor/core';
import { decodeBatches, fixtureBatches } from '../../test-support/fixtures.js';
import { allSegments, rebatch, splitSegments } from '../../test-support/streams.js';
import { fixtureFlows, messagesOf, type FixtureFlow } from './fixture-streams.js';

function decode(name: string, batches = fixtureBatches(name), driverBytes?: number): ReturnType<typeof decodeBatches> {
  return decodeBatches(batches, driverBytes === undefined ? {} : { driver: { maxBufferedBytes: driverBytes } });
}

function ofClient(txs: Transaction[], port: number): Transaction[] {
  return txs.filter((t) => t.client.port === port).sort((a, b) => a.messageIndex - b.messageIndex);
}

/** Every transaction against the raw messages of its connection: header fields, sizes, pairing. */
function assertAgainstBytes(txs: Transaction[], flows: FixtureFlow[]): void {
  for (const flow of flows) {
    const reqs = messagesOf(flow.requests);
    const ress = messagesOf(flow.responses);
    const mine = ofClient(txs, flow.clientPort);
    assert.equal(mine.length, reqs.length);
    mine.forEach((t, i) => {
      const m = reqs[i] as Buffer;
      const k = t.kafka;
      assert.ok(k !== null);
      assert.deepEqual([k.apiKey, k.apiVersion, k.correlationId], [m.readInt16BE(4), m.readInt16BE(6), m.readInt32BE(8)]);
      assert.equal(k.clientId, m.toString('latin1', 14, 14 + m.readInt16BE(12)));
      assert.equal(t.requestBytes, m.length);
      const res = ress.find((r) => r.readInt32BE(4) === k.correlationId);
      if (res === undefined) {
        // Produce v3+ with acks=0 (INT16 after the null transactional_id): no response
        assert.deepEqual([k.apiName, m.readInt16BE(14 + m.readInt16BE(12) + 2)], ['Produce', 0]);
        assert.deepEqual([t.responseBytes, t.complete, t.notes], [0, false, ['acks=0: no response expected']]);
        return;
      }
      assert.equal(t.responseBytes, res.length, `${k.apiName} ${k.correlationId} paired by correlation id`);
      assert.equal(t.complete, true);
      assert.deepEqual(t.notes, []);
    });
  }
}

test('kafkajs: admin, producer (110 KiB value, acks all) and a consumer group, every exchange right', () => {
  const { transactions, stats } = decode('kafka-kafkajs.pcap');
  const flows = fixtureFlows('kafka-kafkajs.pcap');
  assert.equal(transactions.length, 22);
  assert.ok(transactions.every((t) => t.protocol === 'kafka'));
  assert.deepEqual([stats.invalidFrames, stats.bytesSkipped, stats.orphanResponses, stats.partialFrames], [0, 0, 0, 0]);
  assertAgainstBytes(transactions, flows);

  const produces = transactions.filter((t) => t.kafka?.apiName === 'Produce').sort((a, b) => a.messageIndex - b.messageIndex);
  // acks all (2 topics, 110 KiB), acks=0 (no response), acks all again: pairs past the unanswered one
  assert.deepEqual(produces.map((t) => [t.kafka?.correlationId, t.kafka?.errorCode, t.complete]), [[2, 0, true], [3, null, false], [4, 0, true]]);
  const produce = produces[0] as Transaction;
  const raw = (messagesOf((flows.find((f) => f.clientPort === produce.client.port) as FixtureFlow).requests)[produce.messageIndex] as Buffer).toString('latin1');
  assert.deepEqual(produce.kafka?.topics, raw.match(/decoder-fixture-kjs-[ab]-\d+/g));
  assert.deepEqual([produce.kafka?.apiVersion, produce.kafka?.errorCode], [7, 0]);
  assert.ok(produce.requestBytes > 110 * 1024);

  const fetch = transactions.find((t) => t.kafka?.apiName === 'Fetch') as Transaction;
  assert.deepEqual([...(fetch.kafka?.topics ?? [])].sort(), [...(produce.kafka?.topics ?? [])].sort());
  assert.deepEqual([fetch.kafka?.apiVersion, fetch.kafka?.errorCode], [11, 0]);
  assert.ok(fetch.responseBytes > 110 * 1024);

  // the consumer group's connection, as tshark's Kafka dissector lists it
  const group = transactions.find((t) => t.kafka?.apiName === 'FindCoordinator') as Transaction;
  const seq = ofClient(transactions, group.client.port).map((t) => t.kafka?.apiName);
  assert.deepEqual(seq, ['ApiVersions', 'Metadata', 'FindCoordinator', 'JoinGroup', 'JoinGroup', 'Metadata', 'SyncGroup',
    'OffsetFetch', 'ListOffsets', 'OffsetCommit', 'OffsetCommit', 'LeaveGroup']);
  const errors = (api: string): Array<number | null> => transactions.filter((t) => t.kafka?.apiName === api).map((t) => t.kafka?.errorCode ?? null);
  // KIP-394: a first JoinGroup without member id gets MEMBER_ID_REQUIRED (79), the retry succeeds
  assert.deepEqual(errors('JoinGroup'), [79, 0]);
  assert.deepEqual([errors('FindCoordinator'), errors('SyncGroup'), errors('LeaveGroup'), errors('ApiVersions')], [[0], [0], [0], [0, 0, 0]]);
  assert.deepEqual(errors('OffsetCommit'), [null, null]);
});

test('record batches are walked, never buffered: a 16 KiB driver buffer decodes the 110 KiB messages the same', () => {
  const fields = (txs: Transaction[]): unknown[] => txs.map((t) => [t.id, t.kafka, t.requestBytes, t.responseBytes, t.complete]);
  const wide = decode('kafka-kafkajs.pcap');
  const narrow = decode('kafka-kafkajs.pcap', undefined, 16 * 1024);
  assert.deepEqual(fields(narrow.transactions), fields(wide.transactions));
  assert.equal(narrow.stats.oversizedFrames, 0);
});

test('Java client 3.9.1: flexible versions, header v2, ApiVersions v4 response header v0, Fetch v17 topic ids', () => {
  const { transactions, stats } = decode('kafka-java.pcap');
  const flows = fixtureFlows('kafka-java.pcap');
  assert.equal(transactions.length, 19);
  assert.deepEqual([stats.invalidFrames, stats.bytesSkipped, stats.orphanResponses, stats.partialFrames], [0, 0, 0, 0]);
  assertAgainstBytes(transactions, flows);
  const of = (api: string): Transaction[] => transactions.filter((t) => t.kafka?.apiName === api);
  // a tag buffer wrongly read after the v0 header would shift the error code
  assert.ok(of('ApiVersions').every((t) => t.kafka?.apiVersion === 4 && t.kafka.errorCode === 0));
  const produce = of('Produce');
  assert.deepEqual(produce.map((t) => [t.kafka?.apiVersion, t.kafka?.correlationId, t.kafka?.clientId, t.kafka?.errorCode]),
    [[11, 6, 'fixture-java-producer', 0], [11, 7, 'fixture-java-producer', 0], [11, 8, 'fixture-java-producer', 0]]);
  const topic = (produce[0]?.kafka?.topics ?? [])[0] as string;
  assert.match(topic, /^decoder-fixture-java-\d+$/);
  // the topic id: in the Metadata v12 response, the 16 bytes after the topic's name
  const meta = of('Metadata').find((t) => t.kafka?.topics.includes(topic)) as Transaction;
  const stream = (flows.find((f) => f.clientPort === meta.client.port) as FixtureFlow).responses;
  const at = stream.indexOf(topic) + topic.length;
  const h = stream.toString('hex', at, at + 16);
  const id = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  const fetch = of('Fetch');
  assert.ok(fetch.length >= 2 && fetch.every((t) => t.kafka?.apiVersion === 17 && t.kafka.errorCode === 0));
  assert.deepEqual(fetch[0]?.kafka?.topics, [id]);
  // idempotent producer: COORDINATOR_LOAD_IN_PROGRESS (14) first, then success
  assert.deepEqual(of('InitProducerId').map((t) => t.kafka?.errorCode), [14, 0]);
});

test('without the port: detected from the request header alone', () => {
  const moved = (b: SegmentBatch): SegmentBatch => ({ ...b, server: { ...b.server, port: 19092 } });
  for (const name of ['kafka-kafkajs.pcap', 'kafka-java.pcap']) {
    const base = decode(name).transactions;
    const other = decode(name, fixtureBatches(name).map(moved)).transactions;
    assert.deepEqual(other.map((t) => [t.protocol, t.kafka]), base.map((t) => [t.protocol, t.kafka]));
  }
});

test('a lost segment inside the 110 KiB Produce\'s record batch: counted as lost; topics and response still there', () => {
  const batches = fixtureBatches('kafka-kafkajs.pcap');
  const produce = decode('kafka-kafkajs.pcap').transactions.find((t) => t.kafka?.apiName === 'Produce' && t.requestBytes > 100_000) as Transaction;
  // The request spans three segments (header, topic a and its batch's start | batch | batch's
  // end and topic b): the middle one holds record bytes only.
  const segs = allSegments(batches.filter((b) => b.flowId === produce.flowId)).filter((s) => s.fromClient && s.payload.length > 16 * 1024);
  assert.equal(segs.length, 3);
  const big = segs[1] as (typeof segs)[0];
  const damaged = batches.map((b) => ({ ...b, segments: b.segments.filter((s) => s !== big) }));
  const tx = decode('kafka-kafkajs.pcap', damaged).transactions.find((t) => t.id === produce.id) as Transaction;
  assert.deepEqual(tx.kafka, produce.kafka);
  assert.equal(tx.requestBytes, produce.requestBytes);
  assert.equal(tx.complete, false);
  assert.ok(tx.notes.includes(`request: ${big.payload.length} bytes lost in capture gap`), tx.notes.join());
});

test('picked up mid-connection, inside a message: resync, then the same exchanges as the full capture', () => {
  const batches = fixtureBatches('kafka-kafkajs.pcap');
  const base = decode('kafka-kafkajs.pcap').transactions;
  const group = base.find((t) => t.kafka?.apiName === 'FindCoordinator') as Transaction;
  const own = batches.filter((b) => b.flowId === group.flowId);
  // 40-byte pieces; the capture starts inside a request (31) or a response (47)
  for (const skip of [31, 47]) {
    const pieces = splitSegments(allSegments(own), 40).slice(skip);
    const { transactions: later, stats } = decodeBatches(rebatch(own[0] as SegmentBatch, pieces));
    assert.ok(stats.bytesSkipped > 0 && stats.bytesSkipped < 100, `skip ${skip}: ${stats.bytesSkipped} bytes skipped`);
    assert.ok(later.length >= 5, `skip ${skip}: ${later.length}`);
    const [first, ...rest] = later;
    assert.ok(first?.notes.some((n) => n.includes('follows missing or unparsable bytes')));
    const want = base.filter((t) => t.flowId === group.flowId).slice(-rest.length);
    assert.deepEqual(rest.map((t) => [t.kafka, t.complete]), want.map((t) => [t.kafka, t.complete]), `skip ${skip}`);
  }
});
