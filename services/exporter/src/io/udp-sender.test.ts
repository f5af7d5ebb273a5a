// The UDP sender on real sockets: datagrams arrive in order, at most maxInFlight wait for the
// kernel, a collector that is not listening shows as counted send errors, never as a throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { UdpSender } from './udp-sender.js';

async function listener(): Promise<{ port: number; got: Buffer[]; close: () => void }> {
  const socket = createSocket('udp4');
  const got: Buffer[] = [];
  socket.on('message', (m) => got.push(m));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return { port: (socket.address() as AddressInfo).port, got, close: () => socket.close() };
}

test('sends every datagram, in order, with no more than maxInFlight waiting for the kernel', async () => {
  const l = await listener();
  const sender = await UdpSender.open({ host: 'localhost', port: l.port }, 4);
  let maxSeen = 0;
  for (let i = 0; i < 200; i++) {
    if (!sender.hasRoom()) await sender.room();
    sender.send(Buffer.from([i]));
    maxSeen = Math.max(maxSeen, sender.pending);
  }
  await sender.flush();
  for (let i = 0; i < 50 && l.got.length < 200; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(l.got.map((b) => b[0]), Array.from({ length: 200 }, (_, i) => i));
  assert.ok(maxSeen <= 4, `in flight ${maxSeen}`);
  assert.deepEqual(sender.stats(), { sent: 200, sendErrors: 0, droppedFull: 0, lastError: null });
  sender.send(Buffer.from([1]));
  sender.send(Buffer.from([2]));
  sender.send(Buffer.from([3]));
  sender.send(Buffer.from([4]));
  sender.send(Buffer.from([5])); // no room: counted, not queued
  assert.equal(sender.stats().droppedFull, 1);
  await sender.close();
  await sender.close();
  l.close();
});

test('a collector that is not listening: send errors counted (ECONNREFUSED), no throw', async () => {
  const l = await listener();
  const port = l.port;
  l.close(); // the port is now closed: the kernel answers ICMP port unreachable
  const sender = await UdpSender.open({ host: '127.0.0.1', port });
  for (let i = 0; i < 20; i++) {
    sender.send(Buffer.from('report'));
    await sender.flush();
    await new Promise((r) => setTimeout(r, 5));
  }
  const stats = sender.stats();
  assert.ok(stats.sendErrors > 0, JSON.stringify(stats));
  assert.match(stats.lastError ?? '', /ECONNREFUSED/);
  await sender.close();
});

test('an unresolvable collector host fails at open with what to check', async () => {
  await assert.rejects(UdpSender.open({ host: 'no-such-collector.invalid', port: 32766 }), /cannot resolve the INT collector no-such-collector\.invalid.*--int-collector/);
});
