import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import {
  CAPTURE_OBJECT_PATH,
  EVENT_HEADER_LEN,
  EventOffset,
  connectionKey,
  decodeCaptureEvent,
  encodeEgressRuleKey,
  tupleOfConnection,
  decodePortKey,
  encodeCaptureConfig,
  encodePortKey,
  encodeProtocolId,
} from './capture-abi.js';
import { BpfError } from './errors.js';
import { FLOW_KEY_LEN, FLOW_STATE_LEN, FlowKeyOffset, FlowStateOffset } from './flow-abi.js';

// Two records read from the ring during a real curl over IPv6 across a veth (kernel 6.18):
// the client's SYN (egress) and its request (egress, PSH|ACK, 93 payload bytes).
const SYN_HEX =
  '8a90c40c360100001b00000001060602fd000c103006e4950000000000000001fd000c103006e4950000000000000002' +
  '16886297e950361000000000000000000000000000000000';
const REQUEST_HEX =
  '9029e10c360100001b00000001060618fd000c103006e4950000000000000001fd000c103006e4950000000000000002' +
  '16886297ea503610ee90d52b5d0000005d00000000000000' +
  '474554202f20485454502f312e310d0a486f73743a205b666430303a6331303a333030363a653439353a3a325d3a3338' +
  '3735340d0a557365722d4167656e743a206375726c2f372e38382e310d0a4163636570743a202a2f2a0d0a0d0a';

test('decodes a captured SYN', () => {
  const e = decodeCaptureEvent(Buffer.from(SYN_HEX, 'hex'));
  assert.deepEqual({ ...e, payload: e.payload.length, connection: undefined }, {
    tsNs: 1331654070410n, ifindex: 27, hook: 'egress', point: 'pod', ipVersion: 6, l4Proto: 6, tcpFlags: 0x02,
    saddr: 'fd00:c10:3006:e495::1', daddr: 'fd00:c10:3006:e495::2', sport: 34838, dport: 38754,
    seq: 271995113, ack: 0, wireLen: 0, capLen: 0, payload: 0, connection: undefined,
  });
});

test('decodes a captured request with payload', () => {
  const rec = Buffer.from(REQUEST_HEX, 'hex');
  const e = decodeCaptureEvent(rec);
  assert.equal(e.seq, 271995114);
  assert.equal(e.ack, 735416558);
  assert.equal(e.tcpFlags, 0x18);
  assert.equal(e.wireLen, 93);
  assert.equal(e.capLen, 93);
  assert.match(e.payload.toString('latin1'), /^GET \/ HTTP\/1\.1\r\nHost: \[fd00:c10:3006:e495::2\]:38754\r\n/);
  assert.equal(e.payload.buffer, rec.buffer, 'payload is a view');
});

test('inconsistent records are refused', () => {
  const rec = Buffer.from(REQUEST_HEX, 'hex');
  for (const bad of [rec.subarray(0, 71), rec.subarray(0, rec.length - 1)]) {
    assert.throws(() => decodeCaptureEvent(bad), (e: unknown) => e instanceof BpfError && e.code === 'EBADMSG');
  }
  const v5 = Buffer.from(rec);
  v5[EventOffset.IP_VERSION] = 5;
  assert.throws(() => decodeCaptureEvent(v5), /ip_version 5/);
});

test('IPv4 addresses and IPv6 compression', () => {
  const rec = Buffer.alloc(EVENT_HEADER_LEN);
  rec[EventOffset.IP_VERSION] = 4;
  Buffer.from([10, 1, 2, 3]).copy(rec, EventOffset.SADDR);
  assert.equal(decodeCaptureEvent(rec).saddr, '10.1.2.3');
  rec[EventOffset.IP_VERSION] = 6;
  Buffer.from('20010db8000000010000000000000001', 'hex').copy(rec, EventOffset.SADDR);
  assert.equal(decodeCaptureEvent(rec).saddr, '2001:db8:0:1::1');
  assert.equal(decodeCaptureEvent(rec).daddr, '::');
});

test('map key/value encodings', () => {
  assert.deepEqual([...encodePortKey(7, 8080)], [7, 0, 0, 0, 0x90, 0x1f, 0, 0]);
  assert.deepEqual(decodePortKey(encodePortKey(0x01020304, 443)), { ifindex: 0x01020304, port: 443 });
  assert.deepEqual([...encodeProtocolId(3)], [3, 0, 0, 0]);
  assert.deepEqual([...encodeCaptureConfig({ snaplen: 8192 })], [0, 0x20, 0, 0, 0, 0, 0, 0]);
  for (const bad of [() => encodePortKey(0, 0), () => encodePortKey(-1, 80), () => encodeProtocolId(0), () => encodeCaptureConfig({ snaplen: 8193 })]) {
    assert.throws(bad, (e: unknown) => e instanceof BpfError && e.code === 'EINVAL');
  }
});

function hasBpftool(): boolean {
  try {
    execFileSync('bpftool', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('TS offsets match the compiled object (BTF)', { skip: !hasBpftool() && 'bpftool not installed' }, () => {
  assert.ok(existsSync(CAPTURE_OBJECT_PATH), `${CAPTURE_OBJECT_PATH} missing: run bash packages/libbpf/build.sh`);
  interface BtfType { name?: string; size?: number; members?: { name: string; bits_offset: number }[] }
  const btf = JSON.parse(execFileSync('bpftool', ['-j', 'btf', 'dump', 'file', CAPTURE_OBJECT_PATH], { encoding: 'utf8' })) as { types: BtfType[] };
  const struct = (name: string): BtfType => {
    const t = btf.types.find((x) => x.name === name);
    assert.ok(t?.members, `struct ${name} in BTF`);
    return t;
  };
  const ev = struct('capture_event');
  assert.equal(ev.size, EVENT_HEADER_LEN);
  const fromBtf = Object.fromEntries(ev.members!.map((m) => [m.name.toUpperCase(), m.bits_offset / 8]));
  const { PAYLOAD, ...header } = EventOffset;
  assert.deepEqual(fromBtf, header);
  const flowKey = struct('flow_key');
  assert.equal(flowKey.size, FLOW_KEY_LEN);
  assert.deepEqual(Object.fromEntries(flowKey.members!.map((m) => [m.name.toUpperCase(), m.bits_offset / 8])), FlowKeyOffset);
  const flowState = struct('flow_state');
  assert.equal(flowState.size, FLOW_STATE_LEN);
  assert.deepEqual(Object.fromEntries(flowState.members!.map((m) => [m.name.toUpperCase(), m.bits_offset / 8])), FlowStateOffset);
  assert.equal(struct('event_buf').members!.find((m) => m.name === 'payload')!.bits_offset / 8, PAYLOAD);
  const key = struct('port_key');
  assert.equal(key.size, 8);
  assert.deepEqual(key.members!.map((m) => [m.name, m.bits_offset / 8]), [['ifindex', 0], ['port', 4], ['pad', 6]]);
  assert.equal(struct('capture_config').size, 8);
});

test('connection keys: one per connection and interface, the same both ways and from text', () => {
  const rec = (ifindex: number, v: 4 | 6, s: string, sport: number, d: string, dport: number) => {
    const b = Buffer.alloc(EVENT_HEADER_LEN);
    b.writeUInt32LE(ifindex, EventOffset.IFINDEX);
    b[EventOffset.IP_VERSION] = v;
    b[EventOffset.L4_PROTO] = 6;
    const bytes = (a: string) => (v === 4 ? Buffer.from(a.split('.').map(Number)) : encodeEgressRuleKey({ ifindex: 1, family: 6, address: a, prefixLength: 128, port: 1 }).subarray(12));
    bytes(s).copy(b, EventOffset.SADDR);
    bytes(d).copy(b, EventOffset.DADDR);
    b.writeUInt16LE(sport, EventOffset.SPORT);
    b.writeUInt16LE(dport, EventOffset.DPORT);
    return decodeCaptureEvent(b);
  };
  for (const [v, x, y] of [[4, '10.1.0.9', '10.1.0.10'], [6, 'fd00::9', 'fd00::1:0']] as const) {
    const out = rec(7, v, x, 40000, y, 8080);
    const back = rec(7, v, y, 8080, x, 40000);
    assert.equal(out.connection, back.connection);
    assert.equal(out.connection, connectionKey(7, 6, { address: y, port: 8080 }, { address: x, port: 40000 }));
    assert.notEqual(out.connection, rec(8, v, x, 40000, y, 8080).connection, 'another interface');
    assert.equal(tupleOfConnection(out.connection), tupleOfConnection(rec(8, v, y, 8080, x, 40000).connection));
    assert.notEqual(out.connection, rec(7, v, x, 40001, y, 8080).connection, 'another port');
    assert.notEqual(out.connection, rec(7, v, x, 8080, y, 40000).connection, 'ports swapped');
  }
  // same address on both sides: the ports order them
  assert.equal(rec(7, 4, '127.0.0.1', 5, '127.0.0.1', 9).connection, rec(7, 4, '127.0.0.1', 9, '127.0.0.1', 5).connection);
});
