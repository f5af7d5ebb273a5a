import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BpfError } from './errors.js';
import { FLOW_STATE_LEN, FlowKeyOffset, FlowStateOffset, decodeFlowKey, decodeFlowState, encodeFlowKey, flowLastNs, ipBytes } from './flow-abi.js';

test('both directions of a connection share one canonical key', () => {
  const out = encodeFlowKey({ ipVersion: 4, l4Proto: 6, saddr: '10.1.0.9', sport: 40000, daddr: '10.1.0.10', dport: 80 });
  const back = encodeFlowKey({ ipVersion: 4, l4Proto: 6, saddr: '10.1.0.10', sport: 80, daddr: '10.1.0.9', dport: 40000 });
  assert.deepEqual(out, back);
  // bytewise address order: last byte 9 < 10, so the client 10.1.0.9 is endpoint a
  assert.deepEqual(decodeFlowKey(out), { ipVersion: 4, l4Proto: 6, a: { address: '10.1.0.9', port: 40000 }, b: { address: '10.1.0.10', port: 80 } });
  assert.equal(out.readUInt16LE(FlowKeyOffset.PORT_A), 40000);
  assert.equal(out.subarray(FlowKeyOffset.ADDR_A + 4, FlowKeyOffset.ADDR_B).every((b) => b === 0), true, 'IPv4 padded with zeros');
  assert.equal(out.readUInt16LE(FlowKeyOffset.PAD), 0);
});

test('same address on both sides: the port decides', () => {
  const k = encodeFlowKey({ ipVersion: 6, l4Proto: 17, saddr: '::1', sport: 5353, daddr: '::1', dport: 53 });
  assert.deepEqual(decodeFlowKey(k), { ipVersion: 6, l4Proto: 17, a: { address: '::1', port: 53 }, b: { address: '::1', port: 5353 } });
});

test('IPv6 text to bytes, and bad addresses refused', () => {
  assert.equal(ipBytes('fd00:c10:3006:e495::2', 6).toString('hex'), 'fd000c103006e4950000000000000002');
  assert.equal(ipBytes('::', 6).toString('hex'), '0'.repeat(32));
  assert.equal(ipBytes('1:2:3:4:5:6:7:8', 6).toString('hex'), '00010002000300040005000600070008');
  for (const [a, v] of [['1::2::3', 6], ['10.0.0', 4], ['10.0.0.256', 4], ['12345::', 6]] as const) {
    assert.throws(() => ipBytes(a, v), (e: unknown) => e instanceof BpfError && e.code === 'EINVAL', a);
  }
});

test('flow state decodes per direction', () => {
  const v = Buffer.alloc(FLOW_STATE_LEN);
  v.writeBigUInt64LE(100n, FlowStateOffset.FIRST_NS);
  v.writeBigUInt64LE(900n, FlowStateOffset.LAST_NS);
  v.writeBigUInt64LE(3n, FlowStateOffset.PACKETS);
  v.writeBigUInt64LE(2n, FlowStateOffset.PACKETS + 8);
  v.writeBigUInt64LE(77n, FlowStateOffset.BYTES);
  v.writeBigUInt64LE(1234n, FlowStateOffset.BYTES + 8);
  v.writeBigUInt64LE(150n, FlowStateOffset.NODE_FIRST_NS);
  v.writeBigUInt64LE(400n, FlowStateOffset.NODE_FIRST_NS + 8);
  v.writeBigUInt64LE(160n, FlowStateOffset.NODE_LAST_NS);
  v.writeBigUInt64LE(410n, FlowStateOffset.NODE_LAST_NS + 8);
  v.writeUInt32LE(27, FlowStateOffset.IFINDEX);
  v.writeUInt32LE(3, FlowStateOffset.NODE_IFINDEX);
  v[FlowStateOffset.FLAGS] = 0x1b;
  v[FlowStateOffset.FLAGS + 1] = 0x12;
  assert.deepEqual(decodeFlowState(v), {
    firstNs: 100n, lastNs: 900n, packets: [3n, 2n], bytes: [77n, 1234n], nodeFirstNs: [150n, 400n], nodeLastNs: [160n, 410n],
    ifindex: 27, nodeIfindex: 3, flags: [0x1b, 0x12],
  });
  assert.equal(flowLastNs(v), 900n);
  assert.throws(() => decodeFlowState(v.subarray(1)), (e: unknown) => e instanceof BpfError && e.code === 'EBADMSG');
  assert.throws(() => decodeFlowKey(Buffer.alloc(40)), /ip_version 0/);
});
