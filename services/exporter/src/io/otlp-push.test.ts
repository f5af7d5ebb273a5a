// The official OTLP exporters against real local backends: a node HTTP server that accepts,
// rejects (400) or is overloaded (503), and ports with nothing listening.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSpan } from '@clovisor/correlator';
import { httpTransaction } from '@clovisor/correlator/testing';
import { ConfigError } from '@clovisor/core';
import { ExportError } from '../core/export-error.js';
import { createOtlpPusher, grpcUrl, httpTracesUrl } from './otlp-push.js';

interface Backend {
  endpoint: string;
  bodies: unknown[];
  paths: string[];
  close(): Promise<void>;
}

async function backend(status: number, headers: Record<string, string> = {}): Promise<Backend> {
  const bodies: unknown[] = [];
  const paths: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      paths.push(req.url ?? '');
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(status === 200 ? '{}' : '{"message":"no"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bodies,
    paths,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

test('http: the request the official exporter sends carries our ids and exact nanoseconds', async () => {
  const b = await backend(200);
  const pusher = createOtlpPusher({ protocol: 'http', endpoint: `${b.endpoint}/`, timeoutMs: 2_000 });
  try {
    const server = buildSpan(httpTransaction());
    const client = buildSpan(httpTransaction({ podRole: 'CLIENT', pod: { service: 'frontend', namespace: 'shop', name: 'frontend-7d9f-abcde', node: 'worker-2' } }));
    await pusher.push([server, client]);
    assert.deepEqual(b.paths, ['/v1/traces']);
    const body = b.bodies[0] as Json;
    assert.equal(body.resourceSpans.length, 2, 'one ResourceSpans per service');
    const orders = body.resourceSpans.find((r: Json) => r.resource.attributes.some((a: Json) => a.value.stringValue === 'orders'));
    const scope = orders.scopeSpans[0];
    assert.deepEqual(scope.scope, { name: '@clovisor/exporter', version: '0.1.0' });
    const s = scope.spans[0];
    assert.equal(s.traceId, server.traceId);
    assert.equal(s.spanId, server.spanId);
    assert.equal(s.parentSpanId, server.parentSpanId);
    assert.equal(s.traceState, server.traceState);
    assert.equal(s.startTimeUnixNano, '1763890000123456789');
    assert.equal(s.endTimeUnixNano, '1763890000135789123');
    assert.equal(s.kind, 2, 'SPAN_KIND_SERVER');
    assert.equal(s.name, 'GET /api/orders/{id}');
    const attr = (key: string) => s.attributes.find((a: Json) => a.key === key)?.value;
    assert.deepEqual(attr('http.response.status_code'), { intValue: 200 });
    assert.deepEqual(attr('clovisor.complete'), { boolValue: true });
    assert.deepEqual(attr('url.path'), { stringValue: '/api/orders/12345' });
    assert.deepEqual(pusher.stats().spansAccepted, 2);
  } finally {
    await pusher.shutdown();
    await b.close();
  }
});

test('http: 400 is permanent, 503 is retryable', async () => {
  const bad = await backend(400);
  const busy = await backend(503, { 'retry-after': '0' });
  const badPusher = createOtlpPusher({ protocol: 'http', endpoint: bad.endpoint, timeoutMs: 1_000 });
  const busyPusher = createOtlpPusher({ protocol: 'http', endpoint: busy.endpoint, timeoutMs: 300 });
  try {
    await assert.rejects(badPusher.push([buildSpan(httpTransaction())]), (err: unknown) => {
      assert.ok(err instanceof ExportError);
      assert.equal(err.retryable, false);
      assert.equal(err.status, 400);
      return true;
    });
    await assert.rejects(busyPusher.push([buildSpan(httpTransaction())]), (err: unknown) => err instanceof ExportError && err.retryable);
    assert.ok(busy.bodies.length >= 1);
    assert.equal(badPusher.stats().permanentFailures, 1);
    assert.equal(busyPusher.stats().retryableFailures, 1);
  } finally {
    await badPusher.shutdown();
    await busyPusher.shutdown();
    await bad.close();
    await busy.close();
  }
});

for (const protocol of ['http', 'grpc'] as const) {
  test(`${protocol}: a closed port rejects quickly with a retryable error`, async () => {
    const port = await closedPort();
    const pusher = createOtlpPusher({ protocol, endpoint: `127.0.0.1:${port}`, timeoutMs: 500 });
    const started = Date.now();
    try {
      await assert.rejects(pusher.push([buildSpan(httpTransaction())]), (err: unknown) => {
        assert.ok(err instanceof ExportError, String(err));
        assert.equal(err.retryable, true);
        return true;
      });
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 2_000, `took ${elapsed} ms`);
    } finally {
      await pusher.shutdown();
    }
  });
}

test('lifecycle: empty push needs no backend; shutdown twice; push after shutdown is refused', async () => {
  const pusher = createOtlpPusher({ protocol: 'grpc', endpoint: `127.0.0.1:${await closedPort()}` });
  await pusher.push([]);
  await pusher.shutdown();
  await pusher.shutdown();
  await assert.rejects(pusher.push([buildSpan(httpTransaction())]), (err: unknown) => err instanceof ExportError && err.code === 'OTLP_SHUTDOWN');
});

test('invalid span records are refused as permanent', async () => {
  const pusher = createOtlpPusher({ protocol: 'http', endpoint: `127.0.0.1:${await closedPort()}` });
  try {
    const span = { ...buildSpan(httpTransaction()), startNs: -5n };
    await assert.rejects(pusher.push([span]), (err: unknown) => err instanceof ExportError && err.code === 'SPAN_INVALID' && !err.retryable);
  } finally {
    await pusher.shutdown();
  }
});

test('endpoints: normalised, or a ConfigError', () => {
  assert.equal(httpTracesUrl('http://jaeger:4318'), 'http://jaeger:4318/v1/traces');
  assert.equal(httpTracesUrl('jaeger:4318/'), 'http://jaeger:4318/v1/traces');
  assert.equal(httpTracesUrl('https://otel.example/otlp'), 'https://otel.example/otlp/v1/traces');
  assert.throws(() => httpTracesUrl('ftp://x'), ConfigError);
  assert.equal(grpcUrl('jaeger:4317'), 'http://jaeger:4317');
  assert.equal(grpcUrl('http://127.0.0.1:4317/'), 'http://127.0.0.1:4317');
  assert.equal(grpcUrl('https://otel.example'), 'https://otel.example');
  assert.equal(grpcUrl('https://otel.example:8443'), 'https://otel.example:8443');
  assert.throws(() => grpcUrl('jaeger'), ConfigError);
  assert.throws(() => grpcUrl('http://jaeger:4317/v1/traces'), ConfigError);
  assert.throws(() => createOtlpPusher({ protocol: 'http', endpoint: 'x:1', timeoutMs: 0 }), ConfigError);
});
