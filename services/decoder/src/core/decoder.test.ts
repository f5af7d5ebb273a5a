// End to end on real captures: pcap → SegmentBatch → FlowDecoder → Transaction. Expected
// positions, sizes and times come from the capture's own segments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Transaction } from '@clovisor/core';
import { decodeBatches, decodeFixture, fixtureBatches } from '../test-support/fixtures.js';
import { allSegments, runs, type Run } from '../test-support/streams.js';

function flowRuns(name: string): Map<string, Run[]> {
  const byFlow = new Map<string, Run[]>();
  const batches = fixtureBatches(name);
  for (const id of new Set(batches.map((b) => b.flowId))) byFlow.set(id, runs(allSegments(batches.filter((b) => b.flowId === id))));
  return byFlow;
}

/** The request run and response run of a transaction agree with what was captured. */
function assertOnWire(tx: Transaction, req: Run, res: Run): void {
  assert.equal(tx.requestSeq, req.seq, `${tx.id} requestSeq`);
  assert.equal(tx.requestStartNs, req.startNs);
  assert.equal(tx.requestEndNs, req.endNs);
  assert.equal(tx.requestBytes, req.bytes.length);
  assert.equal(tx.responseStartNs, res.startNs);
  assert.equal(tx.responseEndNs, res.endNs);
  assert.equal(tx.responseBytes, res.bytes.length);
}

test('keep-alive: four exchanges on one connection, ids, positions, sizes, times, fields', () => {
  const { transactions, stats } = decodeFixture('node-keepalive.pcap');
  const [[flowId, rs]] = [...flowRuns('node-keepalive.pcap')] as [[string, Run[]]];
  assert.equal(transactions.length, 4);
  transactions.forEach((tx, i) => {
    assert.equal(tx.id, `${flowId}:${i}`);
    assert.equal(tx.messageIndex, i);
    assert.equal(tx.protocol, 'http');
    assert.equal(tx.complete, true);
    assert.deepEqual(tx.notes, []);
    assertOnWire(tx, rs[2 * i] as Run, rs[2 * i + 1] as Run);
  });
  assert.deepEqual(transactions.map((t) => [t.http?.path, t.http?.statusCode, t.http?.responseBodyBytes]),
    [['/hello', 200, 12], ['/chunked', 200, 35], ['/empty', 204, 0], ['/etag', 200, 15]]);
  const first = transactions[0] as Transaction;
  assert.deepEqual([first.client.address, first.server.port, first.peer, first.pod, first.podRole], ['127.0.0.1', 18080, null, null, 'SERVER']);
  assert.deepEqual([stats.transactions, stats.flowsCreated, stats.flowsClosed, stats.flowsActive, stats.invalidFrames], [4, 1, 1, 0, 0]);
});

test('every fixture decodes without invalid frames, resyncs or orphans', () => {
  const expected: Record<string, string[]> = {
    'python-http-server.pcap': ['GET / 200', 'GET /record.sh 200', 'HEAD /record.sh 200'],
    'python-http10-close.pcap': ['GET /x 200'],
    'node-head-304.pcap': ['HEAD /hello 200', 'GET /etag 304'],
    'node-post-continue.pcap': ['POST /upload 201'],
    'node-http10-close.pcap': ['GET /close 200'],
    'node-pipelined.pcap': ['GET /hello 200', 'GET /hello 200', 'GET /hello 200'],
    'node-upgrade.pcap': ['GET /ws 101'],
    'node-connect.pcap': ['CONNECT  200', 'GET /hello 200'],
    'node-trace-headers.pcapng': ['GET /hello 200'],
    'node-big-any.pcapng': ['GET /big 200'],
    'node-ipv6.pcap': ['GET /hello 200'],
  };
  for (const [name, want] of Object.entries(expected)) {
    const { transactions, stats } = decodeFixture(name);
    assert.deepEqual(transactions.map((t) => `${t.http?.method} ${t.http?.path} ${t.http?.statusCode}`), want, name);
    assert.deepEqual([stats.invalidFrames, stats.resyncs, stats.orphanResponses, stats.gaps, stats.bytesSkipped], [0, 0, 0, 0, 0], name);
    for (const tx of transactions) {
      assert.equal(tx.complete, true, `${name} ${tx.id} ${tx.notes.join('; ')}`);
      const rs = flowRuns(name).get(tx.flowId) as Run[];
      // Pipelined requests share a run: the seq must fall inside a captured request run.
      const req = rs.find((r) => r.fromClient && tx.requestSeq - r.seq >= 0 && tx.requestSeq - r.seq < r.bytes.length);
      assert.ok(req !== undefined, `${name}: requestSeq ${tx.requestSeq} lies in a captured request run`);
      assert.equal(tx.requestStartNs, req.startNs);
    }
  }
});

test('bodies and framing: HEAD, 304, close-delimited, 100-continue, pipelining, upgrade, CONNECT', () => {
  const head = decodeFixture('python-http-server.pcap').transactions[2] as Transaction;
  assert.deepEqual([head.http?.responseBodyBytes, head.http?.responseHeaders['content-length'] !== undefined], [0, true]);
  const close = decodeFixture('python-http10-close.pcap').transactions[0] as Transaction;
  const closeRuns = [...flowRuns('python-http10-close.pcap').values()][0] as Run[];
  assertOnWire(close, closeRuns[0] as Run, closeRuns[1] as Run);
  assert.equal(close.http?.responseBodyBytes, 99);
  const post = decodeFixture('node-post-continue.pcap').transactions[0] as Transaction;
  const postRuns = [...flowRuns('node-post-continue.pcap').values()][0] as Run[];
  assert.deepEqual([post.http?.requestBodyBytes, post.requestBytes], [2668, (postRuns[0] as Run).bytes.length + (postRuns[2] as Run).bytes.length]);
  assert.deepEqual([post.responseStartNs, post.responseEndNs], [(postRuns[3] as Run).startNs, (postRuns[3] as Run).endNs]);
  assert.deepEqual(post.notes, ['interim response 100 Continue']);
  const piped = decodeFixture('node-pipelined.pcap').transactions;
  assert.deepEqual(piped.map((t) => [t.messageIndex, t.http?.query, t.requestBytes]), [[0, 'n=0', 68], [1, 'n=1', 68], [2, 'n=2', 68]]);
  assert.ok(piped.every((t, i) => i === 0 || t.requestSeq === ((piped[i - 1] as Transaction).requestSeq + 68) >>> 0));
  const up = decodeFixture('node-upgrade.pcap');
  assert.deepEqual(up.transactions[0]?.notes, ['protocol switch: websocket']);
  assert.equal(up.stats.protocolSwitches, 1);
  assert.ok(up.stats.bytesAfterSwitch > 0);
  const connect = decodeFixture('node-connect.pcap').transactions[0] as Transaction;
  assert.deepEqual([connect.http?.target, connect.notes], ['127.0.0.1:18080', ['CONNECT tunnel established; tunneled bytes not parsed']]);
});

test('headers: an allowlist with lower-case names, credentials redacted', () => {
  const tx = decodeFixture('node-trace-headers.pcapng').transactions[0] as Transaction;
  assert.deepEqual(tx.http?.requestHeaders, {
    host: '127.0.0.1:18080',
    'user-agent': 'curl/7.88.1',
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    tracestate: 'congo=t61rcWkgMzE',
    'x-request-id': '7f1c2a9e-req-1',
    authorization: '[REDACTED]',
    cookie: '[REDACTED]',
  });
  assert.deepEqual(tx.http?.responseHeaders, {
    'content-type': 'text/plain', 'x-request-id': '7f1c2a9e-req-1', 'set-cookie': '[REDACTED]', 'content-length': '12',
  });
});

test('IPv6 and Linux cooked captures carry their addresses and interface names', () => {
  const v6 = decodeFixture('node-ipv6.pcap').transactions[0] as Transaction;
  assert.deepEqual([v6.client.address, v6.server.address, v6.server.port, v6.http?.query], ['::1', '::1', 18080, 'lang=en']);
  const any = decodeFixture('node-big-any.pcapng').transactions[0] as Transaction;
  assert.deepEqual([any.interfaceName, any.http?.responseBodyBytes, any.responseBytes], ['any', 24576, ([...flowRuns('node-big-any.pcapng').values()][0] as Run[])[1]?.bytes.length]);
});

test('the same connection cut into 1-segment batches decodes identically', () => {
  const whole = decodeFixture('node-keepalive.pcap').transactions;
  const pieces = decodeBatches(fixtureBatches('node-keepalive.pcap', { maxSegmentsPerBatch: 1 })).transactions;
  assert.deepEqual(pieces, whole);
});

test('a port hint selects the protocol; without one the bytes do', () => {
  const hinted = decodeFixture('node-keepalive.pcap', { protocolHint: 'http' }).transactions;
  assert.deepEqual(hinted, decodeFixture('node-keepalive.pcap').transactions);
});
