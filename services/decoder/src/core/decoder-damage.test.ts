// Damaged variants of real captures: reordered, duplicated and overlapping segments, lost
// segments, snaplen-cut payloads, a capture that starts mid-connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpFlags, type Segment, type SegmentBatch, type Transaction } from '@clovisor/core';
import { FlowDecoder } from './decoder.js';
import { decodeBatches, decodeFixture, fixtureBatches } from '../test-support/fixtures.js';
import { allSegments, rebatch, rng, runs, snap, spanning, splitSegments } from '../test-support/streams.js';

function fixture(name: string): { template: SegmentBatch; segments: Segment[] } {
  const batches = fixtureBatches(name);
  const first = batches[0] as SegmentBatch;
  return { template: first, segments: allSegments(batches.filter((b) => b.flowId === first.flowId)) };
}
const summary = (txs: Transaction[]) => txs.map((t) => `${t.http?.method} ${t.http?.target} ${t.http?.statusCode} ${t.complete ? 'complete' : 'partial'}`);

/** Within each direction: shuffle positions locally, add retransmissions and overlapping resends. */
function damage(segments: Segment[], seed: number): Segment[] {
  const random = rng(seed);
  const out: Segment[] = [];
  for (const fromClient of [true, false]) {
    const mine = segments.filter((s) => s.fromClient === fromClient);
    const open = mine.filter((s) => (s.flags & TcpFlags.SYN) !== 0); // the SYN anchors the stream: keep it first
    const rest = mine.filter((s) => (s.flags & TcpFlags.SYN) === 0);
    const noisy: Segment[] = [];
    const pieces = splitSegments(rest, 23);
    for (const [i, s] of pieces.entries()) {
      noisy.push(s);
      const next = pieces[i + 1];
      if (next !== undefined && random() < 0.25 && s.payload.length > 1 && (s.flags & TcpFlags.FIN) === 0) {
        noisy.push(spanning(s, next, 1 + Math.floor(random() * (s.payload.length - 1))));
      }
      if (random() < 0.25) noisy.push(s);
      if (random() < 0.25 && s.payload.length > 6) {
        noisy.push({ ...s, flags: s.flags & ~TcpFlags.FIN, seq: (s.seq + 2) >>> 0, payload: s.payload.subarray(2, s.payload.length - 2), wireLength: s.payload.length - 4 });
      }
    }
    for (let i = 0; i < noisy.length; i++) { // local shuffle: swap with one of the next 5
      const j = Math.min(noisy.length - 1, i + Math.floor(random() * 6));
      [noisy[i], noisy[j]] = [noisy[j] as Segment, noisy[i] as Segment];
    }
    out.push(...open, ...noisy);
  }
  // Interleave the directions again by capture time (pieces keep their segment's timestamp).
  return out.map((s, i) => ({ s, i })).sort((a, b) => (a.s.timestampNs < b.s.timestampNs ? -1 : a.s.timestampNs > b.s.timestampNs ? 1 : a.i - b.i)).map((x) => x.s);
}

test('reordered, duplicated and overlapping segments decode exactly as the clean capture', () => {
  for (const name of ['node-keepalive.pcap', 'node-post-continue.pcap', 'node-big-any.pcapng', 'node-pipelined.pcap']) {
    const clean = decodeFixture(name).transactions;
    const { template, segments } = fixture(name);
    for (const seed of [1, 2, 3]) {
      const { transactions, stats } = decodeBatches(rebatch(template, damage(segments, seed), 16));
      assert.deepEqual(transactions, clean, `${name} seed ${seed}`);
      assert.ok(stats.duplicateSegments > 0 && stats.outOfOrderSegments > 0, name);
      assert.equal(stats.gaps, 0);
    }
  }
});

test('a request cut by a gap is partial, and parsing resyncs at the next request', () => {
  const { template, segments } = fixture('node-keepalive.pcap');
  const second = runs(segments).filter((r) => r.fromClient)[1];
  assert.ok(second);
  // Lose the second half of the /chunked request: a hole inside its head.
  const pieces = splitSegments(segments, 40).filter((s) => !(s.fromClient && s.seq === ((second.seq + 40) >>> 0)));
  const { transactions, stats } = decodeBatches(rebatch(template, pieces, 8), { reassembly: { maxOutOfOrderSegments: 2 } });
  assert.deepEqual(summary(transactions), ['GET /hello 200 complete', 'GET /chunked 200 partial', 'GET /empty 204 complete', 'GET /etag 200 complete']);
  const cut = transactions[1] as Transaction;
  assert.ok(cut.notes.includes('request: cut short by a capture gap') && cut.notes.includes('request head incomplete'), cut.notes.join('; '));
  assert.equal(cut.requestSeq, second.seq);
  assert.equal((transactions[2] as Transaction).messageIndex, 2);
  assert.ok((transactions[2] as Transaction).notes.some((n) => n.includes('follows missing or unparsable bytes')));
  assert.deepEqual([stats.gaps, stats.resyncs, stats.partialFrames, stats.invalidFrames], [1, 1, 1, 0]);
});

test('a lost response: its request is incomplete, the next response still pairs right', () => {
  const { template, segments } = fixture('node-keepalive.pcap');
  const firstResponse = runs(segments).find((r) => !r.fromClient);
  assert.ok(firstResponse);
  const kept = segments.filter((s) => !(!s.fromClient && s.seq === firstResponse.seq && s.payload.length > 0));
  const { transactions, stats } = decodeBatches(rebatch(template, kept, 4), { reassembly: { maxOutOfOrderSegments: 1 } });
  assert.deepEqual(summary(transactions), ['GET /hello null partial', 'GET /chunked 200 complete', 'GET /empty 204 complete', 'GET /etag 200 complete']);
  assert.deepEqual((transactions[0] as Transaction).notes, ['response not captured (capture gap)']);
  assert.equal((transactions[0] as Transaction).http?.statusCode, null);
  assert.deepEqual([stats.gaps, stats.orphanResponses], [1, 0]);
});

test('a lost body segment is counted as missing body bytes; the message count stays right', () => {
  const { template, segments } = fixture('node-big-any.pcapng');
  const body = segments.filter((s) => !s.fromClient && s.payload.length > 0);
  const lost = body[2] as Segment;
  const { transactions, stats } = decodeBatches(rebatch(template, segments.filter((s) => s !== lost), 64));
  const tx = transactions[0] as Transaction;
  assert.equal(transactions.length, 1);
  assert.deepEqual([tx.complete, tx.http?.responseBodyBytes, tx.responseBytes], [false, 24576, 24742]);
  assert.deepEqual(tx.notes, [`response: ${lost.payload.length} bytes lost in capture gap`]);
  assert.equal(stats.gapBytes, lost.payload.length);
});

test('snaplen 64 on every segment: start lines parsed, message count right, sizes from the wire', () => {
  const name = 'node-keepalive.pcap';
  const { template, segments } = fixture(name);
  const clean = decodeFixture(name).transactions;
  const { transactions, stats } = decodeBatches(rebatch(template, snap(segments, 64)));
  assert.deepEqual(transactions.map((t) => [t.http?.method, t.http?.target, t.http?.statusCode, t.http?.reason]),
    clean.map((t) => [t.http?.method, t.http?.target, t.http?.statusCode, t.http?.reason]));
  assert.ok(transactions.every((t) => !t.complete && t.notes.includes('request head incomplete')));
  assert.deepEqual(transactions.map((t) => t.requestBytes), clean.map((t) => t.requestBytes));
  assert.deepEqual(transactions.map((t) => t.requestSeq), clean.map((t) => t.requestSeq));
  assert.equal(stats.invalidFrames, 0);
});

test('snaplen cutting bodies only: headers parsed, body bytes still counted', () => {
  const real = decodeFixture('node-big-snaplen.pcap'); // recorded with dumpcap -s 256
  const tx = real.transactions[0] as Transaction;
  assert.deepEqual([tx.http?.statusCode, tx.http?.responseHeaders['content-length'], tx.http?.responseBodyBytes, tx.responseBytes, tx.complete],
    [200, '24576', 24576, 24742, false]);
  assert.equal(tx.notes.length, 1);
  assert.match(tx.notes[0] as string, /^response: \d+ bytes not captured \(snaplen\)$/);
  assert.equal(real.stats.truncatedBytes, Number(/\d+/.exec(tx.notes[0] as string)?.[0]));

  const { template, segments } = fixture('node-post-continue.pcap');
  const bodyRun = runs(segments)[2];
  assert.ok(bodyRun);
  const cut = snap(segments, 64, (s) => s.fromClient && s.seq === bodyRun.seq);
  const post = decodeBatches(rebatch(template, cut)).transactions[0] as Transaction;
  assert.deepEqual([post.http?.requestBodyBytes, post.http?.statusCode, post.complete], [2668, 201, false]);
  assert.ok(post.notes.includes('request: 2604 bytes not captured (snaplen)'), post.notes.join('; '));
});

test('a capture that starts mid-connection resyncs on the next message', () => {
  const { template, segments } = fixture('node-keepalive.pcap');
  const rs = runs(segments);
  const from = (rs[1] as { startNs: bigint }).startNs; // start inside the first exchange: its response first
  const late = segments.filter((s) => s.timestampNs >= from);
  const { transactions, stats } = decodeBatches(rebatch(template, late));
  assert.deepEqual(summary(transactions), ['GET /chunked 200 complete', 'GET /empty 204 complete', 'GET /etag 200 complete']);
  assert.deepEqual(transactions.map((t) => t.messageIndex), [0, 1, 2]);
  assert.equal(stats.orphanResponses, 1); // the /hello response had no captured request
  assert.equal(stats.invalidFrames, 0);

  // Starting inside a body: its bytes are skipped, nothing is invented.
  const big = fixture('node-big-any.pcapng');
  const body = big.segments.filter((s) => !s.fromClient && s.payload.length > 0);
  const hinted = { ...big.template, protocolHint: 'http' }; // parse from the first byte, as capture would ask
  const mid = decodeBatches(rebatch(hinted, big.segments.filter((s) => s.timestampNs > (body[1] as Segment).timestampNs)));
  assert.equal(mid.transactions.length, 0);
  assert.ok(mid.stats.bytesSkipped > 8000);
  assert.equal(mid.stats.invalidFrames, 0);
});

test('snaplen inside a close-delimited body: the hole counts as body up to the close', () => {
  const { template, segments } = fixture('python-http10-close.pcap');
  const res = runs(segments)[1];
  assert.ok(res);
  // Python writes the head and the body separately: cut the body-only segments to 10 bytes.
  const bodyOnly = (s: Segment) => !s.fromClient && s.payload.length > 0 && !s.payload.includes('HTTP/1.0');
  const lost = segments.filter(bodyOnly).reduce((n, s) => n + Math.max(0, s.payload.length - 10), 0);
  assert.ok(lost > 0);
  const tx = decodeBatches(rebatch(template, snap(segments, 10, bodyOnly))).transactions[0] as Transaction;
  assert.deepEqual([tx.http?.statusCode, tx.http?.responseBodyBytes, tx.responseBytes, tx.complete], [200, 99, res.bytes.length, false]);
  assert.deepEqual(tx.notes, [`response: ${lost} bytes not captured (snaplen)`]);
});

test('a chunk-size line lost in a gap cuts the response short; the next exchange is intact', () => {
  const { template, segments } = fixture('node-keepalive.pcap');
  const rs = runs(segments);
  const chunkedResponse = rs[3];
  assert.ok(chunkedResponse);
  // The second write of /chunked ("1a\r\npart two..." + last chunk) travels in its own segment.
  const second = segments.find((s) => !s.fromClient && s.payload.length > 0 &&
    s.timestampNs > chunkedResponse.startNs && s.timestampNs <= chunkedResponse.endNs);
  assert.ok(second);
  const { transactions, stats } = decodeBatches(rebatch(template, segments.filter((s) => s !== second), 4), { reassembly: { maxOutOfOrderSegments: 1 } });
  assert.deepEqual(summary(transactions), ['GET /hello 200 complete', 'GET /chunked 200 partial', 'GET /empty 204 complete', 'GET /etag 200 complete']);
  const cut = transactions[1] as Transaction;
  assert.deepEqual(cut.notes, ['response: cut short by a capture gap']);
  assert.equal(cut.http?.responseBodyBytes, 'part one\n'.length);
  assert.equal(stats.partialFrames, 1);
});

test('garbage between two requests is skipped, counted, and the next request still parses', () => {
  const { template, segments } = fixture('node-keepalive.pcap');
  const secondRequest = runs(segments).filter((r) => r.fromClient)[1];
  assert.ok(secondRequest);
  const junk = Buffer.from('\x00\x01junk that is no HTTP\r\n');
  for (const sameSegment of [false, true]) {
    const shifted = segments.flatMap((s): Segment[] => {
      if (!s.fromClient || s.seq - secondRequest.seq < 0) return [s]; // before the junk: unchanged
      const moved = { ...s, seq: (s.seq + junk.length) >>> 0 };
      if (s.seq !== secondRequest.seq) return [moved];
      if (sameSegment) return [{ ...s, payload: Buffer.concat([junk, s.payload]), wireLength: junk.length + s.wireLength }];
      return [{ ...s, flags: TcpFlags.ACK, payload: junk, wireLength: junk.length }, moved];
    });
    const { transactions, stats } = decodeBatches(rebatch(template, shifted));
    assert.deepEqual(summary(transactions), ['GET /hello 200 complete', 'GET /chunked 200 complete', 'GET /empty 204 complete', 'GET /etag 200 complete']);
    assert.deepEqual((transactions[1] as Transaction).notes, ['request: follows missing or unparsable bytes; earlier requests may be missing']);
    assert.equal((transactions[1] as Transaction).requestSeq, (secondRequest.seq + junk.length) >>> 0);
    assert.deepEqual([stats.invalidFrames, stats.resyncs, stats.bytesSkipped], [1, 1, junk.length]);
  }
});

test('an RST ends both directions and closes the flow at once', () => {
  const { template, segments } = fixture('node-keepalive.pcap');
  const firstFin = segments.findIndex((s) => (s.flags & TcpFlags.FIN) !== 0);
  const reset = [...segments.slice(0, firstFin), { ...(segments[firstFin] as Segment), flags: TcpFlags.RST | TcpFlags.ACK }];
  const decoder = new FlowDecoder();
  const txs = decoder.push({ ...template, segments: reset });
  assert.equal(txs.length, 4);
  assert.deepEqual([decoder.stats().flowsClosed, decoder.stats().flowsActive], [1, 0]);
});
