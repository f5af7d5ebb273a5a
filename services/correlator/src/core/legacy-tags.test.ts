import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attrValue, type SpanRecord } from '@clovisor/core';
import { REQUEST_ID, TRACE_ID, httpTransaction, withHeaders } from '../testing/transactions.js';
import { Correlator } from './correlator.js';
import { LEGACY_TAGS } from './legacy-tags.js';
import { buildSpan } from './span-builder.js';

function legacy(span: SpanRecord): Record<string, unknown> {
  return Object.fromEntries(LEGACY_TAGS.filter((t) => span.attributes[t] !== undefined).map((t) => [t, attrValue(span.attributes[t]!)]));
}

test('legacy tags: Clovisor\'s names and string values on an HTTP span', () => {
  const tx = httpTransaction({}, { 'x-envoy-decorator-operation': 'orders.shop.svc.cluster.local:8080/*' });
  assert.deepEqual(legacy(buildSpan(tx, { legacyTags: true })), {
    reqmethod: 'GET',
    requrl: '/api/orders/12345?limit=10',
    reqproto: 'HTTP/1.1',
    respstatuscode: '200',
    respstatus: '200 OK',
    srcip: '10.244.1.17',
    dstip: '10.244.2.9',
    srcport: '51234',
    dstport: '8080',
    requestid: REQUEST_ID,
    traceid: TRACE_ID,
    envoydecorator: 'orders.shop.svc.cluster.local:8080/*',
    podname: 'orders-5c8d7b-x2k4p',
    nodename: 'worker-1',
    useragent: 'curl/8.5.0',
    host: 'orders.shop.svc.cluster.local:8080',
  });
});

test('legacy tags: src is the client and dst the server on both sides; absent values are left out', () => {
  const tx = withHeaders({ 'x-b3-traceid': 'a'.repeat(32), 'x-b3-spanid': 'b'.repeat(16) }, { podRole: 'CLIENT', pod: null });
  const base = httpTransaction();
  const noResponse = { ...tx, http: { ...tx.http!, statusCode: null, reason: null } };
  const tags = legacy(buildSpan(noResponse, { legacyTags: true }));
  assert.equal(tags['srcip'], '10.244.1.17');
  assert.equal(tags['dstport'], '8080');
  assert.equal(tags['traceid'], 'a'.repeat(32));
  for (const absent of ['respstatuscode', 'respstatus', 'requestid', 'envoydecorator', 'podname', 'useragent']) assert.equal(tags[absent], undefined, absent);
  assert.equal(legacy(buildSpan({ ...base, http: { ...base.http!, reason: '' } }, { legacyTags: true }))['respstatus'], '200');
});

test('legacy tags: off by default, HTTP only, and passed through by the correlator option', () => {
  assert.deepEqual(legacy(buildSpan(httpTransaction())), {});
  assert.deepEqual(legacy(buildSpan(httpTransaction({ http: null }), { legacyTags: true })), {});
  const [span] = new Correlator({ legacyTags: true, joinConnections: false }).process(httpTransaction());
  assert.equal(span?.attributes['reqmethod']?.stringValue, 'GET');
  assert.equal(span?.attributes['http.request.method']?.stringValue, 'GET', 'next to the semconv attributes, not instead');
});
