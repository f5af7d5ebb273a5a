// INT hop reports through the decoder: real captures (node-keepalive.pcap, four exchanges on one
// connection; dns-udp.pcap) with hop reports added to their batches the way capture publishes them
// (SegmentBatch.intHops), made from the captured packets' own times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IntHop, Segment, SegmentBatch, Transaction } from '@clovisor/core';
import { decodeBatches, fixtureBatches } from '../test-support/fixtures.js';
import { allSegments, runs } from '../test-support/streams.js';
import { INT_HOP_LOOKBACK_NS, MAX_INT_HOPS_PER_FLOW } from './int-hops.js';

const INGRESS = 11;
const EGRESS = 12;

/** A report of a captured packet: it entered the host latencyNs before it was captured here. */
function reportOf(s: Segment, latencyNs: bigint): IntHop {
  return {
    ingressIfindex: s.fromClient ? INGRESS : EGRESS, egressIfindex: s.fromClient ? EGRESS : INGRESS,
    ingressTimeNs: s.timestampNs - latencyNs, egressTimeNs: s.timestampNs, fromClient: s.fromClient,
  };
}

const withHops = (batches: SegmentBatch[], hops: IntHop[]): SegmentBatch[] =>
  batches.map((b, i) => (i === 0 ? { ...b, intHops: hops } : b));

const keepalive = () => fixtureBatches('node-keepalive.pcap');
/** The first segment of each message (request, response, request, …) of a non-pipelined connection. */
const messageStarts = (segments: Segment[]): Segment[] =>
  runs(segments).map((r) => segments.find((s) => s.payload.length > 0 && s.fromClient === r.fromClient && s.seq === r.seq)!);
const syn = (batches: SegmentBatch[]) => allSegments(batches).find((s) => s.flags & 0x02 && s.fromClient)!;

function decoded(batches: SegmentBatch[]): Transaction[] {
  const { transactions } = decodeBatches(batches);
  assert.equal(transactions.length, 4);
  return transactions;
}

test('each exchange carries its own request\'s report when there is one, not the SYN\'s or its response\'s', () => {
  const batches = keepalive();
  const rs = messageStarts(allSegments(batches));
  const hops = [reportOf(syn(batches), 5_000n)];
  rs.forEach((first, i) => hops.push(reportOf(first, BigInt(10_000 + i * 1000))));
  const txs = decoded(withHops(batches, hops));
  txs.forEach((tx, i) => {
    const own = rs[2 * i]!;
    assert.deepEqual({ ...tx.intHop }, {
      ingressIfindex: INGRESS, egressIfindex: EGRESS, latencyNs: 10_000 + 2 * i * 1000, timeNs: own.timestampNs - BigInt(10_000 + 2 * i * 1000), fromClient: true,
    }, tx.id);
  });
});

test('only the SYN reported (rate limiting): the exchanges within INT_HOP_LOOKBACK_NS after it carry it, later ones nothing', () => {
  const batches = keepalive();
  const s = syn(batches);
  // the connection idles 2 s before its third request: shift everything from there on
  const third = messageStarts(allSegments(batches))[4]!.timestampNs;
  const idled = batches.map((b) => ({ ...b, segments: b.segments.map((x) => (x.timestampNs >= third ? { ...x, timestampNs: x.timestampNs + 2n * INT_HOP_LOOKBACK_NS } : x)) }));
  const txs = decoded(withHops(idled, [reportOf(s, 7_000n)]));
  for (const tx of txs) {
    const within = tx.requestStartNs - (s.timestampNs - 7_000n) <= INT_HOP_LOOKBACK_NS;
    assert.equal(tx.intHop?.timeNs, within ? s.timestampNs - 7_000n : undefined, tx.id);
    if (within) assert.equal(tx.intHop!.latencyNs, 7_000);
  }
  assert.deepEqual(txs.map((tx) => tx.intHop !== undefined), [true, true, false, false]);
});

test('a request-direction report wins over a response-direction one nearer the request (the SYN\'s over the SYN-ACK\'s)', () => {
  const batches = keepalive();
  const segments = allSegments(batches);
  const synAck = segments.find((x) => x.flags & 0x02 && !x.fromClient)!;
  const txs = decoded(withHops(batches, [reportOf(syn(batches), 6_000n), reportOf(synAck, 8_000n)]));
  assert.ok(txs[0]!.requestStartNs - synAck.timestampNs < txs[0]!.requestStartNs - syn(batches).timestampNs, 'the SYN-ACK is nearer');
  assert.deepEqual([txs[0]!.intHop!.fromClient, txs[0]!.intHop!.latencyNs], [true, 6_000]);
  // a response-direction report earlier in the window does not keep a later request-direction one out
  const [, firstResponse, secondRequest] = messageStarts(segments);
  const second = decoded(withHops(batches, [reportOf(firstResponse!, 8_000n), reportOf(secondRequest!, 3_000n)]))[1]!;
  assert.deepEqual([second.intHop!.fromClient, second.intHop!.latencyNs], [true, 3_000]);
});

test('a report after an exchange ended is not that exchange\'s; a response-direction report stands in when no request one is there', () => {
  const batches = keepalive();
  const rs = messageStarts(allSegments(batches));
  // only the second response was reported
  const txs = decoded(withHops(batches, [reportOf(rs[3]!, 9_000n)]));
  assert.equal(txs[0]!.intHop, undefined, 'the first exchange ended before that packet');
  assert.deepEqual([txs[1]!.intHop!.fromClient, txs[1]!.intHop!.latencyNs, txs[1]!.intHop!.ingressIfindex], [false, 9_000, EGRESS]);
  // exchanges after it, within the lookback, take it as the nearest report of the connection
  for (const tx of txs.slice(2)) assert.equal(tx.intHop?.timeNs, rs[3]!.timestampNs - 9_000n, tx.id);
});

test('reports in a later batch of the flow count for the exchanges that batch completes', () => {
  const batches = keepalive();
  const segments = allSegments(batches);
  const secondRequest = messageStarts(segments)[2]!;
  const cut = segments.indexOf(secondRequest);
  const split: SegmentBatch[] = [
    { ...batches[0]!, segments: segments.slice(0, cut) },
    { ...batches[0]!, segments: segments.slice(cut), intHops: [reportOf(secondRequest, 4_000n)] },
  ];
  const txs = decoded(split);
  assert.equal(txs[0]!.intHop, undefined, 'emitted before the report came');
  assert.equal(txs[1]!.intHop?.latencyNs, 4_000);
});

test('bounded: a flow keeps its latest MAX_INT_HOPS_PER_FLOW reports; the others leave, counted', () => {
  const batches = keepalive();
  const s = syn(batches);
  const many = Array.from({ length: MAX_INT_HOPS_PER_FLOW + 8 }, (_, i) => reportOf(s, BigInt(100_000 - i)));
  const { transactions, stats } = decodeBatches(withHops(batches, many));
  assert.equal(stats.intHops, MAX_INT_HOPS_PER_FLOW + 8);
  assert.equal(stats.intHopsEvicted, 8);
  assert.equal(stats.transactionsWithIntHop, 4);
  // the 8 with the earliest ingress times (largest latencies) left; the nearest kept one is the latest
  assert.equal(transactions[0]!.intHop!.latencyNs, 100_000 - (MAX_INT_HOPS_PER_FLOW + 7));
});

test('no reports: no field, and the flow holds none', () => {
  const { transactions, stats } = decodeBatches(keepalive());
  assert.ok(transactions.every((tx) => tx.intHop === undefined));
  assert.equal(stats.intHops, 0);
  assert.equal(stats.transactionsWithIntHop, 0);
});

test('UDP (DNS): a query\'s report goes on its transaction', () => {
  const batches = fixtureBatches('dns-udp.pcap');
  const reported = batches.map((b) => ({ ...b, intHops: b.segments.filter((s) => s.fromClient).map((s) => reportOf(s, 3_000n)) }));
  const { transactions, stats } = decodeBatches(reported);
  assert.ok(transactions.length > 0);
  for (const tx of transactions) {
    assert.equal(tx.intHop?.timeNs, tx.requestStartNs - 3_000n, tx.id);
    assert.equal(tx.intHop?.fromClient, true);
  }
  assert.equal(stats.transactionsWithIntHop, transactions.length);
});
