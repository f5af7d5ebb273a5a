// INT from packet to collector in one `clovisor run --int --int-collector`: capture's records on
// clovisor.int.v1 (own topic suffix, the real Kafka) turned into Telemetry Report v0.5 datagrams
// by the exporter, received by a UDP collector on loopback that decodes them from the spec
// (services/exporter/src/testing); and the hop on the spans of the same run in Jaeger. Real curl
// traffic between two Lab pods; a real drop by a policy rule for the client pod's own address.
// Every stage's counters on the run's one /metrics endpoint.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { IntCollector, type DecodedReport } from '@clovisor/exporter/int-collector';
import { stackUp, type StackEndpoints } from '@clovisor/stack';
import { Lab, type Pod } from '../lab/pods.js';
import { startClovisor, type PipelineProcess } from '../lab/pipeline-process.js';
import { isolatedTopics, type IsolatedTopics } from '../lab/isolated-topics.js';
import { serveHttp } from '../lab/serve-http.js';
import { tag, waitForTrace } from '../lab/jaeger-query.js';
import { scrapeMetrics, waitForMetrics } from '../lab/scrape-metrics.js';
import { freePort } from '@clovisor/stack/testing';

const run = promisify(execFile);
const PORT = 8080;
const NODE_ADDRESS = '192.0.2.78'; // TEST-NET-1: only the switch id in the reports
const SWITCH_ID = (192 << 24 | 0 << 16 | 2 << 8 | 78) >>> 0;

let stack: StackEndpoints;
let lab: Lab;
let client: Pod;
let server: Pod;
let pipeline: PipelineProcess | undefined;
let topics: IsolatedTopics;
let collector: IntCollector;
let metricsPort: number;

type V05Report = Extract<DecodedReport, { version: 0 }>;
type DecodedV05 = V05Report['report'];

const ifindex = (name: string) => Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8'));
/** IPv4 source and destination of the inner Ethernet frame of a report. */
const innerAddresses = (inner: Buffer) => inner.readUInt16BE(12) === 0x0800 ? [[...inner.subarray(26, 30)].join('.'), [...inner.subarray(30, 34)].join('.')] : [];

/** The first v0.5 report that matches. */
async function waitForReport(what: string, match: (r: DecodedV05) => boolean, timeoutMs = 30_000): Promise<DecodedV05> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = collector.received.find((r): r is V05Report => r.version === 0 && match(r.report));
    if (found) return found.report;
    if (Date.now() > deadline) assert.fail(`no ${what} report after ${timeoutMs} ms (${collector.received.length} decoded, ${collector.undecodable.length} undecodable); log:\n${pipeline!.log().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  stack = await stackUp({ log: () => undefined });
  topics = isolatedTopics(stack.brokers, 'e2e-int-run');
  lab = new Lab();
  client = await lab.addPod('client');
  server = await lab.addPod('server');
  await serveHttp(server, PORT);
  collector = await IntCollector.start();
  metricsPort = await freePort();
  pipeline = await startClovisor([
    'run', '--node', `int-run-${lab.id}`, '--interface', `${client.hostInterface}=int-run-client-${lab.id}`, '--interface', `${server.hostInterface}=int-run-server-${lab.id}`,
    '--port', `${PORT}=http`, '--metrics-port', String(metricsPort), '--int', '--topology-port', '0', '--node-address', NODE_ADDRESS, '--int-collector', collector.address,
  ], { ...topics.env, CLOVISOR_BROKERS: stack.brokers, CLOVISOR_OTLP_ENDPOINT: stack.otlpHttp });
});

after(async () => {
  await pipeline?.stop();
  await collector?.close();
  await lab?.destroy();
  await topics?.remove();
});

test('a pod → pod hop arrives at the collector as a v0.5 flow report: switch id = node address, ports = ifindexes, the frame inside', async () => {
  await client.exec('curl', ['-sS', '--max-time', '10', `http://${server.address}:${PORT}/`]);
  const report = await waitForReport('flow', (r) => r.f === 1 && innerAddresses(r.inner).join() === `${client.address},${server.address}`);
  assert.equal(report.nproto, 2);
  assert.equal(report.d, 0);
  assert.equal(report.switchId, SWITCH_ID);
  assert.equal(report.ingressPort, ifindex(client.hostInterface));
  assert.equal(report.egressPort, ifindex(server.hostInterface));
  assert.equal(report.inner.readUInt16BE(14 + 20 + 2), PORT, 'TCP destination port in the inner frame');
});

test('the spans of a traced request carry the hop the INT programs measured (clovisor.int.*)', async () => {
  const traceId = randomBytes(16).toString('hex');
  await client.exec('curl', ['-sS', '--max-time', '10', '-H', `traceparent: 00-${traceId}-${randomBytes(8).toString('hex')}-01`, `http://${server.address}:${PORT}/hop`]);
  const trace = await waitForTrace(stack.jaegerQuery, traceId, 2, 60_000);
  assert.ok(trace, `trace ${traceId} never reached Jaeger; log:\n${pipeline!.log().slice(-3000)}`);
  assert.equal(trace.spans.length, 2, 'a CLIENT span at the client veth and a SERVER span at the server veth');
  for (const span of trace.spans) {
    assert.ok(Number(tag(span, 'clovisor.int.hop_latency_ns')) > 0, `${tag(span, 'span.kind')} span has the hop latency`);
    assert.equal(Number(tag(span, 'clovisor.int.ingress_port')), ifindex(client.hostInterface));
    assert.equal(Number(tag(span, 'clovisor.int.egress_port')), ifindex(server.hostInterface));
  }
});

test('a drop by a policy rule arrives as a v0.5 drop report with reason 29 (routing miss)', async () => {
  const pref = String(randomInt(20000, 30000));
  await run('ip', ['rule', 'add', 'pref', pref, 'from', client.address, 'iif', client.hostInterface, 'unreachable']);
  try {
    await client.exec('curl', ['-sS', '--max-time', '3', `http://${server.address}:${PORT}/dropped`]).catch(() => undefined);
  } finally {
    await run('ip', ['rule', 'del', 'pref', pref]);
  }
  const report = await waitForReport('drop', (r) => r.d === 1 && innerAddresses(r.inner).join() === `${client.address},${server.address}`);
  assert.equal(report.nproto, 1);
  assert.equal(report.dropReason, 29);
  assert.equal(report.switchId, SWITCH_ID);
  assert.equal(report.ingressPort, ifindex(client.hostInterface));
  assert.equal(report.egressPort, 0);
});

test('one /metrics for the whole run: capture, decoder, correlator, OTLP exporter and INT exporter counters', async () => {
  // after the tests above: traced requests exported as spans, hop and drop reports sent
  const positive = (v: number) => v > 0;
  const scrape = await waitForMetrics(metricsPort, {
    'clovisor_capture_int_events_total{kind="hop"}': positive,
    clovisor_capture_segment_batches_sent_total: positive,
    clovisor_decoder_records_consumed_total: positive,
    clovisor_decoder_transactions_produced_total: positive,
    clovisor_decoder_dead_lettered_total: (v) => v === 0,
    clovisor_correlator_spans_produced_total: positive,
    clovisor_exporter_spans_exported_total: (v) => v >= 2,
    'clovisor_exporter_int_reports_total{kind="flow"}': positive,
    'clovisor_exporter_int_reports_total{kind="drop"}': positive,
    clovisor_exporter_int_datagrams_sent_total: (v) => v === collector.received.length + collector.undecodable.length,
  });
  // one span per transaction, once the correlator has caught up (a SERVER span may wait 2 s for its CLIENT)
  let latest = scrape;
  const spansOf = () => latest.values.get('clovisor_correlator_spans_produced_total');
  const transactionsOf = () => latest.values.get('clovisor_decoder_transactions_produced_total');
  for (const deadline = Date.now() + 10_000; spansOf() !== transactionsOf() && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 250));
    latest = await scrapeMetrics(metricsPort);
  }
  assert.equal(spansOf(), transactionsOf(), 'one span per transaction');
  const families = [...scrape.help.keys()].filter((name) => name.startsWith('clovisor_'));
  for (const prefix of ['clovisor_capture_', 'clovisor_decoder_', 'clovisor_correlator_', 'clovisor_exporter_', 'clovisor_exporter_int_']) {
    assert.ok(families.some((name) => name.startsWith(prefix)), `${prefix}* on the endpoint`);
  }
  assert.equal((scrape.text.match(/^process_cpu_seconds_total /gm) ?? []).length, 1, 'process metrics once');
});
