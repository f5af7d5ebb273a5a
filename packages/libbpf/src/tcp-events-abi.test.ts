import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BpfError } from './errors.js';
import { TCP_EVENT_LEN, TcpEventOffset, decodeTcpEvent, encodeTcpPortKey, tcpStateName } from './tcp-events-abi.js';

function record(family: 4 | 6, saddr: number[], daddr: number[]): Buffer {
  const b = Buffer.alloc(TCP_EVENT_LEN);
  b.writeBigUInt64LE(123456789n, TcpEventOffset.TS_NS);
  b.writeUInt32LE(4026531833, TcpEventOffset.NETNS_INO);
  b[TcpEventOffset.KIND] = 1;
  b[TcpEventOffset.FAMILY] = family;
  b[TcpEventOffset.OLD_STATE] = 2;
  b[TcpEventOffset.NEW_STATE] = 1;
  Buffer.from(saddr).copy(b, TcpEventOffset.SADDR);
  Buffer.from(daddr).copy(b, TcpEventOffset.DADDR);
  b.writeUInt16LE(56994, TcpEventOffset.SPORT);
  b.writeUInt16LE(8080, TcpEventOffset.DPORT);
  b.writeBigUInt64LE(745n, TcpEventOffset.SOCK_COOKIE);
  return b;
}

const mapped = (a: number, b: number, c: number, d: number) => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d];

test('decodes an IPv4 state change', () => {
  assert.deepEqual(decodeTcpEvent(record(4, [10, 0, 0, 1], [10, 0, 0, 2])), {
    tsNs: 123456789n, netnsIno: 4026531833, kind: 'state', ipVersion: 4, oldState: 2, newState: 1,
    laddr: '10.0.0.1', lport: 56994, raddr: '10.0.0.2', rport: 8080, seq: 0, sockCookie: 745n,
  });
  assert.equal(tcpStateName(2), 'SYN_SENT');
  assert.equal(tcpStateName(99), 'STATE_99');
});

test('a dual-stack socket talking IPv4 is reported as IPv4; a real IPv6 one stays IPv6', () => {
  const e = decodeTcpEvent(record(6, mapped(10, 0, 0, 1), mapped(10, 0, 0, 2)));
  assert.equal(e.ipVersion, 4);
  assert.equal(e.laddr, '10.0.0.1');
  assert.equal(e.raddr, '10.0.0.2');
  const v6 = decodeTcpEvent(record(6, [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]));
  assert.equal(v6.ipVersion, 6);
  assert.equal(v6.laddr, 'fd00::1');
});

test('inconsistent records are refused', () => {
  const ok = record(4, [10, 0, 0, 1], [10, 0, 0, 2]);
  const isBad = (e: unknown) => e instanceof BpfError && e.code === 'EBADMSG';
  assert.throws(() => decodeTcpEvent(ok.subarray(0, 63)), isBad);
  const badKind = Buffer.from(ok);
  badKind[TcpEventOffset.KIND] = 9;
  assert.throws(() => decodeTcpEvent(badKind), isBad);
  const badFamily = Buffer.from(ok);
  badFamily[TcpEventOffset.FAMILY] = 5;
  assert.throws(() => decodeTcpEvent(badFamily), isBad);
  assert.throws(() => encodeTcpPortKey(0), (e: unknown) => e instanceof BpfError && e.code === 'EINVAL');
});
