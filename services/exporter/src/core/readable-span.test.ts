import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { boolAttr, doubleAttr, intAttr, stringAttr, type SpanRecord } from '@clovisor/core';
import { SpanAdapter } from './readable-span.js';
import { SCOPE_NAME, SCOPE_VERSION } from './version.js';

function record(overrides: Partial<SpanRecord> = {}): SpanRecord {
  return {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '53995c3f42cd8ad8',
    parentSpanId: '00f067aa0ba902b7',
    traceState: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    traceFlags: 1,
    name: 'GET /api/orders/{id}',
    kind: 'SERVER',
    startNs: 1_763_890_000_123_456_789n,
    endNs: 1_763_890_000_135_789_123n,
    status: 'ERROR',
    statusMessage: 'no response captured',
    attributes: {
      'http.request.method': stringAttr('GET'),
      'http.response.status_code': intAttr(503),
      'clovisor.complete': boolAttr(true),
      'clovisor.ratio': doubleAttr(0.25),
    },
    resource: { 'service.name': 'orders', 'k8s.namespace.name': 'shop' },
    transactionId: 'f1a2b3c4d5e6f708:3',
    ...overrides,
  };
}

test('adapter: every field of the ReadableSpan, exactly', () => {
  const s = new SpanAdapter().toReadableSpan(record());
  const ctx = s.spanContext();
  assert.equal(ctx.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(ctx.spanId, '53995c3f42cd8ad8');
  assert.equal(ctx.traceFlags, 1);
  assert.equal(ctx.isRemote, false);
  assert.equal(ctx.traceState?.serialize(), 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
  assert.deepEqual(s.parentSpanContext, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true });
  assert.equal(s.name, 'GET /api/orders/{id}');
  assert.equal(s.kind, SpanKind.SERVER);
  assert.deepEqual(s.startTime, [1_763_890_000, 123_456_789]);
  assert.deepEqual(s.endTime, [1_763_890_000, 135_789_123]);
  assert.deepEqual(s.duration, [0, 12_332_334]);
  assert.deepEqual(s.status, { code: SpanStatusCode.ERROR, message: 'no response captured' });
  assert.deepEqual(s.attributes, {
    'http.request.method': 'GET',
    'http.response.status_code': 503,
    'clovisor.complete': true,
    'clovisor.ratio': 0.25,
  });
  assert.deepEqual(s.resource.attributes, { 'service.name': 'orders', 'k8s.namespace.name': 'shop' });
  assert.deepEqual(s.instrumentationScope, { name: '@clovisor/exporter', version: SCOPE_VERSION });
  assert.deepEqual([s.links, s.events, s.ended], [[], [], true]);
  assert.deepEqual([s.droppedAttributesCount, s.droppedEventsCount, s.droppedLinksCount], [0, 0, 0]);
});

test('adapter: roots, kinds, unset status, no trace state', () => {
  const adapter = new SpanAdapter();
  const root = adapter.toReadableSpan(record({ parentSpanId: null, traceState: null, status: 'UNSET', statusMessage: null, kind: 'CLIENT', traceFlags: 0 }));
  assert.equal(root.parentSpanContext, undefined);
  assert.equal(root.spanContext().traceState, undefined);
  assert.equal(root.spanContext().traceFlags, 0);
  assert.deepEqual(root.status, { code: SpanStatusCode.UNSET });
  assert.equal(root.kind, SpanKind.CLIENT);
  const kinds = (['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'] as const).map((kind) => adapter.toReadableSpan(record({ kind })).kind);
  assert.deepEqual(kinds, [SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER]);
});

test('adapter: one Resource object per distinct resource map, bounded', () => {
  const adapter = new SpanAdapter({ resourceCacheSize: 2 });
  const a1 = adapter.toReadableSpan(record());
  const a2 = adapter.toReadableSpan(record({ resource: { 'k8s.namespace.name': 'shop', 'service.name': 'orders' } }));
  assert.equal(a1.resource, a2.resource, 'same attributes in another order share the object');
  const b = adapter.toReadableSpan(record({ resource: { 'service.name': 'cart' } }));
  assert.notEqual(b.resource, a1.resource);
  adapter.toReadableSpan(record({ resource: { 'service.name': 'pay' } }));
  assert.deepEqual(adapter.stats().resources, { size: 2, evictions: 1 });
  assert.notEqual(adapter.toReadableSpan(record()).resource, a1.resource, 'evicted, rebuilt');
});

test('adapter: empty attribute values are dropped and counted, end before start is clamped', () => {
  const adapter = new SpanAdapter();
  const empty = { stringValue: null, intValue: null, doubleValue: null, boolValue: null };
  const s = adapter.toReadableSpan(record({ attributes: { bad: empty, ok: stringAttr('x') }, endNs: 5n, startNs: 10n }));
  assert.deepEqual(s.attributes, { ok: 'x' });
  assert.deepEqual(s.endTime, [0, 10]);
  assert.deepEqual(s.duration, [0, 0]);
  assert.equal(adapter.stats().emptyAttributesDropped, 1);
  assert.equal(adapter.stats().endClampedToStart, 1);
  assert.equal(adapter.stats().spans, 1);
});

test('scope version and name follow package.json', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
  assert.equal(SCOPE_NAME, pkg.name);
  assert.equal(SCOPE_VERSION, pkg.version);
});
