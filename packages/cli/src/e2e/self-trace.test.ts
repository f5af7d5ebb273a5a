// Self-tracing, on the real stack: `clovisor run --self-trace-endpoint <Jaeger>` traces its own
// Kafka produce and consume with the OpenTelemetry Node SDK, under a service name of this run.
// Jaeger must hold those spans for every stage's topics, nothing but Kafka spans (no span about
// an OTLP export, the exporter stage's or the SDK's own), and no more once traffic stops (no
// loop feeding itself).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { stackUp, type StackEndpoints } from '@clovisor/stack';
import { Lab, type Pod } from '../lab/pods.js';
import { startClovisor, type PipelineProcess } from '../lab/pipeline-process.js';
import { isolatedTopics, type IsolatedTopics } from '../lab/isolated-topics.js';
import { findTraces, tag, waitForTrace, type JaegerSpan } from '../lab/jaeger-query.js';
import { serveHttp } from '../lab/serve-http.js';

const PORT = 8080;
const REQUESTS = 10;

let stack: StackEndpoints;
let lab: Lab;
let front: Pod;
let back: Pod;
let pipeline: PipelineProcess;
let topics: IsolatedTopics;
const run = randomBytes(3).toString('hex');
const selfService = `clovisor-self-${run}`;
const startedMs = Date.now();

before(async () => {
  stack = await stackUp({ log: () => undefined });
  topics = isolatedTopics(stack.brokers, 'e2e-self');
  lab = new Lab();
  front = await lab.addPod('front');
  back = await lab.addPod('back');
  await serveHttp(back, PORT);
  pipeline = await startClovisor(
    [
      'run', '--interface', `${front.hostInterface}=self-${run}-front`, '--interface', `${back.hostInterface}=self-${run}-back`, '--port', `${PORT}=http`,
      '--self-trace-endpoint', stack.otlpHttp, '--self-trace-service', selfService,
    ],
    { ...topics.env, CLOVISOR_BROKERS: stack.brokers, CLOVISOR_OTLP_ENDPOINT: stack.otlpHttp },
  );
});

after(async () => {
  await pipeline?.stop();
  await lab?.destroy();
  await topics?.remove();
});

async function selfSpans(): Promise<JaegerSpan[]> {
  const traces = await findTraces(stack.jaegerQuery, selfService, startedMs, 5000);
  return traces.flatMap((t) => t.spans.filter((s) => t.processes[s.processID]?.serviceName === selfService));
}

test('self-tracing: Kafka produce and consume spans of every stage reach the endpoint, nothing else, and stop with the traffic', async (t) => {
  assert.match(pipeline.log(), /self-tracing on/);
  let lastTrace = '';
  for (let i = 0; i < REQUESTS; i++) {
    lastTrace = randomBytes(16).toString('hex');
    await front.exec('curl', ['-sS', '--max-time', '10', '-H', `traceparent: 00-${lastTrace}-${randomBytes(8).toString('hex')}-01`, `http://${back.address}:${PORT}/self-${i}`]);
  }
  // the pipeline's work is done once the last request's network spans are in Jaeger
  assert.ok(await waitForTrace(stack.jaegerQuery, lastTrace, 2, 60_000), `network spans never arrived:\n${pipeline.log().slice(-2000)}`);

  // every stage's produce and consume, on this run's topics
  const settle = Date.now() + 30_000;
  const expected = [
    ['send', `clovisor.segments.v1${topics.suffix}`], ['process', `clovisor.segments.v1${topics.suffix}`],
    ['send', `clovisor.transactions.v1${topics.suffix}`], ['process', `clovisor.transactions.v1${topics.suffix}`],
    ['send', `clovisor.spans.v1${topics.suffix}`], ['process', `clovisor.spans.v1${topics.suffix}`],
  ];
  const has = (spans: JaegerSpan[], [operation, topic]: string[]) =>
    spans.some((s) => tag(s, 'messaging.operation.type') === operation && tag(s, 'messaging.destination.name') === topic);
  let spans = await selfSpans();
  while (Date.now() < settle && !expected.every((e) => has(spans, e))) {
    await new Promise((r) => setTimeout(r, 1000));
    spans = await selfSpans();
  }
  for (const e of expected) assert.ok(has(spans, e), `no ${e[0]} span for ${e[1]} among ${spans.length} self spans: ${[...new Set(spans.map((s) => s.operationName))].join(', ')}`);

  // nothing but the Kafka client's spans: no span for an OTLP export (the exporter stage's, or
  // the SDK's own export of these spans), no HTTP span
  const other = spans.filter((s) => tag(s, 'messaging.system') !== 'kafka');
  assert.deepEqual(other.map((s) => s.operationName), [], 'self spans that are not Kafka spans');
  assert.ok(!spans.some((s) => /export|v1\/traces|POST/i.test(s.operationName)), 'a self span about exporting');

  // traffic has stopped: the count must not grow (a loop would keep feeding itself)
  await new Promise((r) => setTimeout(r, 5000));
  const settled = (await selfSpans()).length;
  await new Promise((r) => setTimeout(r, 10_000));
  const later = (await selfSpans()).length;
  assert.equal(later, settled, `self spans kept coming after the traffic stopped: ${settled} → ${later}`);
  t.diagnostic(`${later} self spans for ${REQUESTS} requests: ${[...new Set(spans.map((s) => s.operationName))].sort().join(', ')}`);
});

test('self-tracing: the SDK flushes on stop and the pipeline still exits 0', async () => {
  assert.equal(await pipeline.stop(), 0, pipeline.log().slice(-2000));
  assert.doesNotMatch(pipeline.log(), /self-trace flush failed/);
});
