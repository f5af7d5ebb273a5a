// TCP socket events on real connections: `clovisor capture` on two lab pods' veths, a real HTTP
// server and curl; the kernel's tp_btf tracepoints report the sockets' state changes and
// retransmits, and they arrive on the SegmentBatch records of each pod's flow in Kafka.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { codecs, type SegmentBatch, type TcpSocketEvent } from '@clovisor/core';
import { stackUp, type StackEndpoints } from '@clovisor/stack';
import { freePort } from '@clovisor/stack/testing';
import { Lab, type Pod } from '../lab/pods.js';
import { startClovisor, type PipelineProcess } from '../lab/pipeline-process.js';
import { isolatedTopics, type IsolatedTopics } from '../lab/isolated-topics.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { serveHttp } from '../lab/serve-http.js';

const execFileP = promisify(execFile);
const PORT = 8080;
/** configured, but nothing listens there: connections to it are refused with a reset */
const CLOSED_PORT = 8081;

let stack: StackEndpoints;
let lab: Lab;
let front: Pod;
let back: Pod;
let capture: PipelineProcess;
let topics: IsolatedTopics;
let consumer: Consumer;
let metricsPort: number;
const batches: SegmentBatch[] = [];

before(async () => {
  stack = await stackUp({ log: () => undefined });
  topics = isolatedTopics(stack.brokers, 'e2e-tcp');
  lab = new Lab();
  front = await lab.addPod('front');
  back = await lab.addPod('back');
  await serveHttp(back, PORT);
  metricsPort = await freePort();
  capture = await startClovisor(
    ['capture', '--interface', `${front.hostInterface}=frontend`, '--interface', `${back.hostInterface}=backend`, '--port', `${PORT}=http`, '--port', `${CLOSED_PORT}=http`, '--metrics-port', String(metricsPort)],
    { ...topics.env, CLOVISOR_BROKERS: stack.brokers },
  );
  const kafka = new Kafka({ clientId: 'tcp-events-test', brokers: stack.brokers.split(','), logLevel: logLevel.NOTHING });
  consumer = kafka.consumer({ groupId: `tcp-events-test${topics.suffix}` });
  await consumer.connect();
  await consumer.subscribe({ topic: `clovisor.segments.v1${topics.suffix}`, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => { batches.push(codecs().segments.decode(message.value)); } });
});

after(async () => {
  await consumer?.disconnect().catch(() => undefined);
  if (capture) await capture.stop();
  await lab?.destroy();
  await topics?.remove();
});

/** The socket events on the flows of one interface with this client port, in order. */
function eventsOf(iface: string, clientPort: number): TcpSocketEvent[] {
  return batches.filter((b) => b.interfaceName === iface && b.client.port === clientPort).flatMap((b) => b.tcpEvents ?? []);
}

async function waitFor<T>(what: string, get: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; capture log:\n${capture.log().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** curl in the front pod; returns the client port it used. */
async function request(path: string): Promise<number> {
  const { stdout } = await front.exec('curl', ['-sS', '--max-time', '20', '-o', '/dev/null', '-w', '%{local_port}', `http://${back.address}:${PORT}${path}`]);
  return Number(stdout);
}

const transitions = (events: TcpSocketEvent[]) => events.filter((e) => e.kind === 'STATE').map((e) => `${e.oldState}>${e.newState}`);

async function retransSegs(pod: Pod): Promise<number> {
  const { stdout } = await pod.exec('cat', ['/proc/net/snmp']);
  const [names, values] = stdout.split('\n').filter((l) => l.startsWith('Tcp:'));
  return Number(values!.split(/\s+/)[names!.split(/\s+/).indexOf('RetransSegs')]);
}

test('opening and closing a connection: each pod\'s flow carries its own socket\'s state changes', async () => {
  const clientPort = await request('/');
  const client = await waitFor('the client socket closed', () => {
    const ev = eventsOf(front.hostInterface, clientPort);
    return ev.some((e) => e.newState === 'CLOSE' && e.oldState !== 'CLOSE') ? ev : undefined;
  });
  const server = await waitFor('the server socket closed', () => {
    const ev = eventsOf(back.hostInterface, clientPort);
    return ev.some((e) => e.newState === 'CLOSE') ? ev : undefined;
  });
  // curl closes first (active close); the server follows (passive close)
  assert.deepEqual(transitions(client), ['CLOSE>SYN_SENT', 'SYN_SENT>ESTABLISHED', 'ESTABLISHED>FIN_WAIT1', 'FIN_WAIT1>FIN_WAIT2', 'FIN_WAIT2>CLOSE']);
  assert.deepEqual(transitions(server), ['LISTEN>SYN_RECV', 'SYN_RECV>ESTABLISHED', 'ESTABLISHED>CLOSE_WAIT', 'CLOSE_WAIT>LAST_ACK', 'LAST_ACK>CLOSE']);
  assert.ok(client.every((e) => e.fromClient) && server.every((e) => !e.fromClient));
  // in time order, and the flow's first packet (the SYN) comes after connect() set SYN_SENT
  const frontBatches = batches.filter((b) => b.interfaceName === front.hostInterface && b.client.port === clientPort);
  assert.equal(new Set(frontBatches.map((b) => b.flowId)).size, 1, 'one flow');
  const syn = frontBatches.flatMap((b) => b.segments)[0]!;
  assert.ok(client[0]!.timestampNs <= syn.timestampNs && client[1]!.timestampNs >= syn.timestampNs);
  for (let i = 1; i < client.length; i++) assert.ok(client[i]!.timestampNs >= client[i - 1]!.timestampNs);
});

test('retransmits are counted on the flow of the socket that retransmitted', async () => {
  const before = await retransSegs(back);
  // The server answers after 300 ms; meanwhile the front pod's host-side veth drops everything
  // it would deliver (a pfifo of length 0), so the server's response and its first
  // retransmissions are lost on the way and the server's retransmission timer fires.
  const pending = request('/slow?ms=300');
  await new Promise((r) => setTimeout(r, 100));
  await execFileP('tc', ['qdisc', 'add', 'dev', front.hostInterface, 'root', 'pfifo', 'limit', '0']);
  try {
    await new Promise((r) => setTimeout(r, 900));
  } finally {
    await execFileP('tc', ['qdisc', 'del', 'dev', front.hostInterface, 'root']);
  }
  const clientPort = await pending;
  const kernelCount = (await retransSegs(back)) - before;
  assert.ok(kernelCount >= 1, `the kernel counted ${kernelCount} retransmitted segments in the back pod`);
  const server = await waitFor('the server socket closed', () => {
    const ev = eventsOf(back.hostInterface, clientPort);
    return ev.some((e) => e.newState === 'CLOSE') ? ev : undefined;
  });
  const retransmits = server.filter((e) => e.kind === 'RETRANSMIT');
  // RetransSegs counts segments, the tracepoint fires per retransmitted skb (which may carry
  // several); a busy CI run once showed 2 events for 3 segments (cause not proven): at least one, never more.
  assert.ok(retransmits.length >= 1 && retransmits.length <= kernelCount, `${retransmits.length} retransmit events on the back pod's flow for ${kernelCount} retransmitted segments`);
  assert.ok(retransmits.every((e) => !e.fromClient && e.seq > 0 && e.oldState === null));
  // the front pod's socket did not retransmit: its packets were never dropped
  assert.equal(eventsOf(front.hostInterface, clientPort).filter((e) => e.kind === 'RETRANSMIT').length, 0);
});

test('a refused connection: the reset the client socket received is on its flow', async () => {
  await front.exec('curl', ['-sS', '--max-time', '5', `http://${back.address}:${CLOSED_PORT}/`]).then(
    () => assert.fail('the connection should be refused'),
    (err: { stderr?: string }) => assert.match(err.stderr ?? '', /Connection refused|Failed to connect/),
  );
  const client = await waitFor('the client socket closed', () => {
    const ev = batches.filter((b) => b.interfaceName === front.hostInterface && b.server.port === CLOSED_PORT).flatMap((b) => b.tcpEvents ?? []);
    return ev.some((e) => e.newState === 'CLOSE' && e.oldState === 'SYN_SENT') ? ev : undefined;
  });
  assert.deepEqual(client.map((e) => e.kind === 'STATE' ? `${e.oldState}>${e.newState}` : `${e.kind} in ${e.newState}`),
    ['CLOSE>SYN_SENT', 'RESET_RECEIVED in SYN_SENT', 'SYN_SENT>CLOSE']);
});

test('/metrics shows the tracepoints attached and the events joined to flows', async () => {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  assert.equal(value('clovisor_capture_tcp_tracepoints_attached'), 4);
  assert.ok(value('clovisor_capture_tcp_events_joined_total') >= 20);
  assert.ok(value('clovisor_capture_tcp_events_total') >= value('clovisor_capture_tcp_events_joined_total'));
  assert.equal(value('clovisor_capture_tcp_events_lost_total'), 0);
  assert.match(capture.log(), /TCP tracepoints attached/);
});
