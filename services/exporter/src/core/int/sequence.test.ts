import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SequenceNumbers } from './sequence.js';
import { switchIdFromIpv4 } from './switch-id.js';

test('seq_no counts per hw_id from 1', () => {
  const seq = new SequenceNumbers(32);
  assert.deepEqual([seq.take(3), seq.take(3), seq.take(7), seq.take(3), seq.take(7)], [1, 2, 1, 3, 2]);
});

test('seq_no wraps modulo 2^bits: 32 bits for v0.5, 22 for v2.0', () => {
  const v05 = new SequenceNumbers(32);
  v05.resume(0, 0xffff_fffe);
  assert.deepEqual([v05.take(0), v05.take(0), v05.take(0), v05.take(0)], [0xffff_fffe, 0xffff_ffff, 0, 1]);
  const v2 = new SequenceNumbers(22);
  v2.resume(63, 2 ** 22 - 1);
  assert.deepEqual([v2.take(63), v2.take(63), v2.take(63)], [2 ** 22 - 1, 0, 1]);
});

test('each (switch id, hw_id) has its own sequence: one exporter reports for many nodes', () => {
  const seq = new SequenceNumbers(32);
  assert.deepEqual([seq.take(1, 0x0a000001), seq.take(1, 0x0a000002), seq.take(1, 0x0a000001), seq.take(2, 0x0a000001)], [1, 1, 2, 1]);
});

test('counters are bounded: the least recently used sender is forgotten and starts again at 1', () => {
  const seq = new SequenceNumbers(32, 2);
  seq.take(0, 1);
  seq.take(0, 2);
  seq.take(0, 1); // sender 1 used last: sender 2 is the one to forget
  seq.take(0, 3);
  assert.equal(seq.countersForgotten(), 1);
  assert.deepEqual([seq.take(0, 1), seq.take(0, 2)], [3, 1]);
});

test('hw_id outside 0..63 is refused', () => {
  assert.throws(() => new SequenceNumbers(32).take(64), /hw_id 64/);
});

test('switch id: the IPv4 address as a big-endian 32-bit number', () => {
  assert.equal(switchIdFromIpv4('10.0.0.5'), 10 * 2 ** 24 + 5);
  assert.equal(switchIdFromIpv4('255.255.255.254'), 2 ** 32 - 2);
  assert.equal(switchIdFromIpv4('192.168.1.1'), 0xc0a80101);
  for (const bad of ['fd00::1', '10.0.0', '10.0.0.256', 'node-1', '', null]) assert.equal(switchIdFromIpv4(bad), null, String(bad));
});
