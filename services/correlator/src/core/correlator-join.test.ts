import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SpanRecord, Transaction } from '@clovisor/core';
import { CALLER_SPAN_ID, REQUEST_ID, TRACE_ID, clientCaptureOf, httpTransaction, withHeaders } from '../testing/transactions.js';
import { Correlator } from './correlator.js';
import { flowTraceIdFor, requestIdTraceIdFor, spanIdFor } from './ids.js';

const SECOND = 1_000_000_000n;

function source(span: SpanRecord | undefined): string | null | undefined {
  return span?.attributes['clovisor.trace_source']?.stringValue;
}

/** The same request's two captures through a fresh correlator, in the given order; all spans out. */
function run(first: Transaction, second: Transaction): { spans: SpanRecord[]; c: Correlator } {
  const c = new Correlator();
  return { spans: [...c.process(first), ...c.process(second), ...c.flush()], c };
}

test('join: SERVER seen first (the usual order) waits and comes out as the child of its CLIENT span', () => {
  const server = httpTransaction();
  const client = clientCaptureOf(server);
  const c = new Correlator();
  assert.deepEqual(c.process(server), [], 'held until its CLIENT capture is seen');
  assert.equal(c.stats().connectionJoin.held, 1);
  const [clientSpan, serverSpan, ...rest] = c.process(client);
  assert.equal(rest.length, 0);
  assert.equal(clientSpan?.kind, 'CLIENT');
  assert.equal(clientSpan?.traceId, TRACE_ID);
  assert.equal(clientSpan?.parentSpanId, CALLER_SPAN_ID, 'the CLIENT span is the child of the caller in the headers');
  assert.equal(clientSpan?.spanId, spanIdFor(client));
  assert.equal(serverSpan?.kind, 'SERVER');
  assert.equal(serverSpan?.spanId, spanIdFor(server), 'span ids stay deterministic');
  assert.equal(serverSpan?.traceId, TRACE_ID);
  assert.equal(serverSpan?.parentSpanId, clientSpan?.spanId, 'the SERVER span is the child of the CLIENT span');
  assert.equal(serverSpan?.traceState, clientSpan?.traceState);
  assert.equal(source(clientSpan), 'w3c');
  assert.equal(source(serverSpan), 'client-span');
  const s = c.stats();
  assert.equal(s.connectionJoin.joinedAfterHold, 1);
  assert.equal(s.connectionJoin.held, 0);
  assert.equal(s.spans, 2);
  assert.equal(s.traceSources.w3c, 1);
  assert.equal(s.traceSources['client-span'], 1);
  assert.deepEqual(c.flush(), []);
});

test('join: CLIENT seen first, the SERVER span is joined at once', () => {
  const server = httpTransaction();
  const c = new Correlator();
  const [clientSpan] = c.process(clientCaptureOf(server));
  const [serverSpan] = c.process(server);
  assert.equal(serverSpan?.parentSpanId, clientSpan?.spanId);
  assert.equal(serverSpan?.traceId, TRACE_ID);
  assert.equal(c.stats().connectionJoin.joined, 1);
  assert.equal(c.stats().connectionJoin.joinedAfterHold, 0);
});

test('join: without any trace header both orders give the same two spans, one trace rooted at the CLIENT', () => {
  const server = withHeaders({});
  const client = clientCaptureOf(server);
  const a = run(server, client).spans;
  const b = run(client, server).spans;
  const bySpanId = (x: SpanRecord, y: SpanRecord) => x.spanId.localeCompare(y.spanId);
  assert.deepEqual([...a].sort(bySpanId), [...b].sort(bySpanId));
  const clientSpan = a.find((s) => s.kind === 'CLIENT');
  const serverSpan = a.find((s) => s.kind === 'SERVER');
  assert.equal(clientSpan?.traceId, flowTraceIdFor(client));
  assert.equal(clientSpan?.parentSpanId, null);
  assert.equal(serverSpan?.traceId, clientSpan?.traceId);
  assert.equal(serverSpan?.parentSpanId, clientSpan?.spanId);
});

test('join: with only x-request-id both share the request id trace, SERVER under CLIENT', () => {
  const server = withHeaders({ 'x-request-id': REQUEST_ID });
  const [clientSpan, serverSpan] = run(server, clientCaptureOf(server)).spans;
  assert.equal(clientSpan?.traceId, requestIdTraceIdFor(REQUEST_ID));
  assert.equal(serverSpan?.traceId, requestIdTraceIdFor(REQUEST_ID));
  assert.equal(serverSpan?.parentSpanId, clientSpan?.spanId);
});

test('join: another request on the connection, or another connection, is not joined', () => {
  const server = withHeaders({});
  for (const other of [{ requestSeq: server.requestSeq + 212 }, { client: { address: '10.244.1.17', port: 51235 } }, { server: { address: '10.96.0.12', port: 8080 } }]) {
    const { spans, c } = run(server, clientCaptureOf(server, other));
    const serverSpan = spans.find((s) => s.kind === 'SERVER');
    assert.equal(serverSpan?.parentSpanId, null, JSON.stringify(other));
    assert.equal(serverSpan?.traceId, flowTraceIdFor(server));
    assert.equal(c.stats().connectionJoin.unjoinedFlush, 1);
  }
});

test('join: a waiting SERVER span goes out unjoined once the capture clock passes its hold', () => {
  const server = httpTransaction();
  const c = new Correlator({ serverHoldMs: 500 });
  c.process(server);
  const soon = withHeaders({}, { client: { address: '10.244.1.30', port: 40000 }, responseEndNs: server.responseEndNs! + SECOND / 2n });
  assert.equal(c.process(soon).length, 0, 'still within 500 ms: both wait');
  const later = clientCaptureOf(soon, { responseEndNs: server.responseEndNs! + SECOND / 2n + 1n });
  const out = c.process(later);
  assert.deepEqual(out.map((s) => s.spanId), [spanIdFor(server), spanIdFor(later), spanIdFor(soon)], 'released first, then the new CLIENT and its joined SERVER');
  assert.equal(out[0]?.parentSpanId, CALLER_SPAN_ID, 'unjoined: the caller in the headers stays its parent');
  assert.equal(source(out[0]), 'w3c');
  assert.equal(c.stats().connectionJoin.unjoinedExpired, 1);
  // Its CLIENT capture arriving afterwards cannot amend a span already sent.
  assert.equal(c.process(clientCaptureOf(server)).length, 1);
});

test('join: a CLIENT span older than the window (capture time) is not joined', () => {
  const server = withHeaders({});
  const c = new Correlator({ connectionWindowMs: 1_000, serverHoldMs: 0 });
  const [clientSpan] = c.process(clientCaptureOf(server));
  const lateBy = 2n * SECOND;
  const [serverSpan] = c.process({ ...server, requestEndNs: server.requestEndNs + lateBy, responseEndNs: server.responseEndNs! + lateBy });
  assert.notEqual(serverSpan?.parentSpanId, clientSpan?.spanId);
  assert.equal(serverSpan?.parentSpanId, null);
  const s = c.stats().connectionJoin;
  assert.equal(s.clientsExpired, 1);
  assert.equal(s.clients, 0);
  assert.equal(s.unjoinedNotHeld, 1);
  // Out of order the other way: a CLIENT capture stamped far after its SERVER is not its parent.
  const c2 = new Correlator({ connectionWindowMs: 1_000, serverHoldMs: 0 });
  c2.process(clientCaptureOf(server, { requestEndNs: server.requestEndNs + lateBy, responseEndNs: server.responseEndNs! + lateBy }));
  assert.equal(c2.process(server)[0]?.parentSpanId, null);
});

test('join: bounded; the oldest CLIENT spans are forgotten and the oldest waiting SERVER spans released, counted', () => {
  const base = withHeaders({});
  const nth = (n: number) => ({ ...base, requestSeq: base.requestSeq + n * 1000, id: `s${n}`, messageIndex: n });
  const c = new Correlator({ connectionCapacity: 2, serverHoldCapacity: 2 });
  for (const n of [0, 1, 2]) c.process(clientCaptureOf(nth(n), { messageIndex: 10 + n }));
  assert.equal(c.stats().connectionJoin.clients, 2);
  assert.equal(c.stats().connectionJoin.clientsEvictedFull, 1);
  assert.equal(c.process(nth(2))[0]?.parentSpanId, spanIdFor(clientCaptureOf(nth(2), { messageIndex: 12 })));
  assert.deepEqual(c.process(nth(0)), [], 'its CLIENT was forgotten: it waits');
  assert.deepEqual(c.process(nth(3)), []);
  const out = c.process(nth(4));
  assert.deepEqual(out.map((s) => s.transactionId), ['s0'], 'the held set is full: the oldest goes out unjoined');
  const s = c.stats().connectionJoin;
  assert.equal(s.held, 2);
  assert.equal(s.unjoinedFull, 1);
  assert.equal(s.joined, 1);
});

test('join: while traffic is quiet, a waiting SERVER span goes out on the second tick; flush releases the rest', () => {
  const c = new Correlator();
  const server = httpTransaction();
  c.process(server);
  assert.deepEqual(c.tick(), [], 'held after the last tick: waits one more');
  assert.deepEqual(c.tick().map((s) => s.spanId), [spanIdFor(server)]);
  c.process({ ...server, requestSeq: 1 });
  assert.equal(c.flush().length, 1);
  const s = c.stats().connectionJoin;
  assert.equal(s.unjoinedIdle, 1);
  assert.equal(s.unjoinedFlush, 1);
  assert.equal(c.stats().spans, 2);
});

test('join: UDP transactions and joinConnections=false go out at once', () => {
  const udp = new Correlator();
  assert.equal(udp.process(httpTransaction({ transport: 'UDP' })).length, 1);
  const off = new Correlator({ joinConnections: false });
  assert.equal(off.process(httpTransaction()).length, 1);
  const [clientSpan] = off.process(clientCaptureOf(httpTransaction()));
  assert.equal(clientSpan?.parentSpanId, CALLER_SPAN_ID);
  assert.equal(off.stats().connectionJoin.joined + off.stats().connectionJoin.joinedAfterHold, 0);
});

test('join: both captures of an x-request-id-only hop seen before the hop with context join its trace, SERVER under CLIENT', () => {
  const c = new Correlator();
  const outer = httpTransaction({ flowId: 'outer', client: { address: '10.244.0.5', port: 40111 }, requestSeq: 1 });
  // the inner call: starts after and completes before the outer request that carries the context
  const innerServer = withHeaders({ 'x-request-id': REQUEST_ID }, { requestStartNs: outer.requestStartNs + 1_000_000n, responseEndNs: outer.responseEndNs! - 1_000_000n });
  const innerClient = clientCaptureOf(innerServer);
  assert.deepEqual([...c.process(innerServer), ...c.process(innerClient)], [], 'both wait for the context');
  const out = c.process(outer);
  const outerSpan = out.find((s) => s.spanId === spanIdFor(outer));
  const clientSpan = out.find((s) => s.spanId === spanIdFor(innerClient));
  const serverSpan = out.find((s) => s.spanId === spanIdFor(innerServer));
  assert.equal(out.length, 2, 'the outer SERVER span itself waits for its own CLIENT capture');
  assert.equal(outerSpan, undefined);
  assert.equal(clientSpan?.traceId, TRACE_ID);
  assert.equal(source(clientSpan), 'x-request-id-learned');
  assert.equal(serverSpan?.traceId, TRACE_ID);
  assert.equal(serverSpan?.parentSpanId, clientSpan?.spanId);
  assert.equal(source(serverSpan), 'client-span');
  assert.equal(c.stats().requestIdHold.resolved, 2);
});
