// An application instrumented with the official OpenTelemetry Node SDK, for the three-service
// chain test (client → frontend → backend), run inside lab pods. It exports its own spans over
// OTLP/HTTP and propagates trace context the way its role says:
//   client    sends W3C traceparent (and an x-request-id it makes) to the frontend's /checkout
//   frontend  extracts W3C; calls the backend twice: first /plain with the SDK's propagation
//             switched off for that request and only x-request-id copied by hand (what Envoy
//             does for an app that does not propagate), then /b3 with B3 multi-headers
//   backend   extracts B3; answers with the trace headers it received, so the test can check
//             what was on the wire
// Run: node traced-app.js backend <service> <otlp url> <port>
//      node traced-app.js frontend <service> <otlp url> <port> <backend url>
//      node traced-app.js client <service> <otlp url> <frontend url> <count>
// Servers print "listening <port>"; the client prints one JSON line per request, then "done".
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import type * as Http from 'node:http';
import {
  context, createContextKey, trace,
  type Context, type TextMapGetter, type TextMapPropagator, type TextMapSetter,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

type Role = 'client' | 'frontend' | 'backend';
// target: the port to listen on (servers) or the frontend's url (client); extra: the backend's
// url (frontend) or how many requests to send (client)
const [roleArg, serviceName, otlpBase, target, extra] = process.argv.slice(2);
const role = roleArg as Role;
if (!['client', 'frontend', 'backend'].includes(role) || !serviceName || !otlpBase || !target) {
  process.stderr.write('usage: traced-app.js backend|frontend|client <service.name> <otlp url> <port | frontend url> [backend url | count]\n');
  process.exit(2);
}

/** Set on a context to send a request without any trace header (the frontend's /plain hop). */
const NO_PROPAGATION = createContextKey('chain-test no propagation');

/** Extracts with one propagator, injects with another unless the context says not to. */
class HopPropagator implements TextMapPropagator {
  constructor(private readonly extractor: TextMapPropagator, private readonly injector: TextMapPropagator) {}
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    if (ctx.getValue(NO_PROPAGATION) === true) return;
    this.injector.inject(ctx, carrier, setter);
  }
  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    return this.extractor.extract(ctx, carrier, getter);
  }
  fields(): string[] {
    return [...new Set([...this.extractor.fields(), ...this.injector.fields()])];
  }
}

const w3c = new W3CTraceContextPropagator();
const b3 = new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER });
const propagators: Record<Role, TextMapPropagator> = {
  client: w3c,
  frontend: new HopPropagator(w3c, b3),
  backend: b3,
};

const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': serviceName }),
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${otlpBase}/v1/traces` }), { scheduledDelayMillis: 200 })],
});
provider.register({ propagator: propagators[role] });
registerInstrumentations({ instrumentations: [new HttpInstrumentation()] });
// Loaded after the instrumentation is registered, through require, so it is the patched module.
const http = createRequire(import.meta.url)('node:http') as typeof Http;

const TRACE_HEADERS = ['traceparent', 'tracestate', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-request-id'];

function get(url: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

async function shutdown(code: number): Promise<never> {
  await provider.shutdown().catch(() => undefined);
  process.exit(code);
}

function serve(port: number, handle: (req: Http.IncomingMessage) => Promise<unknown>): void {
  const server = http.createServer((req, res) => {
    req.resume();
    handle(req).then(
      (body) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
      (err: unknown) => res.writeHead(502, { 'content-type': 'text/plain' }).end(String(err)),
    );
  });
  server.listen(port, '0.0.0.0', () => process.stdout.write(`listening ${port}\n`));
  const stop = () => server.close(() => void shutdown(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function receivedTraceHeaders(req: Http.IncomingMessage): Record<string, string> {
  return Object.fromEntries(TRACE_HEADERS.flatMap((h) => (typeof req.headers[h] === 'string' ? [[h, req.headers[h]]] : [])));
}

if (role === 'backend') {
  serve(Number(target), async (req) => ({ path: req.url, received: receivedTraceHeaders(req) }));
} else if (role === 'frontend') {
  const backendUrl = extra;
  if (!backendUrl) throw new Error('frontend needs the backend url as its 5th argument');
  serve(Number(target), async (req) => {
    const requestId = req.headers['x-request-id'];
    const copied: Record<string, string> = typeof requestId === 'string' ? { 'x-request-id': requestId } : {};
    const plainContext = context.active().setValue(NO_PROPAGATION, true);
    const viaPlain = JSON.parse(await context.with(plainContext, () => get(`${backendUrl}/plain`, copied))) as unknown;
    const viaB3 = JSON.parse(await get(`${backendUrl}/b3`, copied)) as unknown;
    return { received: receivedTraceHeaders(req), b3: viaB3, plain: viaPlain };
  });
} else {
  const count = Number(extra ?? 1);
  const tracer = trace.getTracer('clovisor-chain-client');
  for (let i = 0; i < count; i++) {
    const requestId = `chain-${randomBytes(8).toString('hex')}`;
    await tracer.startActiveSpan('checkout', async (span) => {
      try {
        const body = await get(`${target}/checkout`, { 'x-request-id': requestId });
        process.stdout.write(`${JSON.stringify({ requestId, traceId: span.spanContext().traceId, rootSpanId: span.spanContext().spanId, response: JSON.parse(body) as unknown })}\n`);
      } finally {
        span.end();
      }
    });
  }
  await provider.forceFlush();
  process.stdout.write('done\n');
  await shutdown(0);
}
