// The real captures end to end through FlowDecoder: Node http2 prior knowledge (interleaved
// streams, POST body, 404, a 200 KiB response over many DATA frames) and grpc-js (unary OK,
// unary NOT_FOUND trailers-only, server streaming).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Transaction } from '@clovisor/core';
import { decodeBatches, decodeFixture, fixtureBatches } from '../../test-support/fixtures.js';
import { allSegments, rebatch, splitSegments } from '../../test-support/streams.js';

const byPath = (txs: Transaction[]): Map<string, Transaction> => new Map(txs.map((t) => [t.http?.target ?? '', t]));

function checkH2(txs: Transaction[]): void {
  assert.equal(txs.length, 5);
  const m = byPath(txs);
  const expect: [string, string, number, number, number, number][] = [
    // target, method, status, request body, response body, stream index
    ['/slow?ms=150', 'GET', 200, 0, 10, 0],
    ['/slow?ms=50', 'GET', 200, 0, 9, 1],
    ['/echo', 'POST', 201, 3000, 15, 2],
    ['/missing', 'GET', 404, 0, 10, 3],
    ['/big', 'GET', 200, 0, 200 * 1024, 4],
  ];
  for (const [target, method, status, reqBody, resBody, index] of expect) {
    const t = m.get(target);
    assert.ok(t !== undefined, target);
    assert.equal(t.protocol, 'http2');
    assert.equal(t.http?.method, method);
    assert.equal(t.http?.version, '2');
    assert.equal(t.http?.statusCode, status, target);
    assert.equal(t.http?.requestBodyBytes, reqBody, target);
    assert.equal(t.http?.responseBodyBytes, resBody, target);
    assert.equal(t.messageIndex, index, target);
    assert.equal(t.grpc, null);
    assert.ok(t.complete, target);
    assert.ok(t.responseStartNs !== null && t.responseEndNs !== null);
    assert.ok(t.requestStartNs <= t.requestEndNs && t.requestEndNs <= t.responseStartNs && t.responseStartNs <= t.responseEndNs);
  }
  const slow = m.get('/slow?ms=150') as Transaction;
  // Its response started ≥ 150 ms after the request although other streams answered meanwhile.
  assert.ok((slow.responseStartNs as bigint) - slow.requestStartNs >= 150_000_000n);
  assert.equal(slow.http?.requestHeaders['traceparent'], '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
  assert.equal(slow.http?.path, '/slow');
  assert.equal(slow.http?.query, 'ms=150');
  // completed out of request order: stream 1 (150 ms) after stream 3 (50 ms)
  assert.ok(txs.indexOf(slow) > txs.indexOf(m.get('/slow?ms=50') as Transaction));
  const echo = m.get('/echo') as Transaction;
  assert.equal(echo.http?.requestHeaders['authorization'], '[REDACTED]');
  assert.equal(echo.http?.requestHeaders['host'], '127.0.0.1:18090');
  assert.equal(echo.http?.responseHeaders['server'], 'h2-fixture');
  const big = m.get('/big') as Transaction;
  assert.ok(big.responseBytes > 200 * 1024 + 13 * 9); // payload + ≥ 13 DATA frame headers
  assert.ok((big.responseEndNs as bigint) > (big.responseStartNs as bigint));
}

test('Node http2 prior knowledge: 5 interleaved streams paired by stream id', () => {
  const { transactions, stats } = decodeFixture('h2-node-prior-knowledge.pcap');
  checkH2(transactions);
  assert.equal(stats.invalidFrames, 0);
  assert.equal(stats.bytesSkipped, 0);
  assert.equal(stats.orphanResponses, 0);
});

test('same capture cut into 7-byte segments: same transactions', () => {
  const batches = fixtureBatches('h2-node-prior-knowledge.pcap');
  const template = batches[0];
  assert.ok(template !== undefined);
  const { transactions } = decodeBatches(rebatch(template, splitSegments(allSegments(batches), 7)));
  checkH2(transactions);
});

test('grpc-js: unary OK, unary NOT_FOUND (trailers-only), server streaming', () => {
  const { transactions, stats } = decodeFixture('grpc-echo.pcap');
  assert.equal(stats.invalidFrames, 0);
  const got = transactions.map((t) => ({
    path: t.http?.path, status: t.http?.statusCode, grpc: t.grpc, complete: t.complete, index: t.messageIndex,
  }));
  const rpc = (method: string, grpcStatus: number, grpcMessage: string, responseMessages: number) =>
    ({ service: 'clovisor.test.Echo', method, grpcStatus, grpcMessage, requestMessages: 1, responseMessages });
  assert.deepEqual(got, [
    { path: '/clovisor.test.Echo/Say', status: 200, grpc: rpc('Say', 0, 'OK', 1), complete: true, index: 0 },
    { path: '/clovisor.test.Echo/Say', status: 200, grpc: rpc('Say', 5, 'no such greeting', 0), complete: true, index: 1 },
    { path: '/clovisor.test.Echo/Count', status: 200, grpc: rpc('Count', 0, 'OK', 3), complete: true, index: 2 },
  ]);
  assert.equal(transactions[0]?.http?.requestHeaders['content-type'], 'application/grpc');
  assert.equal(transactions[0]?.http?.responseHeaders['grpc-status'], '0');
});

test('capture gaps: lost response HEADERS leave requests unanswered, lost DATA marks the stream', () => {
  const batches = fixtureBatches('h2-node-prior-knowledge.pcap');
  const template = batches[0];
  assert.ok(template !== undefined);
  const segs = allSegments(batches);
  const server = segs.filter((s) => !s.fromClient && s.payload.length > 0);
  const without = (victim: (typeof segs)[number]): Map<string, Transaction> =>
    byPath(decodeBatches(rebatch(template, segs.filter((s) => s !== victim))).transactions);

  // The first large server segment carries the response HEADERS of /echo, /missing and /big.
  const first = without(server.find((s) => s.payload.length >= 16_384) as (typeof segs)[number]);
  for (const p of ['/echo', '/missing', '/big']) {
    assert.equal(first.get(p)?.http?.statusCode, null, p);
    assert.ok(first.get(p)?.notes.includes('no response captured'), p);
  }
  for (const p of ['/slow?ms=50', '/slow?ms=150']) {
    const t = first.get(p) as Transaction;
    assert.equal(t.http?.statusCode, 200, p); // :status 200 is in the static table
    // content-type was a dynamic-table reference inserted in the lost segment: unknown, not guessed
    assert.equal(t.http?.responseHeaders['content-type'], undefined, p);
    assert.ok(t.notes.some((n) => n.includes('HPACK state lost')), p);
  }

  // The largest server segment is in the middle of /big's body (many DATA frames).
  const largest = server.reduce((a, b) => (b.payload.length > a.payload.length ? b : a));
  const mid = without(largest);
  const big = mid.get('/big') as Transaction;
  assert.equal(big.complete, false);
  assert.ok((big.http?.responseBodyBytes ?? 0) < 200 * 1024);
  for (const p of ['/echo', '/missing', '/slow?ms=50']) assert.equal(mid.get(p)?.complete, true, p);
});

test('h2c upgrade (curl → Go x/net h2c): the HTTP/1.1 request is stream 1, then HTTP/2 stream 3', () => {
  const { transactions, stats } = decodeFixture('h2c-upgrade-curl.pcap');
  assert.equal(stats.invalidFrames, 0);
  assert.equal(stats.bytesAfterSwitch, 0); // everything after the 101 was parsed as HTTP/2
  assert.equal(stats.protocolSwitches, 1);
  const got = transactions.map((t) => [t.protocol, t.messageIndex, t.http?.method, t.http?.target, t.http?.statusCode,
    t.http?.responseBodyBytes, t.http?.responseHeaders['content-type'], t.complete]);
  assert.deepEqual(got, [
    ['http2', 0, 'GET', '/index.txt', 200, 15, 'text/plain', true],
    ['http2', 1, 'GET', '/big.txt', 200, 40000, 'text/plain', true],
  ]);
  const first = transactions[0] as Transaction;
  assert.equal(first.http?.requestHeaders['upgrade'], 'h2c');
  assert.ok(first.notes.some((n) => n.includes('upgraded to h2c')));
  // the upgraded request's times are those of the HTTP/1.1 bytes, before the HTTP/2 response
  assert.ok(first.requestEndNs <= (first.responseStartNs as bigint));
});

test('capture ends mid-stream: the open response is cut short, unanswered requests say so', () => {
  const batches = fixtureBatches('h2-node-prior-knowledge.pcap');
  const template = batches[0];
  assert.ok(template !== undefined);
  const segs = allSegments(batches);
  const server = segs.filter((s) => !s.fromClient && s.payload.length > 0);
  const largest = server.reduce((a, b) => (b.payload.length > a.payload.length ? b : a));
  const cut = segs.slice(0, segs.indexOf(largest) + 1); // no FIN: the flow is flushed at the end
  const m = byPath(decodeBatches(rebatch(template, cut)).transactions);
  assert.equal(m.size, 5);
  const big = m.get('/big') as Transaction;
  assert.equal(big.http?.statusCode, 200);
  assert.equal(big.complete, false);
  assert.ok(big.notes.includes('response: cut short: stream did not end'));
  assert.ok((big.http?.responseBodyBytes ?? 0) > 0 && (big.http?.responseBodyBytes ?? 0) < 200 * 1024);
  for (const p of ['/slow?ms=50', '/slow?ms=150']) {
    assert.equal(m.get(p)?.http?.statusCode, null, p);
    assert.ok(m.get(p)?.notes.includes('no response captured'), p);
  }
  assert.equal(m.get('/missing')?.complete, true);
});
