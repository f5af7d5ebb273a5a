import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SegmentBatch } from '@clovisor/core';
import { decodeCaptureEvent, splitBatch, type CaptureEvent, type TcpEvent } from '@clovisor/libbpf';
import { FlowTracker, type MonitoredInterface } from './flow-tracker.js';
import { TcpEventJoin } from './tcp-event-join.js';

// Packets of a real keep-alive connection between two pods, each behind its own traced veth
// (the fixture of flow-tracker.test.ts); socket events made up around them, as the kernel sends them.
const FIXTURE = fileURLToPath(new URL('../../test-fixtures/curl-keepalive-two-veths.events', import.meta.url));
const CLIENT = '10.212.1.2';
const SERVER = '10.212.2.2';
const packets: CaptureEvent[] = splitBatch(readFileSync(FIXTURE)).map(decodeCaptureEvent);
const frontIfindex = packets.find((e) => e.hook === 'ingress' && e.saddr === CLIENT)!.ifindex;
const backIfindex = packets.find((e) => e.hook === 'ingress' && e.saddr === SERVER)!.ifindex;
const clientPort = packets.find((e) => e.saddr === CLIENT)!.sport;
const t0 = packets[0]!.tsNs;
const interfaces = new Map<number, MonitoredInterface>([
  [frontIfindex, { ifindex: frontIfindex, name: 'veth-front', pod: null }],
  [backIfindex, { ifindex: backIfindex, name: 'veth-back', pod: null }],
]);

function socketEvent(side: 'client' | 'server', over: Partial<TcpEvent>): TcpEvent {
  const client = { address: CLIENT, port: clientPort };
  const server = { address: SERVER, port: 8080 };
  const [l, r] = side === 'client' ? [client, server] : [server, client];
  return {
    tsNs: t0, netnsIno: 1, kind: 'state', ipVersion: 4, oldState: 0, newState: 1, laddr: l.address, lport: l.port,
    raddr: r.address, rport: r.port, seq: 0, sockCookie: side === 'client' ? 11n : 22n, ...over,
  };
}

function setup() {
  const tracker = new FlowTracker({ node: 'n1', interfaces, protocolOf: (_i, port) => (port === 8080 ? 'http' : null) });
  return { tracker, join: new TcpEventJoin(tracker, { maxWaiting: 8, waitNs: 1_000_000_000n }) };
}

const byInterface = (batches: SegmentBatch[], name: string) => batches.filter((b) => b.interfaceName === name).flatMap((b) => b.tcpEvents ?? []);

test('socket events land on the flow of the pod whose socket it is, in order, also when they come before the packets', () => {
  const { tracker, join } = setup();
  // connect(): SYN_SENT before the SYN is on the wire, and before the socket has its port
  join.add(socketEvent('client', { oldState: 7, newState: 2, lport: 0 }), t0 - 1000n);
  join.add(socketEvent('client', { oldState: 2, newState: 1 }), t0 + 10n);
  assert.equal(join.stats().waiting, 2, 'no flow yet: both wait');
  const out = packets.flatMap((e) => tracker.add(e, e.tsNs));
  join.retry(t0 + 100n);
  join.add(socketEvent('server', { oldState: 3, newState: 1 }), t0 + 20n);
  join.add(socketEvent('client', { kind: 'retransmit', oldState: 0, newState: 1, seq: 4242 }), t0 + 30n);
  join.add(socketEvent('client', { oldState: 1, newState: 4 }), t0 + 40n);
  out.push(...tracker.flushAll());

  assert.deepEqual(byInterface(out, 'veth-front').map((e) => `${e.kind} ${e.oldState}>${e.newState} ${e.seq} ${e.fromClient}`), [
    'STATE CLOSE>SYN_SENT 0 true', 'STATE SYN_SENT>ESTABLISHED 0 true', 'RETRANSMIT null>ESTABLISHED 4242 true', 'STATE ESTABLISHED>FIN_WAIT1 0 true',
  ]);
  assert.deepEqual(byInterface(out, 'veth-back').map((e) => `${e.kind} ${e.oldState}>${e.newState} ${e.fromClient}`), ['STATE SYN_RECV>ESTABLISHED false']);
  assert.equal(byInterface(out, 'veth-front')[0]!.timestampNs, t0 - 1000n);
  assert.deepEqual(join.stats(), { received: 5, attached: 5, unmatched: 0, overflow: 0, waiting: 0 });
});

test('events of sockets no traced pod owns are given up after waitNs and counted', () => {
  const { tracker, join } = setup();
  packets.forEach((e) => tracker.add(e, e.tsNs));
  // same connection seen from a third address: not the pod side of any flow
  join.add(socketEvent('client', { laddr: '10.9.9.9', sockCookie: 33n }), t0);
  join.retry(t0 + 999_999_999n);
  assert.equal(join.stats().waiting, 1);
  join.retry(t0 + 1_000_000_000n);
  assert.deepEqual(join.stats(), { received: 1, attached: 0, unmatched: 1, overflow: 0, waiting: 0 });
});

test('waiting is bounded: the oldest are dropped and counted', () => {
  const { join } = setup();
  for (let i = 0; i < 12; i++) join.add(socketEvent('client', { sockCookie: BigInt(100 + i) }), t0);
  assert.deepEqual(join.stats(), { received: 12, attached: 0, unmatched: 0, overflow: 4, waiting: 8 });
});

test('a flow that only has socket events pending is still flushed after flushAfterNs', () => {
  const { tracker, join } = setup();
  const tEnd = packets.at(-1)!.tsNs;
  const firstBatches = [...packets.flatMap((e) => tracker.add(e, e.tsNs)), ...tracker.flushDue(tEnd + 1_000_000_000n)];
  assert.ok(firstBatches.length > 0);
  // the server socket's last state change comes after the connection closed (within the linger)
  join.add(socketEvent('server', { oldState: 9, newState: 7 }), tEnd + 1_000_000_000n);
  assert.deepEqual(tracker.flushDue(tEnd + 1_050_000_000n), [], 'not before flushAfterNs');
  const later = tracker.flushDue(tEnd + 1_200_000_000n);
  assert.equal(later.length, 1);
  assert.equal(later[0]!.segments.length, 0);
  assert.equal(later[0]!.interfaceName, 'veth-back');
  assert.equal(later[0]!.tcpEvents![0]!.newState, 'CLOSE');
});
