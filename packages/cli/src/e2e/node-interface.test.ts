// Node-interface tracing end to end on real components: a Lab "pod" traced on its host-side veth,
// and an "outside host" (another namespace behind a veth) whose host-side veth plays the node NIC
// (--node-interface). The pod's traffic to the outside host is routed out through that veth. A
// real curl in the pod; the CLIENT span in Jaeger carries the node-NIC times of the exchange.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { stackUp, type StackEndpoints } from '@clovisor/stack';
import { freePort } from '@clovisor/stack/testing';
import { Lab, type Pod } from '../lab/pods.js';
import { startClovisor, type PipelineProcess } from '../lab/pipeline-process.js';
import { isolatedTopics, type IsolatedTopics } from '../lab/isolated-topics.js';
import { waitForTrace, tag } from '../lab/jaeger-query.js';
import { serveHttp } from '../lab/serve-http.js';

const PORT = 8080;

let stack: StackEndpoints;
let lab: Lab;
let pod: Pod;
let outside: Pod;
let pipeline: PipelineProcess | undefined;
let topics: IsolatedTopics;
let metricsPort: number;

before(async () => {
  stack = await stackUp({ log: () => undefined });
  topics = isolatedTopics(stack.brokers, 'e2e-node-if');
  lab = new Lab();
  pod = await lab.addPod('pod');
  outside = await lab.addPod('outside');
  await serveHttp(outside, PORT);
  metricsPort = await freePort();
  pipeline = await startClovisor(
    ['run', '--interface', `${pod.hostInterface}=nodeif-client-${lab.id}`, '--node-interface', outside.hostInterface, '--port', `${PORT}=http`, '--metrics-port', String(metricsPort), '--flow-idle-timeout', '2'],
    { ...topics.env, CLOVISOR_BROKERS: stack.brokers, CLOVISOR_OTLP_ENDPOINT: stack.otlpHttp },
  );
});

after(async () => {
  await pipeline?.stop();
  await lab?.destroy();
  await topics?.remove();
});

test("the pod's request out and response in at the node NIC are on its CLIENT span, in order", async () => {
  const traceId = randomBytes(16).toString('hex');
  const { stdout } = await pod.exec('curl', ['-sS', '--max-time', '15', '-H', `traceparent: 00-${traceId}-${randomBytes(8).toString('hex')}-01`, `http://${outside.address}:${PORT}/slow?ms=60`]);
  assert.match(stdout, /"slept":60/);
  const trace = await waitForTrace(stack.jaegerQuery, traceId, 1, 60_000);
  assert.ok(trace, `trace ${traceId} never reached Jaeger; pipeline log:\n${pipeline!.log().slice(-3000)}`);
  assert.equal(trace.spans.length, 1, 'only the pod is traced: one CLIENT span');
  const span = trace.spans[0]!;
  assert.equal(tag(span, 'span.kind'), 'client');
  assert.equal(tag(span, 'clovisor.node_interface.name'), outside.hostInterface);
  const requestOffset = Number(tag(span, 'clovisor.node_interface.request_offset_ns'));
  const responseOffset = Number(tag(span, 'clovisor.node_interface.response_offset_ns'));
  const roundTrip = Number(tag(span, 'clovisor.node_interface.round_trip_ns'));
  // pod-veth request <= node-NIC request out <= node-NIC response in <= pod-veth response
  assert.ok(requestOffset >= 0 && requestOffset < 50_000_000, `request left the pod, then the node: offset ${requestOffset} ns`);
  assert.ok(responseOffset <= 0 && responseOffset > -50_000_000, `response reached the node, then the pod: offset ${responseOffset} ns`);
  assert.ok(roundTrip >= 60_000_000, `the round trip beyond the node NIC covers the server's 60 ms: ${roundTrip} ns`);
  assert.ok(roundTrip <= span.duration * 1000, `the round trip (${roundTrip} ns) fits in the span (${span.duration} µs)`);
});

test('/metrics: the kernel flow table and node-interface counters of the running agent', async () => {
  const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  const scrape = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  // a connection left open and idle: aged out after --flow-idle-timeout 2 s (the sweep runs a pass every 2 s)
  const idle = pod.spawn('python3', ['-c', `import socket,time
s=socket.create_connection(("${outside.address}",${PORT})); s.sendall(b"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"); s.recv(4096)
time.sleep(8)`]);
  try {
    const deadline = Date.now() + 15_000;
    let text = await scrape();
    while (value(text, 'clovisor_capture_kernel_flows_removed_total{reason="idle"}') < 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      text = await scrape();
    }
    assert.ok(value(text, 'clovisor_capture_kernel_flows_removed_total{reason="idle"}') >= 1, 'the idle connection was aged out');
    assert.equal(value(text, 'clovisor_capture_kernel_flow_table_size'), 131072);
    assert.ok(value(text, 'clovisor_capture_kernel_flows_created_total') >= 2);
    assert.ok(value(text, 'clovisor_capture_kernel_flows_removed_total{reason="fin"}') >= 1, 'the curl connection closed with FINs');
    assert.equal(value(text, 'clovisor_capture_kernel_flows_removed_total{reason="lru"}'), 0);
    assert.ok(value(text, 'clovisor_capture_node_events_total') >= 4, 'request, response, SYN and FINs crossed the node NIC');
    assert.equal(value(text, 'clovisor_capture_interfaces_attached'), 2);
  } finally {
    idle.kill();
  }
});
