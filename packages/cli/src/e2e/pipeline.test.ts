// The spine, end to end on real components: two "pods" (network namespaces behind veths), a real
// HTTP server and curl, `clovisor run` capturing with eBPF on both host-side veths, Kafka in
// between, and the spans read back from Jaeger's query API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { stackUp, type StackEndpoints } from '@clovisor/stack';
import { Lab, type Pod } from '../lab/pods.js';
import { startClovisor, type PipelineProcess } from '../lab/pipeline-process.js';
import { isolatedTopics, type IsolatedTopics } from '../lab/isolated-topics.js';
import { waitForTrace, tag, serviceOf, type JaegerSpan } from '../lab/jaeger-query.js';
import { serveHttp } from '../lab/serve-http.js';
import { describeTopics, withAdmin } from '../topics/admin.js';

const PORT = 8080;

let stack: StackEndpoints;
let lab: Lab;
let front: Pod;
let back: Pod;
let pipeline: PipelineProcess;
let topics: IsolatedTopics;
let pipelineExit: number | string | undefined;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

async function curl(pod: Pod, args: string[]): Promise<string> {
  const { stdout } = await pod.exec('curl', ['-sS', '--max-time', '15', ...args]);
  return stdout;
}

before(async () => {
  stack = await stackUp({ log: () => undefined });
  topics = isolatedTopics(stack.brokers, 'e2e-http');
  lab = new Lab();
  front = await lab.addPod('front');
  back = await lab.addPod('back');
  await serveHttp(back, PORT);
  pipeline = await startClovisor(
    ['run', '--interface', `${front.hostInterface}=frontend`, '--interface', `${back.hostInterface}=backend`, '--port', `${PORT}=http`],
    { ...topics.env, CLOVISOR_BROKERS: stack.brokers, CLOVISOR_OTLP_ENDPOINT: stack.otlpHttp },
  );
});

after(async () => {
  if (pipeline && pipelineExit === undefined) await pipeline.stop();
  await lab?.destroy();
  await topics?.remove();
});

function byKind(spans: JaegerSpan[], kind: 'server' | 'client'): JaegerSpan {
  const span = spans.find((s) => tag(s, 'span.kind') === kind);
  assert.ok(span, `no ${kind} span among ${spans.map((s) => `${s.operationName}/${String(tag(s, 'span.kind'))}`).join(', ')}`);
  return span;
}

test('a request with traceparent becomes a CLIENT and a SERVER span in its trace, timed by the packets', async () => {
  const traceId = hex(16);
  const parentId = hex(8);
  const body = await curl(front, ['-H', `traceparent: 00-${traceId}-${parentId}-01`, '-H', 'x-request-id: e2e-req-1', `http://${back.address}:${PORT}/slow?ms=400`]);
  assert.match(body, /"slept":400/);

  const trace = await waitForTrace(stack.jaegerQuery, traceId, 2, 60_000);
  assert.ok(trace, `trace ${traceId} never reached Jaeger; pipeline log:\n${pipeline.log().slice(-3000)}`);
  const server = byKind(trace.spans, 'server');
  const client = byKind(trace.spans, 'client');
  for (const span of [server, client]) {
    assert.equal(span.operationName, 'GET /slow');
    assert.equal(tag(span, 'http.request.method'), 'GET');
    assert.equal(tag(span, 'url.path'), '/slow');
    assert.equal(tag(span, 'url.query'), 'ms=400');
    assert.equal(Number(tag(span, 'http.response.status_code')), 200);
    assert.equal(tag(span, 'network.protocol.version'), '1.1');
    assert.equal(tag(span, 'server.address'), back.address);
    assert.equal(Number(tag(span, 'server.port')), PORT);
    assert.equal(tag(span, 'client.address'), front.address);
    assert.ok(Number(tag(span, 'client.port')) > 1024);
    assert.equal(tag(span, 'http.request.header.x-request-id'), 'e2e-req-1');
    // first request byte -> last response byte: covers the 400 ms the server waited
    assert.ok(span.duration >= 400_000, `duration ${span.duration} µs should cover the server's 400 ms`);
    assert.ok(span.duration < 5_000_000, `duration ${span.duration} µs is implausibly long`);
  }
  assert.equal(serviceOf(trace, server), 'backend');
  assert.equal(serviceOf(trace, client), 'frontend');
  assert.notEqual(server.spanID, client.spanID);
  // both ends of the connection are captured: caller's span → CLIENT network span → SERVER network span
  const parentOf = (span: JaegerSpan) => span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
  assert.equal(parentOf(client), parentId, 'the CLIENT span is a child of the span id sent in traceparent');
  assert.equal(parentOf(server), client.spanID, 'the SERVER span is a child of the CLIENT span (joined by connection and TCP sequence)');
  // the span starts when the request was on the wire, not when it was built
  assert.ok(Math.abs(server.startTime - client.startTime) < 1_000_000, 'both ends saw the request within a second');
});

test('B3 headers (multi and single) put the spans in the caller\'s trace', async () => {
  const multiTrace = hex(16);
  const multiSpan = hex(8);
  await curl(front, ['-H', `x-b3-traceid: ${multiTrace}`, '-H', `x-b3-spanid: ${multiSpan}`, '-H', 'x-b3-sampled: 1', `http://${back.address}:${PORT}/b3-multi`]);
  const singleTrace = hex(16);
  const singleSpan = hex(8);
  await curl(front, ['-H', `b3: ${singleTrace}-${singleSpan}-1`, `http://${back.address}:${PORT}/b3-single`]);

  for (const [traceId, spanId, path] of [[multiTrace, multiSpan, '/b3-multi'], [singleTrace, singleSpan, '/b3-single']] as const) {
    const trace = await waitForTrace(stack.jaegerQuery, traceId, 2, 60_000);
    assert.ok(trace, `trace ${traceId} (${path}) never reached Jaeger`);
    for (const span of trace.spans) assert.equal(tag(span, 'url.path'), path);
    const client = byKind(trace.spans, 'client');
    const server = byKind(trace.spans, 'server');
    assert.equal(client.references.find((r) => r.refType === 'CHILD_OF')?.spanID, spanId, 'CLIENT span: child of the B3 span id');
    assert.equal(server.references.find((r) => r.refType === 'CHILD_OF')?.spanID, client.spanID, 'SERVER span: child of the CLIENT span');
  }
});

test('keep-alive and chunked: several requests on one connection each become a span', async () => {
  const traceId = hex(16);
  const parentId = hex(8);
  // curl reuses one connection for the URLs of one command line
  const out = await curl(front, [
    '-H', `traceparent: 00-${traceId}-${parentId}-01`,
    `http://${back.address}:${PORT}/chunked`, `http://${back.address}:${PORT}/missing`, `http://${back.address}:${PORT}/third`,
  ]);
  assert.match(out, /one,two,three/);
  const trace = await waitForTrace(stack.jaegerQuery, traceId, 6, 60_000);
  assert.ok(trace, 'trace never reached Jaeger');
  const servers = trace.spans.filter((s) => tag(s, 'span.kind') === 'server');
  assert.deepEqual(servers.map((s) => tag(s, 'url.path')).sort(), ['/chunked', '/missing', '/third']);
  const missing = servers.find((s) => tag(s, 'url.path') === '/missing')!;
  assert.equal(Number(tag(missing, 'http.response.status_code')), 404);
  const ports = new Set(servers.map((s) => tag(s, 'client.port')));
  assert.equal(ports.size, 1, 'all three requests travelled on one connection');
});

test('the topics the pipeline created have the per-topic retention and compression of `topics create`', async () => {
  const names = ['segments', 'transactions', 'spans', 'deadletter'].map((kind) => `clovisor.${kind}.v1${topics.suffix}`);
  const described = await withAdmin(stack.brokers.split(','), (admin) => describeTopics(admin, names));
  const got = Object.fromEntries(described.map((d) => [d.topic, { retention: d.configs['retention.ms'], compression: d.configs['compression.type'] }]));
  const day = 86_400_000;
  assert.deepEqual(got, {
    [names[0]!]: { retention: String(3 * day), compression: 'producer' },
    [names[1]!]: { retention: String(7 * day), compression: 'gzip' },
    [names[2]!]: { retention: String(7 * day), compression: 'gzip' },
    [names[3]!]: { retention: String(14 * day), compression: 'gzip' },
  });
});

test('SIGINT detaches, flushes and exits 0, leaving no tc filter of ours', async () => {
  pipelineExit = await pipeline.stop();
  assert.equal(pipelineExit, 0, pipeline.log().slice(-2000));
  for (const pod of [front, back]) {
    for (const hook of ['ingress', 'egress']) {
      const filters = execFileSync('tc', ['filter', 'show', 'dev', pod.hostInterface, hook], { encoding: 'utf8' });
      assert.doesNotMatch(filters, /pref 3088/, `a filter of ours is left on ${pod.hostInterface} ${hook}:\n${filters}`);
    }
  }
});
