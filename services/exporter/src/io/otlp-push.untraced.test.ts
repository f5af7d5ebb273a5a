// The exporter stage's OTLP pushes are never traced, even in a process whose HTTP client is
// instrumented (self-tracing, docs/self-observability.md): a span made while exporting would be
// exported in turn. The control request shows the instrumentation does trace this process's
// HTTP client otherwise; the pushed spans must reach the real Jaeger.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { buildSpan } from '@clovisor/correlator';
import { httpTransaction } from '@clovisor/correlator/testing';
import { findOrStartJaeger, type JaegerUnderTest } from '../testing/jaeger.js';

const recorded = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(recorded)] });
provider.register();
registerInstrumentations({ tracerProvider: provider, instrumentations: [new HttpInstrumentation()] });
createRequire(import.meta.url)('node:http'); // patched from here on, ESM imports of it included

let jaeger: JaegerUnderTest | null = null;
before(async () => {
  jaeger = await findOrStartJaeger();
});
after(async () => {
  await jaeger?.close();
  await provider.shutdown();
});

const childrenOf = (parentSpanId: string) => recorded.getFinishedSpans().filter((s) => s.parentSpanContext?.spanId === parentSpanId);

test('an OTLP push inside a traced context makes no span; a plain request there does', async (t) => {
  const j = jaeger;
  if (j === null) return t.skip('no Jaeger (run `clovisor stack up`)');
  const { createOtlpPusher } = await import('./otlp-push.js');
  const tracer = trace.getTracer('untraced-export-test');
  const { request } = await import('node:http');

  const controlParent = await tracer.startActiveSpan('control', async (span) => {
    await new Promise<void>((resolve, reject) => {
      request(`${j.query}/api/services`, (res) => res.resume().on('end', resolve)).on('error', reject).end();
    });
    span.end();
    return span.spanContext().spanId;
  });
  assert.equal(childrenOf(controlParent).length, 1, 'the instrumentation traces a plain HTTP request of this process');

  const traceId = randomBytes(16).toString('hex');
  const flowId = randomBytes(8).toString('hex');
  const record = buildSpan(httpTransaction({ flowId, id: `${flowId}:3` }, { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` }));
  const pusher = createOtlpPusher({ protocol: 'http', endpoint: j.otlpHttp });
  const pushParent = await tracer.startActiveSpan('export batch', async (span) => {
    await pusher.push([record]);
    span.end();
    return span.spanContext().spanId;
  });
  await pusher.shutdown();
  assert.equal(pusher.stats().accepted, 1, 'Jaeger accepted the push');
  assert.deepEqual(childrenOf(pushParent).map((s) => s.name), [], 'no span for the OTLP push');
  assert.ok(!recorded.getFinishedSpans().some((s) => s.attributes['url.full'] === `${j.otlpHttp}/v1/traces` || s.attributes['http.url'] === `${j.otlpHttp}/v1/traces`), 'no span for /v1/traces at all');
});
