// End to end against a real Jaeger v2: transactions → buildSpan → official OTLP exporter
// (HTTP and gRPC) → Jaeger → its query API. Skips only when no Jaeger can be found or started
// (and fails instead when CLOVISOR_REQUIRE_JAEGER=1).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { buildSpan } from '@clovisor/correlator';
import { httpTransaction } from '@clovisor/correlator/testing';
import type { SpanRecord } from '@clovisor/core';
import { findOrStartJaeger, JAEGER_BINARY, type JaegerUnderTest } from '../testing/jaeger.js';
import { createOtlpPusher } from './otlp-push.js';

interface JaegerTag { key: string; type: string; value: unknown }
interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  startTime: number;
  duration: number;
  tags: JaegerTag[];
  processID: string;
}
interface JaegerTrace { traceID: string; spans: JaegerSpan[]; processes: Record<string, { serviceName: string; tags: JaegerTag[] }> }

let jaeger: JaegerUnderTest | null = null;
let why = '';
before(async () => {
  jaeger = await findOrStartJaeger();
  if (jaeger === null) {
    why = `no Jaeger: set CLOVISOR_OTLP_ENDPOINT/CLOVISOR_JAEGER_QUERY, run \`clovisor stack up\`, or install ${JAEGER_BINARY}`;
    if (process.env['CLOVISOR_REQUIRE_JAEGER'] === '1') throw new Error(why);
  }
});
after(async () => {
  await jaeger?.close();
});

/** A server span and a failing client span of one fresh trace (fresh ids: the stack's Jaeger keeps old runs). */
function spansOfOneTrace(): { traceId: string; callerSpanId: string; server: SpanRecord; client: SpanRecord } {
  const traceId = randomBytes(16).toString('hex');
  const callerSpanId = randomBytes(8).toString('hex');
  const flowId = randomBytes(8).toString('hex');
  const traceparent = `00-${traceId}-${callerSpanId}-01`;
  const server = buildSpan(httpTransaction({ flowId, id: `${flowId}:3` }, { traceparent }));
  const clientTx = httpTransaction(
    { flowId: `${flowId}c`, id: `${flowId}c:0`, messageIndex: 0, podRole: 'CLIENT', pod: { service: 'frontend', namespace: 'shop', name: 'frontend-7d9f-abcde', node: 'worker-2' } },
    { traceparent },
  );
  const client = buildSpan({ ...clientTx, http: { ...clientTx.http!, statusCode: 503, reason: 'Service Unavailable' } });
  return { traceId, callerSpanId, server, client };
}

async function fetchTrace(query: string, traceId: string, spans: number): Promise<JaegerTrace> {
  const deadline = Date.now() + 15_000;
  let last = '';
  while (Date.now() < deadline) {
    const res = await fetch(`${query}/api/traces/${traceId}`);
    last = `${res.status} ${await res.text()}`;
    if (res.ok) {
      const trace = (JSON.parse(last.slice(4)) as { data: JaegerTrace[] }).data[0];
      if (trace && trace.spans.length >= spans) return trace;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`trace ${traceId} not in Jaeger after 15 s: ${last.slice(0, 300)}`);
}

const tag = (span: JaegerSpan, key: string) => span.tags.find((t) => t.key === key)?.value;

for (const protocol of ['http', 'grpc'] as const) {
  test(`jaeger: spans pushed over OTLP/${protocol} are stored exactly`, async (t) => {
    if (jaeger === null) {
      t.skip(why);
      return;
    }
    const endpoint = protocol === 'http' ? jaeger.otlpHttp : jaeger.otlpGrpc;
    const pusher = createOtlpPusher({ protocol, endpoint, timeoutMs: 5_000 });
    const { traceId, callerSpanId, server, client } = spansOfOneTrace();
    const started = process.hrtime.bigint();
    try {
      await pusher.push([server, client]);
    } finally {
      await pusher.shutdown();
    }
    const pushMs = Number(process.hrtime.bigint() - started) / 1e6;
    t.diagnostic(`push of 2 spans over ${protocol} to ${jaeger.origin} Jaeger: ${pushMs.toFixed(1)} ms`);

    const trace = await fetchTrace(jaeger.query, traceId, 2);
    assert.equal(trace.traceID, traceId);
    const byId = new Map(trace.spans.map((s) => [s.spanID, s]));
    for (const [record, kind, service] of [
      [server, 'server', 'orders'],
      [client, 'client', 'frontend'],
    ] as const) {
      const got = byId.get(record.spanId);
      assert.ok(got, `span ${record.spanId} stored`);
      assert.equal(got.operationName, 'GET /api/orders/{id}');
      assert.deepEqual(got.references, [{ refType: 'CHILD_OF', traceID: traceId, spanID: callerSpanId }]);
      assert.equal(got.startTime, Number(record.startNs / 1000n));
      assert.equal(got.duration, Number((record.endNs - record.startNs) / 1000n));
      assert.equal(got.duration, 12_332);
      assert.equal(tag(got, 'http.request.method'), 'GET');
      assert.equal(tag(got, 'url.path'), '/api/orders/12345');
      assert.equal(tag(got, 'span.kind'), kind);
      assert.equal(trace.processes[got.processID]?.serviceName, service);
    }
    const serverSpan = byId.get(server.spanId)!;
    const clientSpan = byId.get(client.spanId)!;
    assert.equal(tag(serverSpan, 'http.response.status_code'), 200);
    assert.equal(serverSpan.tags.find((x) => x.key === 'http.response.status_code')?.type, 'int64');
    assert.equal(tag(clientSpan, 'http.response.status_code'), 503);
    assert.equal(tag(clientSpan, 'error'), true, 'ERROR status shows as the error tag');
    assert.equal(tag(serverSpan, 'error'), undefined);
    assert.equal(tag(serverSpan, 'clovisor.complete'), true);
    const processTags = trace.processes[serverSpan.processID]?.tags ?? [];
    assert.equal(processTags.find((x) => x.key === 'k8s.namespace.name')?.value, 'shop');
  });
}
