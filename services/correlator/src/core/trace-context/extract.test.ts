import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractTraceContext } from './extract.js';

const W3C_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const W3C_PARENT = '00f067aa0ba902b7';
const B3_TRACE = '80f198ee56343ba864fe8b2a57d3eff7';
const B3_SPAN = 'e457b5a2e4d86bd1';
const TRACEPARENT = `00-${W3C_TRACE}-${W3C_PARENT}-01`;
const B3 = `${B3_TRACE}-${B3_SPAN}-1`;
const MULTI = { 'x-b3-traceid': 'a3ce929d0e0e4736', 'x-b3-spanid': '1111111111111111', 'x-b3-sampled': '0' };
const UBER = { 'uber-trace-id': '2222:3333:0:1' };

test('extract: no headers → empty context', () => {
  assert.deepEqual(extractTraceContext({}), {
    traceId: null,
    parentSpanId: null,
    traceFlags: null,
    traceState: null,
    requestId: null,
    decoratorOperation: null,
    source: null,
    malformed: [],
  });
});

test('extract: precedence traceparent > b3 > x-b3-* > uber-trace-id', () => {
  const all = { traceparent: TRACEPARENT, b3: B3, ...MULTI, ...UBER };
  assert.equal(extractTraceContext(all).source, 'w3c');
  assert.equal(extractTraceContext(all).traceId, W3C_TRACE);
  const { traceparent: _tp, ...noW3c } = all;
  assert.equal(extractTraceContext(noW3c).source, 'b3-single');
  assert.equal(extractTraceContext(noW3c).parentSpanId, B3_SPAN);
  const { b3: _b3, ...onlyMultiAndUber } = noW3c;
  const multi = extractTraceContext(onlyMultiAndUber);
  assert.deepEqual([multi.source, multi.traceId, multi.parentSpanId, multi.traceFlags], ['b3', '0000000000000000a3ce929d0e0e4736', '1111111111111111', 0]);
  const uber = extractTraceContext(UBER);
  assert.deepEqual([uber.source, uber.traceId, uber.parentSpanId, uber.traceFlags], ['jaeger', '2222'.padStart(32, '0'), '3333'.padStart(16, '0'), 1]);
});

test('extract: a malformed winner falls through to the next format and is reported', () => {
  const ctx = extractTraceContext({ traceparent: '00-bad', b3: 'zz-zz', ...UBER, tracestate: 'a=b' });
  assert.equal(ctx.source, 'jaeger');
  assert.deepEqual(ctx.malformed, ['traceparent', 'b3']);
  assert.equal(ctx.traceState, null, 'tracestate without a valid traceparent is ignored');
});

test('extract: later formats are still validated and counted after a winner', () => {
  const ctx = extractTraceContext({ traceparent: TRACEPARENT, 'uber-trace-id': 'nope' });
  assert.equal(ctx.source, 'w3c');
  assert.deepEqual(ctx.malformed, ['uber-trace-id']);
});

test('extract: tracestate, x-request-id and decorator operation are carried', () => {
  const ctx = extractTraceContext({
    traceparent: TRACEPARENT,
    tracestate: 'rojo=00f067aa0ba902b7',
    'x-request-id': ' 9a1c3b8e-2f4d-4c6b-8a7e-1d2c3b4a5f60 ',
    'x-envoy-decorator-operation': 'orders.shop.svc.cluster.local:8080/*',
  });
  assert.equal(ctx.traceState, 'rojo=00f067aa0ba902b7');
  assert.equal(ctx.requestId, '9a1c3b8e-2f4d-4c6b-8a7e-1d2c3b4a5f60');
  assert.equal(ctx.decoratorOperation, 'orders.shop.svc.cluster.local:8080/*');
  assert.deepEqual(ctx.malformed, []);
});

test('extract: malformed tracestate and oversized plain values are reported and dropped', () => {
  const ctx = extractTraceContext({
    traceparent: TRACEPARENT,
    tracestate: 'BAD',
    'x-request-id': 'x'.repeat(257),
    'x-envoy-decorator-operation': 'caf\u00e9',
  });
  assert.equal(ctx.source, 'w3c');
  assert.equal(ctx.traceState, null);
  assert.equal(ctx.requestId, null);
  assert.equal(ctx.decoratorOperation, null);
  assert.deepEqual(ctx.malformed, ['tracestate', 'x-request-id', 'x-envoy-decorator-operation']);
});

test('extract: a sampling-only b3 gives flags only when no format gave ids', () => {
  const alone = extractTraceContext({ b3: '0' });
  assert.deepEqual([alone.source, alone.traceId, alone.traceFlags], [null, null, 0]);
  const withUber = extractTraceContext({ b3: '0', ...UBER });
  assert.deepEqual([withUber.source, withUber.traceFlags], ['jaeger', 1]);
});

test('extract: every format malformed at once → no context, each counted once, request id still read', () => {
  const ctx = extractTraceContext({
    traceparent: `00-${W3C_TRACE}-${W3C_PARENT}-0`,
    tracestate: 'a=1',
    b3: `${B3_TRACE}-`,
    'x-b3-traceid': B3_TRACE,
    'x-b3-spanid': 'short',
    'uber-trace-id': 'abc:1f:0',
    'x-request-id': 'req-1',
    'x-envoy-decorator-operation': '   ',
  });
  assert.deepEqual([ctx.source, ctx.traceId, ctx.parentSpanId, ctx.traceFlags, ctx.traceState], [null, null, null, null, null]);
  assert.deepEqual(ctx.malformed, ['traceparent', 'b3', 'b3-multi', 'uber-trace-id', 'x-envoy-decorator-operation']);
  assert.equal(ctx.requestId, 'req-1');
});

test('extract: a malformed x-b3-* set falls through to uber-trace-id', () => {
  const ctx = extractTraceContext({ 'x-b3-traceid': B3_TRACE, 'x-b3-sampled': '1', ...UBER });
  assert.equal(ctx.source, 'jaeger');
  assert.deepEqual(ctx.malformed, ['b3-multi']);
});
