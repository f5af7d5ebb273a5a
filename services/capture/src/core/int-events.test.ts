import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IntEvent } from '@clovisor/core';
import type { IntRawEvent } from '@clovisor/libbpf';
import { IntEventQueue, toIntEvent } from './int-events.js';

// Packets built byte by byte, the way they are on the wire.
function ipv4(proto: number, src: number[], dst: number[], sport: number, dport: number, payload = 0): Buffer {
  const l4 = Buffer.alloc((proto === 6 ? 20 : 8) + payload);
  l4.writeUInt16BE(sport, 0);
  l4.writeUInt16BE(dport, 2);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + l4.length, 2);
  ip[8] = 64;
  ip[9] = proto;
  Buffer.from(src).copy(ip, 12);
  Buffer.from(dst).copy(ip, 16);
  return Buffer.concat([ip, l4]);
}

function ipv6Udp(src: Buffer, dst: Buffer, sport: number, dport: number): Buffer {
  const ip = Buffer.alloc(40);
  ip[0] = 0x60;
  ip.writeUInt16BE(8, 4);
  ip[6] = 17;
  ip[7] = 64;
  src.copy(ip, 8);
  dst.copy(ip, 24);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(sport, 0);
  udp.writeUInt16BE(dport, 2);
  return Buffer.concat([ip, udp]);
}

function ether(type: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(14);
  Buffer.from('020000000001020000000002', 'hex').copy(head); // two locally administered MACs
  head.writeUInt16BE(type, 12);
  return Buffer.concat([head, payload]);
}

const OFFSET = 1_700_000_000_000_000_000n;
const NAMES = new Map([[2, 'NOT_SPECIFIED'], [18, 'IP_INNOROUTES']]);
const reasonName = (v: number) => NAMES.get(v) ?? null;
const TCP_FLOW = { transport: 'TCP' as const, source: { address: '10.1.1.2', port: 40000 }, destination: { address: '10.1.2.2', port: 8080 } };

function raw(over: Partial<IntRawEvent>): IntRawEvent {
  return {
    kind: 'HOP', trigger: 'FIRST', ingressNs: null, egressNs: null, dropNs: null, ingressIfindex: 0, egressIfindex: 0, dropReason: null,
    ipVersion: 4, flow: TCP_FLOW, hasL2: true, packet: Buffer.alloc(0), length: 0, ...over,
  };
}

test('hop: monotonic → epoch ns, the kernel\'s 5-tuple, the frame as copied, full length kept', () => {
  const frame = ether(0x0800, ipv4(6, [10, 1, 1, 2], [10, 1, 2, 2], 40000, 8080, 200));
  const event = toIntEvent(raw({ ingressNs: 5_000n, egressNs: 5_900n, ingressIfindex: 7, egressIfindex: 9, length: frame.length, packet: frame.subarray(0, 128) }), OFFSET, reasonName);
  assert.deepEqual({ ...event, packet: null }, {
    kind: 'HOP', trigger: 'FIRST', ingressIfindex: 7, egressIfindex: 9,
    ingressTimeNs: OFFSET + 5_000n, egressTimeNs: OFFSET + 5_900n, dropTimeNs: null, dropReason: null, dropReasonName: null,
    flow: TCP_FLOW, packet: null, packetLength: 14 + 20 + 20 + 200,
  });
  assert.deepEqual(event.packet, frame.subarray(0, 128));
});

test('drop without an L2 header: a zero-MAC Ethernet header in front, the length grows by 14, the reason gets its name', () => {
  const ip = ipv4(17, [10, 2, 1, 2], [10, 9, 9, 9], 5353, 53, 10);
  const flow = { transport: 'UDP' as const, source: { address: '10.2.1.2', port: 5353 }, destination: { address: '10.9.9.9', port: 53 } };
  const event = toIntEvent(raw({ kind: 'DROP', trigger: 'DROP', ingressNs: 100n, dropNs: 250n, ingressIfindex: 4, dropReason: 18, hasL2: false, length: ip.length, packet: ip, flow }), OFFSET, reasonName);
  assert.equal(event.dropReason, 18);
  assert.equal(event.dropReasonName, 'IP_INNOROUTES');
  assert.equal(event.dropTimeNs, OFFSET + 250n);
  assert.equal(event.egressTimeNs, null);
  assert.equal(event.packetLength, ip.length + 14);
  assert.deepEqual(event.packet.subarray(0, 14), Buffer.from('000000000000000000000000' + '0800', 'hex'));
  assert.deepEqual(event.packet.subarray(14), ip);
  assert.deepEqual(event.flow, flow);
});

test('a drop reason this kernel has no name for keeps its value, with a null name', () => {
  const event = toIntEvent(raw({ kind: 'DROP', trigger: 'DROP', dropNs: 1n, dropReason: 4242 }), 0n, reasonName);
  assert.equal(event.dropReason, 4242);
  assert.equal(event.dropReasonName, null);
});

test('IPv6 without L2: EtherType 86dd; a long packet is cut to 128 bytes with the header', () => {
  const src = Buffer.from('fd000000000000000000000000000001', 'hex');
  const dst = Buffer.from('fd000000000000000000000000010002', 'hex');
  const ip = Buffer.concat([ipv6Udp(src, dst, 1000, 2000), Buffer.alloc(300)]);
  const event = toIntEvent(raw({ kind: 'DROP', trigger: 'DROP', dropNs: 1n, dropReason: 2, ipVersion: 6, hasL2: false, packet: ip.subarray(0, 128), length: ip.length }), 0n, reasonName);
  assert.equal(event.packet.length, 128);
  assert.equal(event.packet.readUInt16BE(12), 0x86dd);
  assert.deepEqual(event.packet.subarray(14), ip.subarray(0, 114));
  assert.equal(event.packetLength, ip.length + 14);
});

function event(kind: 'HOP' | 'DROP', n: number): IntEvent {
  return toIntEvent(raw({ kind, trigger: kind === 'DROP' ? 'DROP' : 'INTERVAL', ingressIfindex: n, length: 60, packet: ether(0x0800, ipv4(6, [10, 0, 0, 1], [10, 0, 0, 2], n, 80)) }), 0n, reasonName);
}

test('queue: batches of at most maxPerBatch, keyed by node, DROP noticed', () => {
  const q = new IntEventQueue({ node: 'n1', nodeAddress: '192.0.2.1', maxEvents: 100, maxPerBatch: 3 });
  q.add([event('HOP', 1), event('HOP', 2)]);
  assert.equal(q.hasDrop(), false);
  q.add([event('DROP', 3), event('HOP', 4)]);
  assert.equal(q.hasDrop(), true);
  const first = q.take()!;
  assert.equal(first.node, 'n1');
  assert.equal(first.nodeAddress, '192.0.2.1');
  assert.deepEqual(first.events.map((e) => e.ingressIfindex), [1, 2, 3]);
  assert.equal(q.hasDrop(), false);
  assert.deepEqual(q.take()!.events.map((e) => e.ingressIfindex), [4]);
  assert.equal(q.take(), null);
});

test('queue: past maxEvents the oldest hops are dropped first, drops only when nothing else is left; counted separately; a failed batch goes back in front', () => {
  const q = new IntEventQueue({ node: 'n1', nodeAddress: null, maxEvents: 4, maxPerBatch: 2 });
  q.add([event('DROP', 1), event('HOP', 2), event('HOP', 3), event('HOP', 4), event('HOP', 5), event('HOP', 6)]);
  assert.deepEqual(q.stats(), { queued: 4, dropped: 2, droppedDrops: 0 });
  assert.equal(q.hasDrop(), true, 'the oldest event, a drop, stays');
  const batch = q.take()!;
  assert.deepEqual(batch.events.map((e) => e.ingressIfindex), [1, 4], 'hops 2 and 3 went, order kept');
  assert.equal(q.hasDrop(), false);
  q.add([event('DROP', 7)]);
  q.restore(batch); // 1,4 in front of 5,6,7: one too many, the oldest hop (4) goes
  assert.deepEqual(q.stats(), { queued: 4, dropped: 3, droppedDrops: 0 });
  assert.deepEqual(q.take()!.events.map((e) => e.ingressIfindex), [1, 5]);
  assert.equal(q.hasDrop(), true);
  assert.deepEqual(q.take()!.events.map((e) => e.ingressIfindex), [6, 7]);
  assert.equal(q.size, 0);
  // nothing but drops: the oldest drops go, counted as drops
  q.add([event('DROP', 10), event('HOP', 11), event('DROP', 12), event('DROP', 13), event('DROP', 14), event('DROP', 15)]);
  assert.deepEqual(q.stats(), { queued: 4, dropped: 5, droppedDrops: 1 });
  assert.deepEqual([...q.take()!.events, ...q.take()!.events].map((e) => e.ingressIfindex), [12, 13, 14, 15]);
  assert.equal(q.hasDrop(), false);
});

