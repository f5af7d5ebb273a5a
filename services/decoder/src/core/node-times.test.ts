// Node-interface times through the decoder: a real capture (node-keepalive.pcap, four exchanges on
// one connection) with node times added to its segments the way capture publishes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SegmentBatch } from '@clovisor/core';
import { decodeBatches, fixtureBatches } from '../test-support/fixtures.js';
import { allSegments, runs } from '../test-support/streams.js';

/** Client segments crossed the node NIC 40 µs after the pod, server segments 30 µs before. */
function withNodeTimes(batches: SegmentBatch[]): SegmentBatch[] {
  return batches.map((b) => ({
    ...b,
    nodeInterfaceName: 'eth0',
    segments: b.segments.map((s) => ({ ...s, nodeTimestampNs: s.fromClient ? s.timestampNs + 40_000n : s.timestampNs - 30_000n })),
  }));
}

test('each transaction gets the node times of its request and response', () => {
  const batches = fixtureBatches('node-keepalive.pcap');
  const rs = runs(allSegments(batches));
  const { transactions } = decodeBatches(withNodeTimes(batches));
  assert.equal(transactions.length, 4);
  transactions.forEach((tx, i) => {
    assert.deepEqual(tx.nodeInterface, {
      name: 'eth0',
      requestNs: rs[2 * i]!.startNs + 40_000n,
      responseNs: rs[2 * i + 1]!.startNs - 30_000n,
    }, tx.id);
  });
});

test('only some segments timed: what is known is given, the rest is null; none timed: no field', () => {
  const batches = fixtureBatches('node-keepalive.pcap');
  const requestsOnly = withNodeTimes(batches).map((b) => ({ ...b, segments: b.segments.map((s) => (s.fromClient ? s : { ...s, nodeTimestampNs: null })) }));
  for (const tx of decodeBatches(requestsOnly).transactions) {
    assert.equal(tx.nodeInterface?.name, 'eth0');
    assert.equal(tx.nodeInterface?.responseNs, null);
    assert.equal(tx.nodeInterface?.requestNs, tx.requestStartNs + 40_000n);
  }
  for (const tx of decodeBatches(batches).transactions) assert.equal(tx.nodeInterface, undefined);
});
