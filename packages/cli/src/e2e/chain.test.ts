// A real three-service chain, client → frontend → backend, each in its own lab pod and each
// instrumented with the official OpenTelemetry Node SDK (lab/traced-app.ts), exporting to the
// shared Jaeger; Clovisor captures the pods' host-side veths and exports its network spans to the
// same Jaeger. Three hops per request:
//   1. client → frontend /checkout   W3C traceparent (+ x-request-id made by the client)
//   2. frontend → backend /plain     x-request-id only (the SDK's propagation is off for it)
//   3. frontend → backend /b3        B3 multi-headers (+ x-request-id copied by hand)
// /plain goes first, so it completes before any hop with context: the correlator must hold it
// until one arrives (request-id-hold.ts). Then Jaeger's query API must show, per request, one
// trace holding the apps' spans and the six network spans, parented as docs/spans.md promises.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { stackUp, type StackEndpoints } from '@clovisor/stack';
import { Lab, type Pod } from '../lab/pods.js';
import { startClovisor, type PipelineProcess } from '../lab/pipeline-process.js';
import { isolatedTopics, type IsolatedTopics } from '../lab/isolated-topics.js';
import { startTcpRelay, type TcpRelay } from '../lab/tcp-relay.js';
import { findTraces, getTrace, parentOf, serviceOf, tag, waitForTrace, type JaegerSpan, type JaegerTrace } from '../lab/jaeger-query.js';

const APP = fileURLToPath(new URL('../lab/traced-app.js', import.meta.url));
const PORT = 8080;
const REQUESTS = 5;
// per request: client checkout + GET, frontend server + two GETs, backend /b3 server; 3 hops × 2 captures
const APP_SPANS = 6;
const NETWORK_SPANS = 6;

let stack: StackEndpoints;
let lab: Lab;
let pods: { client: Pod; frontend: Pod; backend: Pod };
let relay: TcpRelay;
let pipeline: PipelineProcess;
let topics: IsolatedTopics;
const run = randomBytes(3).toString('hex');
const service = { client: `chain-${run}-client`, frontend: `chain-${run}-frontend`, backend: `chain-${run}-backend` };
const startedMs = Date.now();

interface ClientLine {
  requestId: string;
  traceId: string;
  rootSpanId: string;
  response: {
    received: Record<string, string>;
    b3: { path: string; received: Record<string, string> };
    plain: { path: string; received: Record<string, string> };
  };
}
let requests: ClientLine[] = [];

function output(child: ChildProcess): () => string {
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  return () => text;
}

async function startApp(pod: Pod, args: string[]): Promise<void> {
  const child = pod.spawn(process.execPath, [APP, ...args]);
  const log = output(child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start: ${log()}`)), 20_000);
    child.stdout!.on('data', () => {
      if (log().includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited ${code}: ${log()}`)));
  });
}

before(async () => {
  stack = await stackUp({ log: () => undefined });
  topics = isolatedTopics(stack.brokers, 'e2e-chain');
  lab = new Lab();
  pods = { client: await lab.addPod('client'), frontend: await lab.addPod('frontend'), backend: await lab.addPod('backend') };
  const jaeger = new URL(stack.otlpHttp);
  relay = await startTcpRelay(pods.client.gateway, { host: jaeger.hostname, port: Number(jaeger.port) });
  const otlp = `http://${relay.address}`;
  pipeline = await startClovisor(
    [
      'run',
      '--interface', `${pods.client.hostInterface}=${service.client}`,
      '--interface', `${pods.frontend.hostInterface}=${service.frontend}`,
      '--interface', `${pods.backend.hostInterface}=${service.backend}`,
      '--port', `${PORT}=http`,
    ],
    { ...topics.env, CLOVISOR_BROKERS: stack.brokers, CLOVISOR_OTLP_ENDPOINT: stack.otlpHttp },
  );
  await startApp(pods.backend, ['backend', service.backend, otlp, String(PORT)]);
  await startApp(pods.frontend, ['frontend', service.frontend, otlp, String(PORT), `http://${pods.backend.address}:${PORT}`]);
  const client = pods.client.spawn(process.execPath, [APP, 'client', service.client, otlp, `http://${pods.frontend.address}:${PORT}`, String(REQUESTS)]);
  const log = output(client);
  const code = await new Promise<number | null>((resolve) => client.once('exit', resolve));
  assert.equal(code, 0, `client failed:\n${log()}`);
  requests = log().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as ClientLine);
});

after(async () => {
  await pipeline?.stop();
  await lab?.destroy();
  await relay?.close();
  await topics?.remove();
});

test('each hop carried the context it was meant to, and only that', () => {
  assert.equal(requests.length, REQUESTS);
  for (const { requestId, traceId, response } of requests) {
    assert.match(response.received['traceparent'] ?? '', new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`), 'client → frontend: W3C');
    assert.equal(response.received['x-request-id'], requestId);
    assert.equal(response.b3.received['x-b3-traceid'], traceId, 'frontend → backend /b3: B3 multi-header');
    assert.equal(response.b3.received['traceparent'], undefined);
    assert.equal(response.b3.received['x-request-id'], requestId);
    assert.deepEqual(response.plain.received, { 'x-request-id': requestId }, 'frontend → backend /plain: x-request-id alone');
  }
});

const isNetwork = (span: JaegerSpan) => tag(span, 'clovisor.flow_id') !== undefined;
const kindOf = (span: JaegerSpan) => tag(span, 'span.kind');
/** the request path of an app span (SDK attributes, old or stable semconv) or a network span */
function pathOf(span: JaegerSpan): string {
  const target = tag(span, 'url.path') ?? tag(span, 'http.target');
  if (typeof target === 'string') return target.split('?')[0]!;
  const url = tag(span, 'url.full') ?? tag(span, 'http.url');
  return typeof url === 'string' ? new URL(url).pathname : '';
}

function describe(trace: JaegerTrace): string {
  return trace.spans
    .map((s) => `${s.spanID} ← ${parentOf(s) ?? 'root'} ${serviceOf(trace, s)} ${s.operationName} ${String(kindOf(s))} ${pathOf(s)}${isNetwork(s) ? ` [net ${String(tag(s, 'clovisor.trace_source'))}]` : ''}`)
    .join('\n  ');
}

function one(trace: JaegerTrace, what: string, match: (span: JaegerSpan) => boolean): JaegerSpan {
  const found = trace.spans.filter(match);
  assert.equal(found.length, 1, `expected one ${what} in trace ${trace.traceID}, found ${found.length} among:\n  ${describe(trace)}`);
  return found[0]!;
}

test('one trace per request: the apps\' spans and the network spans, parented as docs/spans.md says', async (t) => {
  const learnedFrom: string[] = [];
  for (const { requestId, traceId, rootSpanId } of requests) {
    let trace = await waitForTrace(stack.jaegerQuery, traceId, APP_SPANS + NETWORK_SPANS, 90_000);
    assert.ok(trace, `trace ${traceId} never reached Jaeger; pipeline log:\n${pipeline.log().slice(-3000)}`);
    // a late duplicate would show up after the expected count: look again
    await new Promise((r) => setTimeout(r, 1000));
    trace = (await getTrace(stack.jaegerQuery, traceId))!;
    const svc = (s: JaegerSpan) => serviceOf(trace!, s);
    const app = (name: string, kind: string, path: string) => (s: JaegerSpan) => !isNetwork(s) && svc(s) === name && kindOf(s) === kind && pathOf(s) === path;
    const net = (name: string, kind: string, path: string) => (s: JaegerSpan) => isNetwork(s) && svc(s) === name && kindOf(s) === kind && pathOf(s) === path;

    const root = one(trace, 'client checkout span', (s) => s.spanID === rootSpanId && s.operationName === 'checkout');
    const c1 = one(trace, 'client app CLIENT span', app(service.client, 'client', '/checkout'));
    const f1 = one(trace, 'frontend app SERVER span', app(service.frontend, 'server', '/checkout'));
    const c2 = one(trace, 'frontend app CLIENT span /b3', app(service.frontend, 'client', '/b3'));
    const c3 = one(trace, 'frontend app CLIENT span /plain', app(service.frontend, 'client', '/plain'));
    const b2 = one(trace, 'backend app SERVER span /b3', app(service.backend, 'server', '/b3'));
    const n1c = one(trace, 'network CLIENT span client → frontend', net(service.client, 'client', '/checkout'));
    const n1s = one(trace, 'network SERVER span client → frontend', net(service.frontend, 'server', '/checkout'));
    const n2c = one(trace, 'network CLIENT span frontend → backend /b3', net(service.frontend, 'client', '/b3'));
    const n2s = one(trace, 'network SERVER span frontend → backend /b3', net(service.backend, 'server', '/b3'));
    const n3c = one(trace, 'network CLIENT span frontend → backend /plain', net(service.frontend, 'client', '/plain'));
    const n3s = one(trace, 'network SERVER span frontend → backend /plain', net(service.backend, 'server', '/plain'));
    assert.equal(trace.spans.length, APP_SPANS + NETWORK_SPANS, 'nothing else, nothing twice');

    // the apps' own parenting (what the SDKs propagated)
    assert.equal(parentOf(c1), root.spanID);
    assert.equal(parentOf(f1), c1.spanID);
    assert.equal(parentOf(c2), f1.spanID);
    assert.equal(parentOf(c3), f1.spanID);
    assert.equal(parentOf(b2), c2.spanID);

    // W3C hop: CLIENT capture under the app span that made the call, SERVER capture under it
    assert.equal(parentOf(n1c), c1.spanID, 'network CLIENT span: child of the span id in traceparent');
    assert.equal(parentOf(n1s), n1c.spanID, 'network SERVER span: child of the CLIENT capture');
    assert.equal(tag(n1c, 'clovisor.trace_source'), 'w3c');
    assert.equal(tag(n1s, 'clovisor.trace_source'), 'client-span');
    // B3 hop
    assert.equal(parentOf(n2c), c2.spanID, 'network CLIENT span: child of x-b3-spanid');
    assert.equal(parentOf(n2s), n2c.spanID);
    assert.equal(tag(n2c, 'clovisor.trace_source'), 'b3');
    assert.equal(tag(n2s, 'clovisor.trace_source'), 'client-span');
    // x-request-id-only hop: the trace learned from another hop of the same request, under
    // the network span of it that the correlator saw first with context in its headers
    // (services/correlator/README.md); which one that is depends on the order the decoder
    // publishes the captures of different connections in
    assert.equal(tag(n3c, 'clovisor.trace_source'), 'x-request-id-learned');
    const contextHops = [n1c, n1s, n2c, n2s].map((s) => s.spanID);
    assert.ok(contextHops.includes(parentOf(n3c)!), `the /plain CLIENT capture's parent ${parentOf(n3c)} is not a network span that carried context:\n${describe(trace)}`);
    learnedFrom.push(['/checkout CLIENT', '/checkout SERVER', '/b3 CLIENT', '/b3 SERVER'][contextHops.indexOf(parentOf(n3c)!)]!);
    assert.equal(parentOf(n3s), n3c.spanID);
    assert.equal(tag(n3s, 'clovisor.trace_source'), 'client-span');
    for (const span of [n1c, n1s, n2c, n2s, n3c, n3s]) {
      assert.equal(tag(span, 'http.request.header.x-request-id'), requestId);
      assert.equal(span.operationName, `GET ${pathOf(span)}`);
    }
    // timed by the packets (first request byte → last response byte): each network span covers
    // the app's own handling of that request. One machine clock; slack for the kernel-to-epoch
    // clock conversion, and at the end for the app's span, which ends on the response's
    // 'finish' event, after the last bytes were handed to the kernel (and maybe on the wire)
    const START_SLACK_US = 20_000;
    const END_SLACK_US = 100_000;
    for (const [network, appServer] of [[n1c, f1], [n1s, f1], [n2c, b2], [n2s, b2]] as const) {
      assert.ok(network.startTime <= appServer.startTime + START_SLACK_US, `${network.operationName} starts ${network.startTime - appServer.startTime} µs after the app's server span`);
      const endGap = appServer.startTime + appServer.duration - (network.startTime + network.duration);
      assert.ok(endGap <= END_SLACK_US, `${network.operationName} ends ${endGap} µs before the app's server span`);
    }

    // Clovisor only watches: it cannot put its SERVER capture between the caller and the app's
    // server span, which is the child of the span id the caller sent, as the CLIENT capture is.
    assert.equal(parentOf(f1), parentOf(n1c));
    assert.equal(parentOf(b2), parentOf(n2c));
  }
  t.diagnostic(`the /plain hop joined under: ${learnedFrom.join(', ')}`);
});

test('no request is split: every network span of a request id is in that request\'s trace', async () => {
  const traceOf = new Map(requests.map((r) => [r.requestId, r.traceId]));
  const seen = new Map<string, Set<string>>();
  let plainBackendRoots = 0;
  for (const name of Object.values(service)) {
    for (const trace of await findTraces(stack.jaegerQuery, name, startedMs)) {
      for (const span of trace.spans) {
        const requestId = tag(span, 'http.request.header.x-request-id');
        if (isNetwork(span) && typeof requestId === 'string') {
          if (!seen.has(requestId)) seen.set(requestId, new Set());
          seen.get(requestId)!.add(trace.traceID);
        }
        if (name === service.backend && !isNetwork(span) && pathOf(span) === '/plain' && parentOf(span) === undefined) plainBackendRoots++;
      }
    }
  }
  assert.deepEqual([...seen.keys()].sort(), [...traceOf.keys()].sort(), 'network spans of exactly the requests sent');
  for (const [requestId, traces] of seen) assert.deepEqual([...traces], [traceOf.get(requestId)], `request ${requestId} spread over ${[...traces].join(', ')}`);
  // The backend app received no context on /plain, so its SDK started a trace of its own there:
  // only Clovisor's network spans carry that hop into the request's trace.
  assert.equal(plainBackendRoots, REQUESTS);
});
