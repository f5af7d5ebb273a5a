// INT hop reports on the FlowTracker's batches. The packets are a real capture of a curl pod →
// server pod keep-alive connection on two veths (the fixture of flow-tracker.test.ts); each hop
// report is made from one packet's two sightings: entering the host on one veth (tc ingress) and
// leaving it on the other (tc egress), as the INT programs measure it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { IntEvent, SegmentBatch } from '@clovisor/core';
import { decodeCaptureEvent, splitBatch, type CaptureEvent } from '@clovisor/libbpf';
import { FlowTracker, MAX_INT_HOPS_PER_BATCH, type MonitoredInterface } from './flow-tracker.js';

const FIXTURE = fileURLToPath(new URL('../../test-fixtures/curl-keepalive-two-veths.events', import.meta.url));
const events: CaptureEvent[] = splitBatch(readFileSync(FIXTURE)).map(decodeCaptureEvent);
const CLIENT = '10.212.1.2';
const SERVER = '10.212.2.2';
const frontIfindex = events.find((e) => e.hook === 'ingress' && e.saddr === CLIENT)!.ifindex;
const backIfindex = events.find((e) => e.hook === 'ingress' && e.saddr === SERVER)!.ifindex;
const interfaces = new Map<number, MonitoredInterface>([
  [frontIfindex, { ifindex: frontIfindex, name: 'veth-front', pod: null }],
  [backIfindex, { ifindex: backIfindex, name: 'veth-back', pod: null }],
]);
const tracker = (extra: Partial<ConstructorParameters<typeof FlowTracker>[0]> = {}) =>
  new FlowTracker({ node: 'n1', interfaces, protocolOf: (_i, port) => (port === 8080 ? 'http' : null), ...extra });

/** The i-th packet crossing the host: its sighting entering (ingress hook) and then leaving (egress hook). */
function crossing(i: number): { enter: CaptureEvent; leave: CaptureEvent } {
  const enter = events.filter((e) => e.hook === 'ingress')[i]!;
  const leave = events.find((e) => e.hook === 'egress' && e.seq === enter.seq && e.tcpFlags === enter.tcpFlags && e.saddr === enter.saddr)!;
  return { enter, leave };
}

function hopReport(i: number, shiftNs = 0n): IntEvent {
  const { enter, leave } = crossing(i);
  return {
    kind: 'HOP', trigger: 'FIRST', ingressIfindex: enter.ifindex, egressIfindex: leave.ifindex,
    ingressTimeNs: enter.tsNs + shiftNs, egressTimeNs: leave.tsNs + shiftNs,
    dropTimeNs: null, dropReason: null, dropReasonName: null,
    flow: { transport: 'TCP', source: { address: enter.saddr, port: enter.sport }, destination: { address: enter.daddr, port: enter.dport } },
    packet: Buffer.alloc(0), packetLength: 0,
  };
}

const hopsOf = (batches: SegmentBatch[], name: string) => batches.filter((b) => b.interfaceName === name).flatMap((b) => b.intHops ?? []);
const lastTs = events[events.length - 1]!.tsNs;

test('a hop report that comes before the packets goes on both veths\' flows, direction and ports kept', () => {
  const t = tracker();
  const syn = hopReport(0);
  assert.equal(t.noteIntHop(syn), 0, 'no flow yet');
  const out: SegmentBatch[] = [];
  for (const e of events) t.add(e, e.tsNs, out);
  out.push(...t.flushDue(lastTs + 200_000_000n));
  for (const name of ['veth-front', 'veth-back']) {
    const hops = hopsOf(out, name);
    assert.equal(hops.length, 1, name);
    assert.deepEqual({ ...hops[0] }, {
      ingressIfindex: frontIfindex, egressIfindex: backIfindex, ingressTimeNs: syn.ingressTimeNs, egressTimeNs: syn.egressTimeNs, fromClient: true,
    });
    // the report is on the flow's first batch, with the SYN
    const first = out.find((b) => b.interfaceName === name)!;
    assert.equal(first.intHops?.length, 1, `${name}: on the first batch`);
  }
  assert.equal(t.stats().intHopsReceived, 1);
  assert.equal(t.stats().intHopsAttached, 2);
});

test('a hop report that comes after its segments were sent goes on the flows\' next batch; a response\'s is fromClient false', () => {
  const t = tracker();
  const early: SegmentBatch[] = [];
  for (const e of events.slice(0, 8)) t.add(e, e.tsNs, early); // handshake, first request and response
  early.push(...t.flushDue(events[7]!.tsNs + 100_000_000n));
  assert.ok(early.length >= 2 && early.every((b) => b.intHops === undefined), 'no hops yet, and no field without them');
  const response = hopReport(3); // server → client: the first response
  assert.equal(response.flow.source.address, SERVER);
  assert.equal(t.noteIntHop(response), 2);
  const later = t.flushDue(events[7]!.tsNs + 300_000_000n);
  assert.equal(later.length, 2, 'one batch per flow, carrying only the report');
  for (const b of later) {
    assert.equal(b.segments.length, 0);
    assert.deepEqual(b.intHops!.map((h) => [h.ingressIfindex, h.egressIfindex, h.fromClient]), [[backIfindex, frontIfindex, false]]);
  }
});

test('reports go out in ingress-time order whatever order they came in', () => {
  const t = tracker();
  for (const i of [4, 0, 2, 1]) t.noteIntHop(hopReport(i));
  const out: SegmentBatch[] = [];
  for (const e of events.slice(0, 8)) t.add(e, e.tsNs, out);
  out.push(...t.flushAll());
  const times = hopsOf(out, 'veth-back').map((h) => h.ingressTimeNs);
  assert.equal(times.length, 4);
  assert.deepEqual(times, [...times].sort((a, b) => (a < b ? -1 : 1)));
});

test('with hop reports coming, a closed flow\'s last batch waits intHopWaitNs for the reports of its last packets', () => {
  const t = tracker({ intHopWaitNs: 50_000_000n });
  t.noteIntHop(hopReport(0));
  const out: SegmentBatch[] = [];
  for (const e of events) t.add(e, e.tsNs, out);
  assert.ok(!out.some((b) => b.segments.some((s) => s.flags & 0x01)), 'the FIN batches are held, not emitted at the close');
  // the client FIN's report comes (from the other ring buffer) after the close
  const fin = hopReport(events.filter((e) => e.hook === 'ingress').findIndex((e) => e.tcpFlags & 0x01));
  assert.equal(t.noteIntHop(fin), 2);
  const closedAt = events[events.length - 2]!.tsNs; // the second FIN seen on the first veth
  assert.equal(t.flushDue(closedAt + 49_000_000n).filter((b) => b.segments.some((s) => s.flags & 0x01)).length, 0);
  const last = t.flushDue(lastTs + 50_000_000n);
  assert.equal(last.length, 2, 'both flows\' closing batches');
  for (const b of last) assert.ok(b.intHops!.some((h) => h.ingressTimeNs === fin.ingressTimeNs), `${b.interfaceName} has the FIN's report`);
  // without hop reports a closed flow still goes at once (flow-tracker.test.ts)
});

test('expectIntHops: closing batches wait from the start, before any report came', () => {
  const t = tracker({ expectIntHops: true, intHopWaitNs: 50_000_000n });
  const out: SegmentBatch[] = [];
  for (const e of events) t.add(e, e.tsNs, out);
  assert.ok(!out.some((b) => b.segments.some((s) => s.flags & 0x01)), 'held');
  const late = hopReport(1); // the SYN-ACK's report, after all the packets
  assert.equal(t.noteIntHop(late), 2);
  const last = t.flushDue(lastTs + 50_000_000n);
  assert.equal(last.length, 2);
  for (const b of last) assert.deepEqual(b.intHops!.map((h) => h.fromClient), [false]);
});

test('a report of an earlier connection with the same 5-tuple is not taken by a new flow, nor one after a flow closed', () => {
  const t = tracker();
  t.noteIntHop(hopReport(0, -5_000_000_000n)); // 5 s before: a previous connection's SYN
  const out: SegmentBatch[] = [];
  for (const e of events) t.add(e, e.tsNs, out);
  out.push(...t.flushAll());
  assert.equal(out.flatMap((b) => b.intHops ?? []).length, 0);
  assert.equal(t.noteIntHop(hopReport(0, 5_000_000_000n)), 0, 'a packet 5 s after the close belongs to a later connection');
});

test('bounded: at most MAX_INT_HOPS_PER_BATCH reports per batch, the rest dropped and counted', () => {
  const t = tracker();
  for (const e of events.slice(0, 2)) t.add(e, e.tsNs);
  for (let k = 0; k < MAX_INT_HOPS_PER_BATCH + 3; k++) t.noteIntHop(hopReport(0, BigInt(k) * 1000n));
  const out = t.flushAll();
  for (const name of ['veth-front', 'veth-back']) assert.equal(hopsOf(out, name).length, MAX_INT_HOPS_PER_BATCH);
  assert.equal(t.stats().intHopsDropped, 2 * 3);
  assert.equal(t.stats().intHopsAttached, 2 * MAX_INT_HOPS_PER_BATCH);
});

test('bounded: reports of connections no flow has are kept up to maxRecentIntHops, then dropped oldest first and counted', () => {
  const t = tracker({ maxRecentIntHops: 4 });
  const other = (port: number): IntEvent => {
    const r = hopReport(0);
    return { ...r, flow: { ...r.flow, source: { address: '10.9.9.9', port } } };
  };
  for (let port = 1000; port < 1006; port++) t.noteIntHop(other(port));
  assert.equal(t.stats().intHopsUnmatched, 2);
  // the connection of the capture is still found once its packets come, though reports of others came since
  const t2 = tracker({ maxRecentIntHops: 4 });
  t2.noteIntHop(hopReport(0));
  for (let port = 1000; port < 1003; port++) t2.noteIntHop(other(port));
  const out: SegmentBatch[] = [];
  for (const e of events.slice(0, 2)) t2.add(e, e.tsNs, out);
  assert.equal(hopsOf(t2.flushAll(), 'veth-back').length, 1);
  t2.noteIntHop(other(2000));
  assert.equal(t2.stats().intHopsUnmatched, 0, 'the report pushed out had been taken');
});

test('drop events and reports of non-IP tuples are ignored', () => {
  const t = tracker();
  const drop: IntEvent = { ...hopReport(0), kind: 'DROP', trigger: 'DROP', egressIfindex: 0, egressTimeNs: null, dropTimeNs: 1n, dropReason: 2, dropReasonName: 'NOT_SPECIFIED' };
  assert.equal(t.noteIntHop(drop), 0);
  const odd = hopReport(0);
  assert.equal(t.noteIntHop({ ...odd, flow: { ...odd.flow, source: { address: 'not-an-ip', port: 1 } } }), 0);
  assert.equal(t.stats().intHopsReceived, 1);
  for (const e of events) t.add(e, e.tsNs);
  assert.equal(t.flushAll().flatMap((b) => b.intHops ?? []).length, 0);
});

test('the flows of one connection on two veths stay findable when either goes first, and none once both are gone', () => {
  const midReport = () => hopReport(2); // the SYN-ACK: before either flow closed
  for (const [first, second] of [[frontIfindex, backIfindex], [backIfindex, frontIfindex]] as const) {
    const t = tracker();
    for (const e of events.slice(0, 6)) t.add(e, e.tsNs);
    assert.equal(t.noteIntHop(midReport()), 2);
    t.forgetInterface(first);
    assert.equal(t.noteIntHop(midReport()), 1, `after forgetting ${first}`);
    const out = t.forgetInterface(second);
    assert.equal(out[0]!.ifindex, second);
    assert.equal(t.noteIntHop(midReport()), 0);
  }
});
