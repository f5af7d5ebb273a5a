import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REQUEST_ID, TRACE_ID, httpTransaction, withHeaders } from '../testing/transactions.js';
import { Correlator } from './correlator.js';

// These tests are about one span per transaction and the x-request-id window; the connection
// join (which holds SERVER spans seen before their CLIENT) has its own tests.
const NO_JOIN = { joinConnections: false } as const;
import { requestIdTraceIdFor } from './ids.js';

test('correlator: one span per transaction, counted', () => {
  const c = new Correlator(NO_JOIN);
  const spans = c.process(httpTransaction());
  assert.equal(spans.length, 1);
  assert.equal(spans[0]?.traceId, TRACE_ID);
  const s = c.stats();
  assert.equal(s.transactions, 1);
  assert.equal(s.spans, 1);
  assert.equal(s.traceSources.w3c, 1);
});

test('correlator: a hop with only x-request-id joins the trace learned from another hop', () => {
  const c = new Correlator(NO_JOIN);
  const [server] = c.process(httpTransaction());
  const hop = withHeaders({ 'x-request-id': REQUEST_ID }, { flowId: 'next-hop', podRole: 'CLIENT', requestStartNs: httpTransaction().requestStartNs + 5_000_000n });
  const [client] = c.process(hop);
  assert.equal(client?.traceId, TRACE_ID);
  assert.equal(client?.parentSpanId, server?.spanId);
  assert.equal(client?.attributes['clovisor.trace_source']?.stringValue, 'x-request-id-learned');
  assert.equal(c.stats().requestIdWindow.hits, 1);
  assert.equal(c.stats().traceSources['x-request-id-learned'], 1);
});

test('correlator: outside the window, or before any context without a hold, the request id alone decides', () => {
  const c = new Correlator({ ...NO_JOIN, requestIdWindowMs: 1_000, requestIdHoldMs: 0 });
  const early = withHeaders({ 'x-request-id': REQUEST_ID }, { flowId: 'early', requestStartNs: httpTransaction().requestStartNs - 1n });
  assert.equal(c.process(early)[0]?.traceId, requestIdTraceIdFor(REQUEST_ID));
  c.process(httpTransaction());
  const late = withHeaders({ 'x-request-id': REQUEST_ID }, { flowId: 'late', requestStartNs: httpTransaction().requestStartNs + 2_000_000_000n });
  const [span] = c.process(late);
  assert.equal(span?.traceId, requestIdTraceIdFor(REQUEST_ID));
  assert.equal(span?.parentSpanId, null);
  assert.equal(c.stats().traceSources['x-request-id'], 2);
});

test('correlator: hops with their own context are never overridden by the window', () => {
  const c = new Correlator(NO_JOIN);
  c.process(httpTransaction());
  const other = '11111111111111111111111111111111';
  const [span] = c.process(httpTransaction({ flowId: 'x' }, { traceparent: `00-${other}-2222222222222222-01` }));
  assert.equal(span?.traceId, other);
});

test('correlator: malformed headers are counted by format', () => {
  const c = new Correlator(NO_JOIN);
  c.process(withHeaders({ traceparent: 'junk', b3: 'junk', 'uber-trace-id': 'junk', 'x-b3-traceid': 'junk', 'x-b3-spanid': '1' }));
  c.process(withHeaders({ traceparent: 'junk' }));
  const m = c.stats().malformedHeaders;
  assert.equal(m.traceparent, 2);
  assert.equal(m.b3, 1);
  assert.equal(m['b3-multi'], 1);
  assert.equal(m['uber-trace-id'], 1);
  assert.equal(m.tracestate, 0);
  assert.equal(c.stats().traceSources.flow, 2);
});

test('correlator: stats() is a snapshot, not live state', () => {
  const c = new Correlator(NO_JOIN);
  const before = c.stats();
  c.process(httpTransaction());
  assert.equal(before.transactions, 0);
  assert.equal(before.traceSources.w3c, 0);
});

test('correlator: a hop with only x-request-id seen before the hop with context waits for it and joins its trace', () => {
  const c = new Correlator(NO_JOIN);
  const context = httpTransaction();
  const early = withHeaders({ 'x-request-id': REQUEST_ID }, { flowId: 'inner-hop', podRole: 'CLIENT', requestStartNs: context.requestStartNs + 1_000_000n, responseEndNs: context.responseEndNs! - 1_000_000n });
  assert.deepEqual(c.process(early), [], 'held');
  assert.equal(c.stats().requestIdHold.held, 1);
  const [contextSpan, earlySpan, ...rest] = c.process(context);
  assert.equal(rest.length, 0);
  assert.equal(contextSpan?.traceId, TRACE_ID);
  assert.equal(earlySpan?.traceId, TRACE_ID);
  assert.equal(earlySpan?.parentSpanId, contextSpan?.spanId);
  assert.equal(earlySpan?.attributes['clovisor.trace_source']?.stringValue, 'x-request-id-learned');
  assert.deepEqual(c.stats().requestIdHold, { held: 0, resolved: 1, expired: 0, evictedFull: 0, idle: 0, flushed: 0 });
  assert.deepEqual(c.flush(), []);
});

test('correlator: a held x-request-id-only hop goes out with the request id\'s own trace when no context comes in time', () => {
  const c = new Correlator({ ...NO_JOIN, requestIdHoldMs: 500 });
  const lone = withHeaders({ 'x-request-id': REQUEST_ID });
  assert.deepEqual(c.process(lone), []);
  const unrelated = withHeaders({}, { flowId: 'other', responseEndNs: lone.responseEndNs! + 501_000_000n });
  const [released, other] = c.process(unrelated);
  assert.equal(released?.traceId, requestIdTraceIdFor(REQUEST_ID));
  assert.equal(released?.parentSpanId, null);
  assert.equal(other?.attributes['clovisor.flow_id']?.stringValue, 'other');
  assert.equal(c.stats().requestIdHold.expired, 1);
  assert.equal(c.stats().traceSources['x-request-id'], 1);
  // the hold is also drained by idle ticks and on stop
  c.process(withHeaders({ 'x-request-id': 'r-idle' }, { flowId: 'idle' }));
  assert.deepEqual(c.tick(), []);
  assert.equal(c.tick().length, 1);
  c.process(withHeaders({ 'x-request-id': 'r-stop' }, { flowId: 'stop' }));
  assert.equal(c.flush().length, 1);
  assert.equal(c.stats().spans, 4);
});
