import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attrValue, type SpanRecord } from '@clovisor/core';
import { CALLER_SPAN_ID, REQUEST_ID, TRACE_ID, httpTransaction, withHeaders } from '../testing/transactions.js';
import { flowTraceIdFor, requestIdTraceIdFor, spanIdFor } from './ids.js';
import { buildSpan } from './span-builder.js';

function attrs(span: SpanRecord): Record<string, unknown> {
  return Object.fromEntries(Object.entries(span.attributes).map(([k, v]) => [k, attrValue(v)]));
}

test('buildSpan: a SERVER capture with traceparent becomes a child of the caller', () => {
  const tx = httpTransaction();
  const span = buildSpan(tx);
  assert.equal(span.traceId, TRACE_ID);
  assert.equal(span.parentSpanId, CALLER_SPAN_ID);
  assert.match(span.spanId, /^[0-9a-f]{16}$/);
  assert.equal(span.spanId, spanIdFor(tx));
  assert.equal(span.traceState, 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
  assert.equal(span.traceFlags, 1);
  assert.equal(span.kind, 'SERVER');
  assert.equal(span.name, 'GET /api/orders/{id}');
  assert.equal(span.startNs, 1_763_890_000_123_456_789n);
  assert.equal(span.endNs, 1_763_890_000_135_789_123n);
  assert.equal(span.status, 'UNSET');
  assert.equal(span.statusMessage, null);
  assert.equal(span.transactionId, tx.id);
  assert.deepEqual(span.resource, {
    'service.name': 'orders',
    'k8s.namespace.name': 'shop',
    'k8s.pod.name': 'orders-5c8d7b-x2k4p',
    'k8s.node.name': 'worker-1',
    'host.name': 'worker-1',
  });
  assert.deepEqual(attrs(span), {
    'http.request.method': 'GET',
    'url.scheme': 'http',
    'url.path': '/api/orders/12345',
    'url.query': 'limit=10',
    'http.response.status_code': 200,
    'server.address': 'orders.shop.svc.cluster.local',
    'server.port': 8080,
    'client.address': '10.244.1.17',
    'client.port': 51234,
    'network.protocol.name': 'http',
    'network.protocol.version': '1.1',
    'network.transport': 'tcp',
    'network.type': 'ipv4',
    'network.peer.address': '10.244.1.17',
    'network.peer.port': 51234,
    'network.local.address': '10.244.2.9',
    'network.local.port': 8080,
    'user_agent.original': 'curl/8.5.0',
    'http.request.header.x-request-id': REQUEST_ID,
    'http.request.body.size': 0,
    'http.response.body.size': 1342,
    'clovisor.flow_id': 'f1a2b3c4d5e6f708',
    'clovisor.transaction_id': 'f1a2b3c4d5e6f708:3',
    'clovisor.complete': true,
    'clovisor.interface': 'veth1a2b3c',
    'clovisor.node': 'worker-1',
    'clovisor.request.bytes': 212,
    'clovisor.response.bytes': 1480,
    'clovisor.trace_source': 'w3c',
    'clovisor.peer.service': 'frontend',
    'clovisor.peer.namespace': 'shop',
    'clovisor.peer.pod': 'frontend-7d9f-abcde',
  });
  // http.response.status_code must be an int, not a string or double
  assert.equal(span.attributes['http.response.status_code']?.intValue, 200);
  for (const [key, value] of Object.entries(span.attributes)) {
    const set = [value.stringValue, value.intValue, value.doubleValue, value.boolValue].filter((v) => v !== null);
    assert.equal(set.length, 1, `${key} has exactly one value`);
  }
});

test('buildSpan: span ids are deterministic and differ by position and side', () => {
  const a = buildSpan(httpTransaction());
  const again = buildSpan(httpTransaction());
  assert.equal(a.spanId, again.spanId);
  assert.notEqual(a.spanId, buildSpan(httpTransaction({ messageIndex: 4 })).spanId);
  assert.notEqual(a.spanId, buildSpan(httpTransaction({ podRole: 'CLIENT' })).spanId);
  assert.notEqual(a.spanId, buildSpan(httpTransaction({ flowId: 'other' })).spanId);
});

test('buildSpan: CLIENT side peers, kind and the 4xx error rule', () => {
  const tx = httpTransaction({ podRole: 'CLIENT', pod: { service: null, namespace: 'shop', name: 'frontend-7d9f-abcde', node: null } });
  const ok = buildSpan(tx);
  assert.equal(ok.kind, 'CLIENT');
  assert.equal(ok.status, 'UNSET');
  assert.equal(ok.attributes['network.peer.address']?.stringValue, '10.244.2.9');
  assert.equal(ok.attributes['network.peer.port']?.intValue, 8080);
  assert.equal(ok.resource['service.name'], 'unknown_service:frontend-7d9f-abcde');
  assert.equal(ok.resource['k8s.node.name'], 'worker-1', 'falls back to the capture node');

  const withStatus = (podRole: 'CLIENT' | 'SERVER', statusCode: number | null) => {
    const base = httpTransaction({ podRole });
    return buildSpan({ ...base, http: { ...base.http!, statusCode } });
  };
  assert.equal(withStatus('CLIENT', 404).status, 'ERROR');
  assert.equal(withStatus('CLIENT', 404).attributes['error.type']?.stringValue, '404');
  assert.equal(withStatus('SERVER', 404).status, 'UNSET');
  assert.equal(withStatus('SERVER', 404).attributes['error.type'], undefined);
  assert.equal(withStatus('SERVER', 499).status, 'UNSET');
  assert.equal(withStatus('SERVER', 500).status, 'ERROR');
  assert.equal(withStatus('SERVER', 503).attributes['error.type']?.stringValue, '503');
  assert.equal(withStatus('CLIENT', 399).status, 'UNSET');
});

test('buildSpan: no response → ERROR, ends at the request end, no status code', () => {
  const base = httpTransaction();
  const span = buildSpan({
    ...base,
    responseStartNs: null,
    responseEndNs: null,
    complete: false,
    notes: ['no response before FIN'],
    http: { ...base.http!, statusCode: null, reason: null },
  });
  assert.equal(span.status, 'ERROR');
  assert.equal(span.statusMessage, 'no response captured');
  assert.equal(span.endNs, base.requestEndNs);
  assert.equal(span.attributes['http.response.status_code'], undefined);
  assert.equal(span.attributes['error.type']?.stringValue, 'no_response');
  assert.equal(span.attributes['clovisor.complete']?.boolValue, false);
  assert.equal(span.attributes['clovisor.notes']?.stringValue, 'no response before FIN');
});

test('buildSpan: end never precedes start', () => {
  const span = buildSpan(httpTransaction({ responseEndNs: 1n }));
  assert.equal(span.endNs, span.startNs);
});

test('buildSpan: without context the trace is derived (x-request-id, else flow) and the span is a root', () => {
  const byRequest = buildSpan(withHeaders({ 'x-request-id': REQUEST_ID }));
  assert.equal(byRequest.traceId, requestIdTraceIdFor(REQUEST_ID));
  assert.equal(byRequest.parentSpanId, null);
  assert.equal(byRequest.traceFlags, 1);
  assert.equal(byRequest.attributes['clovisor.trace_source']?.stringValue, 'x-request-id');

  const tx = withHeaders({ 'x-request-id': REQUEST_ID });
  const byFlow = buildSpan(tx, { deriveTraceFromRequestId: false });
  assert.equal(byFlow.traceId, flowTraceIdFor(tx));
  assert.match(byFlow.traceId, /^[0-9a-f]{32}$/);
  assert.equal(byFlow.parentSpanId, null);

  const none = buildSpan(withHeaders({}));
  assert.equal(none.traceId, flowTraceIdFor(tx));
  assert.equal(none.attributes['clovisor.trace_source']?.stringValue, 'flow');
  assert.equal(none.traceState, null);
});

test('buildSpan: a sampled=0 decision is kept in the flags', () => {
  const span = buildSpan(withHeaders({ b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-0' }));
  assert.equal(span.traceFlags, 0);
  assert.equal(span.parentSpanId, 'e457b5a2e4d86bd1');
});

test('buildSpan: naming — decorator operation, unknown methods, long paths, Host variants', () => {
  assert.equal(buildSpan(withHeaders({ 'x-envoy-decorator-operation': 'orders-route' })).name, 'orders-route');
  const base = httpTransaction();
  const purge = buildSpan({ ...base, http: { ...base.http!, method: 'PURGE' } });
  assert.equal(purge.name, 'HTTP /api/orders/{id}');
  assert.equal(purge.attributes['http.request.method']?.stringValue, '_OTHER');
  assert.equal(purge.attributes['http.request.method_original']?.stringValue, 'PURGE');
  const long = buildSpan({ ...base, http: { ...base.http!, path: `/${'a'.repeat(300)}` } });
  assert.equal(long.name.length, 128);

  const noHost = buildSpan(withHeaders({}, {}));
  assert.equal(noHost.attributes['server.address']?.stringValue, 'orders');
  const bare = httpTransaction();
  const ipHost = buildSpan({ ...bare, http: { ...bare.http!, requestHeaders: { host: '[fd00::1]' } } });
  assert.equal(ipHost.attributes['server.address']?.stringValue, 'fd00::1');
  assert.equal(ipHost.attributes['server.port']?.intValue, 8080, 'wire port when Host has none');
  const missing = buildSpan({ ...bare, http: { ...bare.http!, requestHeaders: {} } });
  assert.equal(missing.attributes['server.address']?.stringValue, '10.244.2.9');
  assert.equal(missing.attributes['user_agent.original'], undefined);
});

test('buildSpan: a non-HTTP transaction still gets a span named after its protocol', () => {
  const span = buildSpan(httpTransaction({ protocol: 'redis', http: null }));
  assert.equal(span.name, 'redis');
  assert.equal(span.status, 'UNSET');
  assert.equal(span.attributes['clovisor.trace_source']?.stringValue, 'flow');
  assert.equal(span.attributes['http.request.method'], undefined);
});

test('buildSpan: node-interface times become clovisor.node_interface.* offsets and round trip', () => {
  const base = httpTransaction({ podRole: 'CLIENT' });
  const tx = { ...base, nodeInterface: { name: 'eth0', requestNs: base.requestStartNs + 12_000n, responseNs: base.responseStartNs! - 9_000n } };
  const a = attrs(buildSpan(tx));
  assert.equal(a['clovisor.node_interface.name'], 'eth0');
  assert.equal(a['clovisor.node_interface.request_offset_ns'], 12_000);
  assert.equal(a['clovisor.node_interface.response_offset_ns'], -9_000);
  assert.equal(a['clovisor.node_interface.round_trip_ns'], Number(base.responseStartNs! - 9_000n - base.requestStartNs - 12_000n));
  // only the request seen there: no response offset, no round trip
  const half = attrs(buildSpan({ ...tx, nodeInterface: { ...tx.nodeInterface, responseNs: null } }));
  assert.equal(half['clovisor.node_interface.request_offset_ns'], 12_000);
  assert.equal('clovisor.node_interface.response_offset_ns' in half, false);
  assert.equal('clovisor.node_interface.round_trip_ns' in half, false);
  // not seen on a node interface: none of them
  assert.equal(Object.keys(attrs(buildSpan(base))).some((k) => k.startsWith('clovisor.node_interface.')), false);
});

test('Transaction.nodeInterface survives Avro, and older transactions read as without it', async () => {
  const { codecs, RecordCodec } = await import('@clovisor/core');
  const { readFileSync } = await import('node:fs');
  const base = httpTransaction();
  const tx = { ...base, nodeInterface: { name: 'eth0', requestNs: base.requestStartNs + 1n, responseNs: null } };
  const back = codecs().transactions.decode(codecs().transactions.encode(tx));
  assert.deepEqual({ ...back.nodeInterface }, tx.nodeInterface);
  assert.equal(codecs().transactions.decode(codecs().transactions.encode(base)).nodeInterface, null);
  const older = JSON.parse(readFileSync(new URL('../../../../schemas/history/transaction.v1.2.avsc', import.meta.url), 'utf8'));
  const old = codecs().transactions.decode(new RecordCodec(older).encode(base));
  assert.equal(old.nodeInterface, null);
  assert.equal(old.requestStartNs, base.requestStartNs);
});
