import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TcpFlags, type SegmentBatch } from '@clovisor/core';
import { EVENT_HEADER_LEN, EventOffset, decodeCaptureEvent, splitBatch, type CaptureEvent } from '@clovisor/libbpf';
import { FlowTracker, type MonitoredInterface } from './flow-tracker.js';

const FIXTURE = fileURLToPath(new URL('../../test-fixtures/curl-keepalive-two-veths.events', import.meta.url));
const CLIENT = '10.212.1.2';
const SERVER = '10.212.2.2';
const events: CaptureEvent[] = splitBatch(readFileSync(FIXTURE)).map(decodeCaptureEvent);

// The client's veth is the one whose ingress (traffic leaving the pod) carries the client's packets.
const frontIfindex = events.find((e) => e.hook === 'ingress' && e.saddr === CLIENT)!.ifindex;
const backIfindex = events.find((e) => e.hook === 'ingress' && e.saddr === SERVER)!.ifindex;
const interfaces = new Map<number, MonitoredInterface>([
  [frontIfindex, { ifindex: frontIfindex, name: 'veth-front', pod: { service: 'frontend', namespace: null, name: null, node: 'n1' } }],
  [backIfindex, { ifindex: backIfindex, name: 'veth-back', pod: { service: 'backend', namespace: null, name: null, node: 'n1' } }],
]);

function tracker(extra: Partial<ConstructorParameters<typeof FlowTracker>[0]> = {}) {
  return new FlowTracker({ node: 'n1', interfaces, protocolOf: (_i, port) => (port === 8080 ? 'http' : null), ...extra });
}

function feed(t: FlowTracker, list: CaptureEvent[]): SegmentBatch[] {
  return [...list.flatMap((e) => t.add(e, e.tsNs)), ...t.flushAll()];
}

test('one flow per veth, oriented by the SYN, with the pod role of each veth', () => {
  const batches = feed(tracker(), events);
  const flows = new Map(batches.map((b) => [b.flowId, b]));
  assert.equal(flows.size, 2);
  const front = [...flows.values()].find((b) => b.interfaceName === 'veth-front')!;
  const back = [...flows.values()].find((b) => b.interfaceName === 'veth-back')!;
  for (const b of [front, back]) {
    assert.equal(b.client.address, CLIENT);
    assert.equal(b.server.address, SERVER);
    assert.equal(b.server.port, 8080);
    assert.equal(b.protocolHint, 'http');
    assert.equal(b.transport, 'TCP');
    assert.match(b.flowId, /^[0-9a-f]{16}$/);
  }
  assert.equal(front.podRole, 'CLIENT');
  assert.equal(front.pod?.service, 'frontend');
  assert.equal(back.podRole, 'SERVER');
  assert.equal(back.pod?.service, 'backend');
});

test('segments keep direction, flags, seq and payload; both requests are there in order', () => {
  const batches = feed(tracker(), events).filter((b) => b.interfaceName === 'veth-back');
  const segments = batches.flatMap((b) => b.segments);
  const first = segments[0]!;
  assert.ok(first.fromClient && first.flags & TcpFlags.SYN && !(first.flags & TcpFlags.ACK), 'the SYN comes first, from the client');
  const requests = segments.filter((s) => s.fromClient && s.payload.length > 0).map((s) => s.payload.toString('latin1'));
  assert.equal(requests.length, 2);
  assert.match(requests[0]!, /^GET \/slow\?ms=50 HTTP\/1\.1\r\n/);
  assert.match(requests[0]!, /traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01/);
  assert.match(requests[1]!, /^GET \/chunked HTTP\/1\.1\r\n/);
  const responses = segments.filter((s) => !s.fromClient && s.payload.length > 0);
  assert.ok(responses.every((s) => s.payload.length === s.wireLength), 'nothing truncated at the default snaplen');
  assert.ok(segments.some((s) => s.flags & TcpFlags.FIN && s.fromClient) && segments.some((s) => s.flags & TcpFlags.FIN && !s.fromClient));
  const seqOfSecond = segments.find((s) => s.payload.toString('latin1').startsWith('GET /chunked'))!.seq;
  const firstReq = segments.find((s) => s.payload.toString('latin1').startsWith('GET /slow'))!;
  assert.equal(seqOfSecond, (firstReq.seq + firstReq.wireLength) >>> 0, 'the second request follows the first in sequence space');
  for (let i = 1; i < segments.length; i++) assert.ok(segments[i]!.timestampNs >= segments[i - 1]!.timestampNs);
});

test('flow ids are deterministic: the same events give the same ids', () => {
  const ids = (bs: SegmentBatch[]) => [...new Set(bs.map((b) => b.flowId))].sort();
  assert.deepEqual(ids(feed(tracker(), events)), ids(feed(tracker(), events)));
});

test('a closed flow is emitted at once; pending segments wait at most flushAfterNs', () => {
  const t = tracker({ flushAfterNs: 1_000_000_000n });
  const first = events[0]!;
  assert.deepEqual(t.add(first, first.tsNs), []);
  assert.deepEqual(t.flushDue(first.tsNs + 999_999_999n), []);
  const due = t.flushDue(first.tsNs + 1_000_000_000n);
  assert.equal(due.length, 1);
  assert.equal(due[0]!.segments.length, 1);
  // feeding the rest closes both flows (FIN both ways) and emits them without waiting
  const rest = events.slice(1).flatMap((e) => t.add(e, e.tsNs));
  assert.ok(rest.length >= 2);
  assert.equal(t.flushAll().length, 0, 'nothing left pending after the connections closed');
});

test('bounded: past maxFlows the least recently used flow is emitted and evicted, and counted', () => {
  const t = tracker({ maxFlows: 1 });
  const batches = feed(t, events);
  assert.ok(t.stats().flowsEvictedLru >= 1);
  const total = batches.reduce((n, b) => n + b.segments.length, 0);
  assert.equal(total, events.length, 'eviction emits what the flow held: no segment is lost');
});

test('bounded: the flow evicted is one without packets since the others, not a busy one', () => {
  // three client ports of one veth: a and b fill the tracker, a gets another packet, c comes
  const first = events.find((e) => e.ifindex === frontIfindex && e.hook === 'ingress' && e.capLen > 0)!;
  const rec = (sport: number) => {
    const b = Buffer.alloc(EVENT_HEADER_LEN);
    b.writeBigUInt64LE(first.tsNs, EventOffset.TS_NS);
    b.writeUInt32LE(frontIfindex, EventOffset.IFINDEX);
    b[EventOffset.IP_VERSION] = 4;
    b[EventOffset.L4_PROTO] = 6;
    b[EventOffset.TCP_FLAGS] = TcpFlags.ACK;
    Buffer.from(CLIENT.split('.').map(Number)).copy(b, EventOffset.SADDR);
    Buffer.from(SERVER.split('.').map(Number)).copy(b, EventOffset.DADDR);
    b.writeUInt16LE(sport, EventOffset.SPORT);
    b.writeUInt16LE(8080, EventOffset.DPORT);
    return decodeCaptureEvent(b);
  };
  const t = tracker({ maxFlows: 2 });
  const evicted = [rec(40001), rec(40002), rec(40001), rec(40003)].flatMap((e) => t.add(e, e.tsNs));
  assert.deepEqual(evicted.map((b) => b.client.port), [40002]);
  assert.equal(t.stats().flowsEvictedLru, 1);
  assert.deepEqual(t.flushAll().map((b) => b.client.port).sort(), [40001, 40003]);
});

test('batches are capped by segment count', () => {
  const batches = feed(tracker({ maxSegmentsPerBatch: 2 }), events);
  assert.ok(batches.every((b) => b.segments.length <= 2));
  assert.equal(batches.reduce((n, b) => n + b.segments.length, 0), events.length);
});

test('events of an interface that is not monitored are counted, not tracked', () => {
  const t = new FlowTracker({ node: 'n1', interfaces: new Map(), protocolOf: () => 'http' });
  assert.deepEqual(feed(t, events), []);
  assert.equal(t.stats().eventsUnknownInterface, events.length);
});

test('lost kernel events are reported on the next batch', () => {
  const t = tracker();
  t.noteLostEvents(7);
  const batches = feed(t, events);
  assert.equal(batches[0]!.lostEventsBefore, 7);
  assert.ok(batches.slice(1).every((b) => b.lostEventsBefore === 0));
});

// Node-interface tracing: the client pod's veth events of the fixture, plus the events a node NIC
// (ifindex 99) on the path would add: each segment leaving the pod crosses it 7 µs later, each
// segment coming to the pod crossed it 5 µs earlier. Node events carry no payload.
const NODE_IFINDEX = 99;
function withNodeEvents(list: CaptureEvent[]): CaptureEvent[] {
  const out: CaptureEvent[] = [];
  for (const e of list) {
    const leaving = e.hook === 'ingress'; // tc ingress of a pod's host-side veth = out of the pod
    const node: CaptureEvent = {
      ...e, point: 'node', ifindex: NODE_IFINDEX, hook: leaving ? 'egress' : 'ingress', capLen: 0, payload: Buffer.alloc(0),
      tsNs: leaving ? e.tsNs + 7_000n : e.tsNs - 5_000n,
    };
    if (leaving) out.push(e, node);
    else out.push(node, e);
  }
  return out;
}

test('node-interface events time the segments of the same flow, in both directions', () => {
  const front = events.filter((e) => e.ifindex === frontIfindex);
  const t = tracker({ nodeInterfaces: new Map([[NODE_IFINDEX, 'eth0']]) });
  const batches = feed(t, withNodeEvents(front));
  assert.equal(new Set(batches.map((b) => b.flowId)).size, 1, 'node events make no flow of their own');
  const segments = batches.flatMap((b) => b.segments);
  assert.equal(segments.length, front.length, 'node events add no segments');
  for (const s of segments) {
    assert.equal(s.nodeTimestampNs, s.fromClient ? s.timestampNs + 7_000n : s.timestampNs - 5_000n, `segment seq ${s.seq} fromClient ${s.fromClient}`);
  }
  for (const b of batches) assert.equal(b.nodeInterfaceName, 'eth0');
  const st = t.stats();
  assert.equal(st.nodeEventsMatched, front.length);
  assert.equal(st.nodeEventsUnmatched, 0);
});

test('a node event of a flow no pod interface saw is counted, not recorded', () => {
  const t = tracker({ nodeInterfaces: new Map([[NODE_IFINDEX, 'eth0']]) });
  const stray = { ...events[0]!, point: 'node' as const, ifindex: NODE_IFINDEX, sport: 1, capLen: 0, payload: Buffer.alloc(0) };
  assert.deepEqual(t.add(stray, stray.tsNs), []);
  assert.deepEqual(t.flushAll(), []);
  assert.equal(t.stats().nodeEventsUnmatched, 1);
  assert.equal(t.stats().flowsCreated, 0);
});

test('node events waiting for their pod segment are bounded per flow and counted when dropped', () => {
  const front = events.filter((e) => e.ifindex === frontIfindex);
  const t = tracker();
  const syn = front[0]!;
  t.add(syn, syn.tsNs);
  // 20 response-direction sightings whose pod segments never come
  const response = front.find((e) => e.hook === 'egress' && e.wireLen > 0)!;
  for (let i = 0; i < 20; i++) {
    const n = { ...response, point: 'node' as const, ifindex: NODE_IFINDEX, seq: (response.seq + 100_000 * (i + 1)) >>> 0, capLen: 0, payload: Buffer.alloc(0) };
    t.add(n, n.tsNs);
  }
  assert.equal(t.stats().nodeEventsUnmatched, 4, 'beyond 16 waiting, the oldest are dropped');
  t.forgetInterface(frontIfindex);
  assert.equal(t.stats().nodeEventsUnmatched, 20, 'the rest are counted when the flow goes');
  const batches = t.flushAll();
  assert.equal(batches.length, 0);
  assert.equal(t.stats().nodeEventsMatched, 0);
});

test('without node events, batches carry no node fields', () => {
  const batches = feed(tracker(), events);
  for (const b of batches) {
    assert.equal(b.nodeInterfaceName, undefined);
    for (const s of b.segments) assert.equal(s.nodeTimestampNs, undefined);
  }
});
