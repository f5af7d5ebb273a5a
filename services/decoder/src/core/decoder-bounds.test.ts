// Bounded state: flows (LRU), bytes across flows, idle flows, pending frames, parser buffers;
// every eviction and drop shows up in stats().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpFlags, type Segment, type SegmentBatch, type Transaction } from '@clovisor/core';
import { FlowDecoder } from './decoder.js';
import { decodeBatches, fixtureBatches } from '../test-support/fixtures.js';
import { allSegments, rebatch, runs } from '../test-support/streams.js';

function fixture(name: string): { template: SegmentBatch; segments: Segment[] } {
  const batches = fixtureBatches(name);
  const first = batches[0] as SegmentBatch;
  return { template: first, segments: allSegments(batches.filter((b) => b.flowId === first.flowId)) };
}

test('at most maxFlows flows: the least recently used is evicted, counted, and emits what it had', () => {
  const flows = ['node-keepalive.pcap', 'node-pipelined.pcap', 'node-post-continue.pcap'].map(fixture);
  const batches: SegmentBatch[] = []; // one segment per batch, flows taking turns
  for (let i = 0; flows.some((f) => i < f.segments.length); i++) {
    for (const f of flows) if (i < f.segments.length) batches.push({ ...f.template, segments: [f.segments[i] as Segment] });
  }
  const decoder = new FlowDecoder({ maxFlows: 2 });
  const txs: Transaction[] = [];
  for (const b of batches) {
    txs.push(...decoder.push(b));
    assert.ok(decoder.stats().flowsActive <= 2);
  }
  txs.push(...decoder.flushAll());
  const s = decoder.stats();
  assert.ok(s.flowsEvictedLru > 0);
  assert.equal(s.flowsEvicted, s.flowsEvictedLru);
  assert.ok(txs.some((t) => !t.complete));
  assert.equal(s.transactions, txs.length);
  assert.equal(s.incompleteTransactions, txs.filter((t) => !t.complete).length);
});

test('bytes held across flows stay under maxBufferedBytes: over it the LRU flow goes', () => {
  const { template, segments } = fixture('node-big-any.pcapng');
  const body = segments.filter((s) => !s.fromClient && s.payload.length > 0);
  const held = segments.filter((s) => s !== body[1]); // a hole: the segments after it wait out of order
  const decoder = new FlowDecoder({ maxBufferedBytes: 6000 });
  const txs: Transaction[] = [];
  for (const b of rebatch(template, held, 1)) {
    txs.push(...decoder.push(b));
    assert.ok(decoder.stats().bufferedBytes <= 6000);
  }
  const s = decoder.stats();
  assert.equal(s.flowsEvictedMemory, 1);
  assert.equal(txs.length, 1);
  assert.equal(txs[0]?.complete, false);
});

test('idle flows are flushed; a flow still receiving batches is not, whatever its capture times', () => {
  const { template, segments } = fixture('node-keepalive.pcap');
  const firstRequest = runs(segments)[0];
  assert.ok(firstRequest);
  const upToRequest = segments.filter((s) => s.timestampNs <= firstRequest.endNs);
  const decoder = new FlowDecoder({ idleTimeoutNs: 1_000n });
  assert.deepEqual(decoder.push({ ...template, segments: upToRequest }), []);
  const wall = firstRequest.endNs + 10_000_000_000n; // a replay: the wall clock is far ahead
  assert.deepEqual(decoder.flushIdle(wall), []); // touched since the last tick: active now
  assert.deepEqual(decoder.flushIdle(wall + 999n), []);
  const out = decoder.flushIdle(wall + 1_000n);
  assert.equal(out.length, 1);
  assert.deepEqual([out[0]?.http?.path, out[0]?.complete, out[0]?.notes], ['/hello', false, ['no response captured']]);
  assert.deepEqual([decoder.stats().flowsEvictedIdle, decoder.stats().flowsActive], [1, 0]);
});

test('requests waiting for responses are bounded per flow', () => {
  const { template, segments } = fixture('node-pipelined.pcap');
  const clientOnly = segments.filter((s) => s.fromClient && s.payload.length > 0); // one direction captured
  const { transactions, stats } = decodeBatches([{ ...template, protocolHint: 'http', segments: clientOnly }], { maxPendingFrames: 2 });
  assert.equal(transactions.length, 3);
  assert.ok(transactions.every((t) => !t.complete && t.responseStartNs === null));
  assert.equal(stats.pendingOverflows, 1);
});

test('late segments of a closed flow are counted, not revived; UDP is counted, not parsed', () => {
  const { template, segments } = fixture('node-keepalive.pcap');
  const decoder = new FlowDecoder();
  decoder.push({ ...template, segments });
  const retransmit = segments.find((s) => s.payload.length > 0) as Segment;
  assert.deepEqual(decoder.push({ ...template, segments: [retransmit] }), []);
  assert.deepEqual(decoder.push({ ...template, transport: 'UDP', flowId: 'u', segments: [retransmit] }), []);
  const s = decoder.stats();
  assert.deepEqual([s.segmentsAfterClose, s.flowsCreated, s.flowsActive, s.nonTcpBatches], [1, 1, 0, 1]);
});

test('a flow that is not HTTP is left unparsed after maxDetectBytes', () => {
  const { template, segments } = fixture('node-keepalive.pcap');
  const scrambled = segments.map((s) => ({ ...s, payload: Buffer.from(s.payload.map((b) => b ^ 0x80)) }));
  const { transactions, stats } = decodeBatches(rebatch(template, scrambled), { maxDetectBytes: 200 });
  assert.deepEqual([transactions.length, stats.flowsUndetected], [0, 1]);
  assert.ok(stats.bytesSkipped > 0);
});

test('a head that never ends is dropped at its bound; memory stays bounded', () => {
  const { template } = fixture('node-keepalive.pcap');
  const segs: Segment[] = [{ timestampNs: 1n, fromClient: true, seq: 99, ack: 0, flags: TcpFlags.SYN, wireLength: 0, payload: Buffer.alloc(0) }];
  let seq = 100;
  const push = (b: Buffer): void => { segs.push({ timestampNs: 2n, fromClient: true, seq, ack: 0, flags: TcpFlags.ACK, wireLength: b.length, payload: b }); seq += b.length; };
  push(Buffer.from('GET / HTTP/1.1\r\n'));
  for (let i = 0; i < 100; i++) push(Buffer.from('x-filler: 0123456789\r\n'.repeat(50)));
  const decoder = new FlowDecoder();
  for (const b of rebatch({ ...template, protocolHint: 'http' }, segs, 4)) {
    decoder.push(b);
    assert.ok(decoder.stats().bufferedBytes < 70 * 1024);
  }
  assert.equal(decoder.stats().invalidFrames, 1);
  // The driver bounds what it holds even when a parser would wait longer.
  const tight = new FlowDecoder({ driver: { maxBufferedBytes: 4000 } });
  for (const b of rebatch({ ...template, protocolHint: 'http' }, segs, 4)) tight.push(b);
  assert.ok(tight.stats().oversizedFrames >= 1);
  assert.equal(tight.stats().invalidFrames, tight.stats().oversizedFrames);
});

test('resync finds a request whose method is split across two segments', () => {
  const { template, segments } = fixture('node-keepalive.pcap');
  const [req, res] = runs(segments);
  assert.ok(req && res);
  const noise = Buffer.from('leftover body bytes of an earlier response, no message start here. ');
  const start = (req.seq - noise.length - 2) >>> 0;
  const at = (o: number) => (start + o) >>> 0;
  const piece = (seq: number, payload: Buffer, fromClient: boolean, ts: bigint): Segment =>
    ({ timestampNs: ts, fromClient, seq, ack: 0, flags: TcpFlags.ACK, wireLength: payload.length, payload });
  const both = Buffer.concat([noise, Buffer.from('\r\n'), req.bytes]);
  const cutAt = noise.length + 4; // "...\r\nGE" | "T /hello HTTP/1.1..."
  const mid: Segment[] = [
    piece(at(0), both.subarray(0, cutAt), true, req.startNs - 1n),
    piece(at(cutAt), both.subarray(cutAt), true, req.startNs),
    piece(res.seq, res.bytes, false, res.startNs),
  ];
  const { transactions, stats } = decodeBatches([{ ...template, protocolHint: 'http', segments: mid }]);
  assert.deepEqual(transactions.map((t) => [t.http?.path, t.http?.statusCode, t.requestSeq]), [['/hello', 200, req.seq]]);
  assert.equal(stats.bytesSkipped, noise.length + 2);
});
