// INT meets L7 on the real stack: the segment batches the FlowTracker makes of a real pod → pod
// capture and INT hop reports of its packets (lab/int-hop-capture.ts, times moved to now) are
// published to an isolated clovisor.segments.v1; the real `clovisor decode`, `correlate` and
// `export` processes turn them into spans in Jaeger, which carry each exchange's hop latency.
// (The INT programs and the agent's hookup of their reports to the tracker are tested elsewhere.)
// Each stage's /metrics is scraped over HTTP: what it did, and the bad record it dead-lettered.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { codecs } from '@clovisor/core';
import { stackUp, type StackEndpoints } from '@clovisor/stack';
import { isolatedTopics, type IsolatedTopics } from '../lab/isolated-topics.js';
import { startClovisor, type PipelineProcess } from '../lab/pipeline-process.js';
import { readFirstRecords } from '../lab/read-first-records.js';
import { findTraces, serviceOf, tag, type JaegerSpan } from '../lab/jaeger-query.js';
import { hopCapture } from '../lab/int-hop-capture.js';
import { waitForMetrics } from '../lab/scrape-metrics.js';
import { freePort } from '@clovisor/stack/testing';

let stack: StackEndpoints;
let topics: IsolatedTopics;
const stages: PipelineProcess[] = [];

before(async () => {
  stack = await stackUp({ log: () => undefined });
  topics = isolatedTopics(stack.brokers, 'int-spans');
});

after(async () => {
  for (const stage of stages) await stage.stop();
  await topics?.remove();
});

test('spans in Jaeger carry clovisor.int.hop_latency_ns, ingress_port and egress_port of their exchange', async () => {
  const startedMs = Date.now();
  const capture = hopCapture(BigInt(startedMs) * 1_000_000n - 60_000_000_000n - hopCapture().events[0]!.tsNs); // a minute ago
  const id = randomBytes(3).toString('hex');
  const services = { front: `int-front-${id}`, back: `int-back-${id}` };
  // the reports of the SYN and of the second request (not of the first: rate limiting)
  const syn = capture.reportOf(capture.syn);
  const second = capture.reportOf(capture.requests[1]!);
  const both = capture.batches([syn, second], 0, services);

  const kafka = new Kafka({ clientId: 'clovisor-int-spans-test', brokers: stack.brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: `clovisor.segments.v1${topics.suffix}`, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  // and one record that is no SegmentBatch: the decoder dead-letters it and goes on
  const garbage = { key: 'not-avro', value: Buffer.from('this is not an Avro SegmentBatch') };
  await producer.send({ topic: `clovisor.segments.v1${topics.suffix}`, messages: [...both.map((b) => ({ key: b.flowId, value: codecs().segments.encode(b) })), garbage] });
  await producer.disconnect();

  const env = { ...topics.env, CLOVISOR_BROKERS: stack.brokers, CLOVISOR_OTLP_ENDPOINT: stack.otlpHttp };
  const ports = { decode: await freePort(), correlate: 0, export: 0 };
  ports.correlate = await freePort(new Set([ports.decode]));
  ports.export = await freePort(new Set([ports.decode, ports.correlate]));
  for (const command of ['decode', 'correlate', 'export'] as const) stages.push(await startClovisor([command, '--metrics-port', String(ports[command])], env));

  // on the span topic: four spans (two requests, both pods), with the attributes as ints
  const spans = (await readFirstRecords(stack.brokers, `clovisor.spans.v1${topics.suffix}`, 4)).map((r) => codecs().spans.decode(r.value!));
  for (const span of spans) {
    const expected = /slow/.test(span.name) ? syn : second;
    assert.equal(span.attributes['clovisor.int.hop_latency_ns']?.intValue, Number(expected.egressTimeNs! - expected.ingressTimeNs!), `${span.kind} ${span.name}`);
  }

  // in Jaeger, under the two pods' services
  const deadline = Date.now() + 60_000;
  let found: Array<{ service: string; span: JaegerSpan }> = [];
  while (found.length < 4 && Date.now() < deadline) {
    found = [];
    for (const service of [services.front, services.back]) {
      for (const trace of await findTraces(stack.jaegerQuery, service, startedMs - 120_000)) {
        for (const span of trace.spans) if (serviceOf(trace, span) === service) found.push({ service, span });
      }
    }
    if (found.length < 4) await new Promise((r) => setTimeout(r, 500));
  }
  assert.equal(found.length, 4, `spans in Jaeger; decoder log:\n${stages[0]!.log().slice(-2000)}`);
  for (const { service, span } of found) {
    const expected = /slow/.test(span.operationName) ? syn : second;
    assert.equal(Number(tag(span, 'clovisor.int.hop_latency_ns')), Number(expected.egressTimeNs! - expected.ingressTimeNs!), `${service} ${span.operationName}`);
    assert.equal(Number(tag(span, 'clovisor.int.ingress_port')), capture.front);
    assert.equal(Number(tag(span, 'clovisor.int.egress_port')), capture.back);
  }

  // what each stage did, on its own /metrics
  const decoder = await waitForMetrics(ports.decode, {
    clovisor_decoder_records_consumed_total: (v) => v === both.length + 1,
    clovisor_decoder_dead_lettered_total: (v) => v === 1,
    clovisor_decoder_transactions_produced_total: (v) => v === spans.length,
    clovisor_decoder_int_hops_total: (v) => v >= 2,
    clovisor_decoder_transactions_with_int_hop_total: (v) => v === spans.length,
    'clovisor_decoder_flows_evicted_total{reason="lru"}': (v) => v === 0,
  });
  assert.match(decoder.help.get('clovisor_decoder_dead_lettered_total') ?? '', /clovisor\.deadletter\.v1/);
  assert.equal(decoder.values.has('clovisor_correlator_spans_produced_total'), false, 'a decode process serves only the decoder\'s families');
  await waitForMetrics(ports.correlate, {
    clovisor_correlator_records_consumed_total: (v) => v === spans.length,
    clovisor_correlator_spans_produced_total: (v) => v === spans.length,
    clovisor_correlator_dead_lettered_total: (v) => v === 0,
    clovisor_correlator_partitions: (v) => v >= 1,
  });
  await waitForMetrics(ports.export, {
    clovisor_exporter_spans_exported_total: (v) => v === 4,
    clovisor_exporter_otlp_requests_total: (v) => v >= 1,
    'clovisor_exporter_otlp_request_failures_total{kind="permanent"}': (v) => v === 0,
    clovisor_exporter_dead_lettered_total: (v) => v === 0,
  });
});
