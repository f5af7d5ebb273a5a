// `clovisor run --kubernetes --int --int-collector` end to end: the real @kubernetes/client-node
// informers against the small list/watch API server (services/capture/src/testing), Lab pods
// (network namespaces behind veths) whose Pod objects are created and deleted while the agent
// runs, real UDP between them (python3), reports at a UDP collector that decodes them from the
// spec, and the topology API. Redis is left unreachable on purpose: the agent then selects the
// namespace `default`, and the shared Redis is not touched.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeApiServer } from '@clovisor/capture';
import { IntCollector, type DecodedReport } from '@clovisor/exporter/int-collector';
import { udpSink, type UdpSink } from '@clovisor/libbpf/int-topology';
import { stackUp, type StackEndpoints } from '@clovisor/stack';
import { freePort } from '@clovisor/stack/testing';
import { Lab, type Pod } from '../lab/pods.js';
import { startClovisor, type PipelineProcess } from '../lab/pipeline-process.js';
import { isolatedTopics, type IsolatedTopics } from '../lab/isolated-topics.js';
import { sendUdp } from '../lab/int-udp.js';
import { innerUdp, waitForReports } from '../lab/int-reports.js';

const run = promisify(execFile);
const PORT = 7433;
const NODE = `int-k8s-${randomBytes(2).toString('hex')}`;
const NODE_ADDRESS = '192.0.2.79'; // TEST-NET-1: only the switch id in the reports
const SWITCH_ID = (192 << 24 | 0 << 16 | 2 << 8 | 79) >>> 0;
const UNREACHABLE_REDIS = 'redis://127.0.0.1:1/0';

type V05 = Extract<DecodedReport, { version: 0 }>;
interface Link { id: number; name: string; 'ip-addresses': string[]; 'is-node-iface': boolean }

let stack: StackEndpoints;
let api: KubeApiServer;
let lab: Lab;
let topics: IsolatedTopics;
let collector: IntCollector;
let agent: PipelineProcess;
let sink: UdpSink;
let stateDir: string;
let topologyPort: number;
let client: Pod;
let server: Pod;

const ifindex = (name: string) => Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8'));

function podObject(name: string, pod: Pod) {
  return {
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: { nodeName: NODE, containers: [{ name: 'app', ports: [{ name: 'udp', containerPort: PORT, protocol: 'UDP' }] }] },
    status: { phase: 'Running', podIP: pod.address, podIPs: [{ ip: pod.address }] },
  };
}

async function links(): Promise<Link[]> {
  const res = await fetch(`http://127.0.0.1:${topologyPort}/api/v1/topology`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { links: Link[] }).links;
}

async function until(what: string, cond: () => Promise<boolean>, timeoutMs = 5000): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await cond()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) assert.fail(`not within ${timeoutMs} ms: ${what}; log:\n${agent.log().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const intFilters = async (dev: string) => {
  const out = await Promise.all(['ingress', 'egress'].map((hook) => run('tc', ['filter', 'show', 'dev', dev, hook]).then((r) => r.stdout, () => '')));
  return out.join('\n').split('\n').filter((line) => /\bint_(ingress|egress)\b/.test(line)).length;
};

before(async () => {
  stack = await stackUp({ log: () => undefined });
  topics = isolatedTopics(stack.brokers, 'e2e-int-k8s');
  api = await KubeApiServer.start();
  stateDir = mkdtempSync(join(tmpdir(), 'clovisor-int-k8s-'));
  lab = new Lab();
  client = await lab.addPod('client');
  server = await lab.addPod('server');
  sink = await udpSink(server.netns, 4, PORT);
  collector = await IntCollector.start();
  topologyPort = await freePort();
  agent = await startClovisor([
    'run', '--kubernetes', '--kubeconfig', api.kubeconfigPath(), '--node', NODE, '--redis', UNREACHABLE_REDIS, '--metrics-port', '0',
    '--int', '--int-collector', collector.address, '--topology-port', String(topologyPort), '--node-address', NODE_ADDRESS, '--int-report-interval-ms', '0',
  ], { ...topics.env, CLOVISOR_BROKERS: stack.brokers, CLOVISOR_OTLP_ENDPOINT: stack.otlpHttp, CLOVISOR_STATE_DIR: stateDir });
});

after(async () => {
  if (agent) assert.equal(await agent.stop(), 0, `agent exit code; log:\n${agent.log().slice(-3000)}`);
  await sink?.stop();
  await collector?.close();
  await lab?.destroy();
  await api?.stop();
  await topics?.remove();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

test('pods created while the agent runs: the topology lists their veths with the Pod objects\' IPs, and their traffic arrives as flow reports', async (t) => {
  assert.deepEqual(await links(), [], 'no pod yet, no node interface');
  api.addPod(podObject('server-1', server));
  api.addPod(podObject('client-1', client));
  const ms = await until('both veths in the topology', async () => (await links()).length === 2);
  t.diagnostic(`Pod objects created → both veths in the topology: ${ms} ms`);
  assert.deepEqual(await links(), [client, server].sort((a, b) => ifindex(a.hostInterface) - ifindex(b.hostInterface))
    .map((p) => ({ id: ifindex(p.hostInterface), name: p.hostInterface, 'ip-addresses': [p.address], 'is-node-iface': false })));
  for (const p of [client, server]) assert.equal(await intFilters(p.hostInterface), 2, `${p.hostInterface}: INT at ingress and egress`);

  const sent = await sendUdp(client.netns, 4, server.address, PORT, Buffer.from(`k8s-${randomBytes(4).toString('hex')}`), { ttl: 64 });
  const [report] = await waitForReports<V05>(collector, agent, 0, sent, 1);
  t.diagnostic(`sendto() → flow report at the collector: ${(Number(report!.arrivedAtNs - sent[0]!.t0) / 1e6).toFixed(1)} ms`);
  const r = report!.report;
  assert.equal(r.nproto, 2);
  assert.equal(r.f, 1);
  assert.equal(r.switchId, SWITCH_ID);
  assert.equal(r.ingressPort, ifindex(client.hostInterface));
  assert.equal(r.egressPort, ifindex(server.hostInterface));
  const f = innerUdp(r.inner)!;
  assert.deepEqual([f.src, f.dst, f.sport, f.dport, f.ttl], [client.address, server.address, sent[0]!.sport, PORT, 63]);
  assert.deepEqual(f.payload, sent[0]!.payload);
});

test('a deleted Pod object: its veth leaves the topology and loses its INT filters; its traffic is no longer reported', async () => {
  api.deletePod('default', 'client-1');
  await until('the client veth gone from the topology', async () => (await links()).every((l) => l.name !== client.hostInterface));
  assert.deepEqual((await links()).map((l) => l.name), [server.hostInterface]);
  await until('INT filters removed from the client veth', async () => (await intFilters(client.hostInterface)) === 0);
  assert.equal(await intFilters(server.hostInterface), 2, 'the server veth keeps its INT filters');

  // client → server still flows, but enters the host through a veth INT no longer watches: not a hop
  const before = collector.received.length;
  const sent = await sendUdp(client.netns, 4, server.address, PORT, Buffer.from('after-delete'), { ttl: 64 });
  // the pod back (a new Pod object): reports arrive again, in order after anything the first datagram could have caused
  api.addPod(podObject('client-2', client));
  await until('the client veth back', async () => (await links()).length === 2);
  await until('INT filters back on the client veth', async () => (await intFilters(client.hostInterface)) === 2);
  const again = await sendUdp(client.netns, 4, server.address, PORT, Buffer.from('after-readd'), { ttl: 64 });
  await waitForReports<V05>(collector, agent, 0, again, 1);
  assert.deepEqual(collector.received.slice(before).filter((x) => innerUdp(x.report.inner)?.sport === sent[0]!.sport), [], 'the datagram sent while the veth was not traced has no report');
});
