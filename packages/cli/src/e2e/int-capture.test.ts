// INT telemetry of `clovisor capture --int` end to end on real components: three Lab "pods"
// (network namespaces behind veths), two traced as pods and one whose host-side veth plays the
// node NIC (--node-interface); real curl and python traffic between them; the real Kafka on a
// topic suffix of our own. Checks the IntReportBatch records on clovisor.int.v1 (ifindexes,
// 5-tuples, times, frames), a drop provoked with a policy rule (IP_INNOROUTES), a watchlist
// reload while running, the topology API and /metrics, and that no INT filter is left behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { codecs, type IntEvent, type IntReportBatch } from '@clovisor/core';
import { stackUp, type StackEndpoints } from '@clovisor/stack';
import { freePort } from '@clovisor/stack/testing';
import { Lab, type Pod } from '../lab/pods.js';
import { startClovisor, type PipelineProcess } from '../lab/pipeline-process.js';
import { isolatedTopics, type IsolatedTopics } from '../lab/isolated-topics.js';
import { serveHttp } from '../lab/serve-http.js';

const run = promisify(execFile);
const PORT = 8080;
const NODE_ADDRESS = '192.0.2.77'; // TEST-NET-1: only a number in the records, never a destination

let stack: StackEndpoints;
let lab: Lab;
let client: Pod;
let server: Pod;
let outside: Pod;
let pipeline: PipelineProcess | undefined;
let topics: IsolatedTopics;
let consumer: Consumer | undefined;
let metricsPort: number;
let topologyPort: number;
let dir: string;
let node: string;
const received: Array<{ key: string; batch: IntReportBatch; timestampMs: number }> = [];

const ifindex = (name: string) => Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8'));
const events = () => received.flatMap((r) => r.batch.events);

function watchlist(extra = ''): string {
  return `rules:
  - protocol: TCP
    dst-addr: ${server.address}/32
    dst-port: ${PORT}
  - protocol: TCP
    dst-addr: "${outside.address}"
  - protocol: udp
    dst-addr: ${server.address}
    dst-port: 9999
${extra}`;
}

async function waitForEvent(what: string, match: (e: IntEvent) => boolean, timeoutMs = 20_000): Promise<IntEvent> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = events().find(match);
    if (found) return found;
    if (Date.now() > deadline) assert.fail(`no INT event for ${what} after ${timeoutMs} ms (${events().length} events in all); capture log:\n${pipeline!.log().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sends one UDP datagram from `pod`, from source port `sport`. */
async function udp(pod: Pod, dst: string, dport: number, sport: number): Promise<void> {
  await pod.exec('python3', ['-c', 'import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(("0.0.0.0",int(sys.argv[3])))\ns.sendto(b"int-e2e",(sys.argv[1],int(sys.argv[2])))', dst, String(dport), String(sport)]);
}

const flowIs = (e: IntEvent, transport: string, src: string, dst: string, dport: number, sport?: number) =>
  e.flow.transport === transport && e.flow.source.address === src && e.flow.destination.address === dst && e.flow.destination.port === dport && (sport === undefined || e.flow.source.port === sport);

before(async () => {
  stack = await stackUp({ log: () => undefined });
  topics = isolatedTopics(stack.brokers, 'e2e-int');
  lab = new Lab();
  client = await lab.addPod('client');
  server = await lab.addPod('server');
  outside = await lab.addPod('outside');
  await serveHttp(server, PORT);
  await serveHttp(outside, PORT);
  dir = mkdtempSync(join(tmpdir(), 'clv-int-e2e-'));
  writeFileSync(join(dir, 'watchlist.yaml'), watchlist());
  metricsPort = await freePort();
  topologyPort = await freePort(new Set([metricsPort]));
  node = `int-e2e-${lab.id}`;
  pipeline = await startClovisor([
    'capture', '--node', node, '--interface', `${client.hostInterface}=int-client`, '--interface', `${server.hostInterface}=int-server`,
    '--node-interface', outside.hostInterface, '--port', `${PORT}=http`, '--metrics-port', String(metricsPort),
    '--int', '--int-watchlist', join(dir, 'watchlist.yaml'), '--topology-port', String(topologyPort), '--node-address', NODE_ADDRESS,
  ], { ...topics.env, CLOVISOR_BROKERS: stack.brokers });
  const kafka = new Kafka({ clientId: 'int-e2e', brokers: stack.brokers.split(','), logLevel: logLevel.NOTHING });
  consumer = kafka.consumer({ groupId: `int-e2e-${lab.id}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: `clovisor.int.v1${topics.suffix}`, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => { received.push({ key: message.key?.toString() ?? '', batch: codecs().int.decode(message.value!), timestampMs: Number(message.timestamp) }); } });
});

after(async () => {
  await consumer?.disconnect().catch(() => undefined);
  await pipeline?.stop();
  await lab?.destroy();
  await topics?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('pod → pod over TCP: a hop from the client veth to the server veth, with times, frame and 5-tuple, keyed by node', async () => {
  assert.match((await client.exec('curl', ['-sS', '--max-time', '10', `http://${server.address}:${PORT}/`])).stdout, /./);
  const hop = await waitForEvent('client → server:8080', (e) => e.kind === 'HOP' && flowIs(e, 'TCP', client.address, server.address, PORT));
  assert.equal(hop.ingressIfindex, ifindex(client.hostInterface));
  assert.equal(hop.egressIfindex, ifindex(server.hostInterface));
  assert.equal(hop.trigger, 'FIRST');
  assert.ok(hop.ingressTimeNs !== null && hop.egressTimeNs !== null && hop.egressTimeNs >= hop.ingressTimeNs, 'ingress, then egress');
  const skewMs = Math.abs(Number(hop.ingressTimeNs! / 1_000_000n) - Date.now());
  assert.ok(skewMs < 120_000, `epoch time, not monotonic: ${skewMs} ms from now`);
  assert.equal(hop.dropReason, null);
  // the frame as it left: Ethernet, IPv4, the same addresses as the 5-tuple
  assert.equal(hop.packet.readUInt16BE(12), 0x0800);
  assert.equal([...hop.packet.subarray(14 + 12, 14 + 16)].join('.'), client.address);
  assert.equal([...hop.packet.subarray(14 + 16, 14 + 20)].join('.'), server.address);
  assert.ok(hop.packetLength >= hop.packet.length && hop.packet.length <= 128);
  const record = received.find((r) => r.batch.events.includes(hop))!;
  assert.equal(record.key, node);
  assert.equal(record.batch.node, node);
  assert.equal(record.batch.nodeAddress, NODE_ADDRESS);
  // the responses (server → client) match no rule: not watched
  assert.equal(events().some((e) => e.flow.source.address === server.address), false, 'only watched traffic is reported');
});

test('pod → node NIC: a hop from the client veth out through --node-interface', async () => {
  await client.exec('curl', ['-sS', '--max-time', '10', `http://${outside.address}:${PORT}/`]);
  const hop = await waitForEvent('client → outside', (e) => e.kind === 'HOP' && flowIs(e, 'TCP', client.address, outside.address, PORT));
  assert.equal(hop.ingressIfindex, ifindex(client.hostInterface));
  assert.equal(hop.egressIfindex, ifindex(outside.hostInterface));
});

test('UDP, and a watchlist rule added while running: traffic it did not watch before the reload is reported only after it', async () => {
  const sport = randomInt(20000, 30000);
  await udp(client, server.address, 9999, sport);
  const hop = await waitForEvent('UDP to :9999', (e) => e.kind === 'HOP' && flowIs(e, 'UDP', client.address, server.address, 9999, sport));
  assert.equal(hop.egressIfindex, ifindex(server.hostInterface));

  await udp(client, server.address, 9998, sport + 1); // no rule yet
  writeFileSync(join(dir, 'watchlist.yaml'), watchlist(`  - protocol: UDP\n    dst-addr: ${server.address}\n    dst-port: 9998\n`));
  const deadline = Date.now() + 10_000;
  while (!/INT watchlist reloaded/.test(pipeline!.log()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.match(pipeline!.log(), /INT watchlist reloaded/);
  await udp(client, server.address, 9998, sport + 2);
  await waitForEvent('UDP to :9998 after the reload', (e) => flowIs(e, 'UDP', client.address, server.address, 9998, sport + 2));
  // one partition (key = node) in order: had the first datagram been reported, it would be here by now
  assert.equal(events().some((e) => flowIs(e, 'UDP', client.address, server.address, 9998, sport + 1)), false, 'not reported before its rule existed');
});

test('a drop by a policy rule (no route) is reported with the kernel reason IP_INNOROUTES, at the client veth, before any egress', async (t) => {
  const pref = String(randomInt(20000, 30000));
  await run('ip', ['rule', 'add', 'pref', pref, 'from', client.address, 'iif', client.hostInterface, 'unreachable']);
  try {
    await client.exec('curl', ['-sS', '--max-time', '3', `http://${server.address}:${PORT}/dropped`]).catch(() => undefined);
  } finally {
    await run('ip', ['rule', 'del', 'pref', pref]);
  }
  const drop = await waitForEvent('the drop', (e) => e.kind === 'DROP' && flowIs(e, 'TCP', client.address, server.address, PORT));
  assert.equal(drop.trigger, 'DROP');
  assert.equal(drop.dropReasonName, 'IP_INNOROUTES');
  assert.ok((drop.dropReason ?? 0) > 0, 'the kernel value is kept');
  assert.equal(drop.ingressIfindex, ifindex(client.hostInterface));
  assert.equal(drop.egressIfindex, 0);
  assert.ok(drop.dropTimeNs !== null && drop.ingressTimeNs !== null && drop.dropTimeNs >= drop.ingressTimeNs);
  assert.equal(drop.packet.readUInt16BE(12), 0x0800, 'an Ethernet frame');
  // a figure, not a check (timings belong in benchmarks): from the kernel's drop to the record's Kafka timestamp
  const record = received.find((r) => r.batch.events.includes(drop))!;
  t.diagnostic(`drop → published: ${record.timestampMs - Number(drop.dropTimeNs! / 1_000_000n)} ms`);
});

test('topology API: the node NIC with its address, the pod veths with the pods\' addresses; 404, 405', async () => {
  const res = await fetch(`http://127.0.0.1:${topologyPort}/api/v1/topology`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const { links } = (await res.json()) as { links: Array<{ id: number; name: string; 'ip-addresses': string[]; 'is-node-iface': boolean }> };
  assert.deepEqual(links, [
    { id: ifindex(outside.hostInterface), name: outside.hostInterface, 'ip-addresses': [outside.gateway], 'is-node-iface': true },
    ...[client, server].sort((a, b) => ifindex(a.hostInterface) - ifindex(b.hostInterface))
      .map((p) => ({ id: ifindex(p.hostInterface), name: p.hostInterface, 'ip-addresses': [p.address], 'is-node-iface': false })),
  ]);
  const missing = await fetch(`http://127.0.0.1:${topologyPort}/api/v1/links`);
  assert.equal(missing.status, 404);
  assert.match(((await missing.json()) as { error: string }).error, /GET \/api\/v1\/topology/);
  const post = await fetch(`http://127.0.0.1:${topologyPort}/api/v1/topology`, { method: 'POST', body: '{}' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
});

test('/metrics shows INT events by kind, the reload, and three interfaces; exit removes the INT filters', async () => {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  assert.ok(value('clovisor_capture_int_events_total{kind="hop"}') >= 4, 'hops counted');
  assert.ok(value('clovisor_capture_int_events_total{kind="drop"}') >= 1, 'the drop counted');
  assert.equal(value('clovisor_capture_int_interfaces_attached'), 3);
  assert.equal(value('clovisor_capture_int_watchlist_reloads_total'), 1);
  assert.equal(value('clovisor_capture_int_watchlist_rules'), 4);
  assert.ok(value('clovisor_capture_int_batches_sent_total') >= 1);

  assert.equal(await pipeline!.stop(), 0);
  for (const p of [client, server, outside]) {
    for (const hook of ['ingress', 'egress']) {
      const { stdout } = await run('tc', ['filter', 'show', 'dev', p.hostInterface, hook]);
      assert.doesNotMatch(stdout, /int_(ingress|egress)/, `${p.hostInterface} ${hook}: no INT filter left`);
    }
  }
});
