import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { BpfError } from './errors.js';
import {
  INT_CONFIG_LEN, INT_EVENT_LEN, INT_LATENCY_REPORTS_PER_INTERVAL, INT_RULE_LEN, INT_WAKEUP_GAP_NS, IntCounter, IntEventOffset, IntMode,
  decodeIntEvent, encodeIntConfig, encodeIntRule, intEventFrame, parseCidr,
} from './int-abi.js';

test('counter indices and limits are the ones bpf/int.bpf.c defines', () => {
  const c = readFileSync(new URL('../../../bpf/int.bpf.c', import.meta.url), 'utf8');
  const define = (name: string): string => {
    const m = new RegExp(`^#define ${name}\\s+(\\S+)`, 'm').exec(c);
    assert.ok(m, `int.bpf.c defines ${name}`);
    return m[1]!;
  };
  const counters = [...c.matchAll(/^#define CNT_(\w+)\s+(\d+)/gm)].filter((m) => m[1] !== 'MAX');
  assert.equal(counters.length, Object.keys(IntCounter).length, 'one TS counter per CNT_ define');
  for (const [, name, index] of counters) {
    const ts = { FP_MISMATCH: 'FINGERPRINT_MISMATCH' }[name!] ?? name!;
    assert.equal(IntCounter[ts as keyof typeof IntCounter], Number(index), `CNT_${name}`);
  }
  assert.equal(Number(define('CNT_MAX')), counters.length);
  assert.equal(Number(define('LATENCY_REPORTS_PER_INTERVAL')), INT_LATENCY_REPORTS_PER_INTERVAL);
  assert.equal(BigInt(define('WAKEUP_GAP_NS').replace(/ULL$/, '')), INT_WAKEUP_GAP_NS);
});

const isCode = (code: string) => (e: unknown) => e instanceof BpfError && e.code === code;

function record(o: { kind: number; trigger: number; family: 4 | 6; proto: number; flags: number; packet: Buffer; length: number }): Buffer {
  const b = Buffer.alloc(INT_EVENT_LEN);
  b.writeBigUInt64LE(1000n, IntEventOffset.INGRESS_NS);
  b.writeBigUInt64LE(o.kind === 1 ? 2500n : 0n, IntEventOffset.EGRESS_NS);
  b.writeBigUInt64LE(o.kind === 2 ? 3000n : 0n, IntEventOffset.DROP_NS);
  b.writeUInt32LE(7, IntEventOffset.INGRESS_IFINDEX);
  b.writeUInt32LE(o.kind === 1 ? 9 : 0, IntEventOffset.EGRESS_IFINDEX);
  b.writeUInt32LE(o.kind === 2 ? 15 : 0, IntEventOffset.DROP_REASON);
  b.writeUInt32LE(o.length, IntEventOffset.LENGTH);
  b[IntEventOffset.KIND] = o.kind;
  b[IntEventOffset.TRIGGER] = o.trigger;
  b[IntEventOffset.FLAGS] = o.flags;
  b[IntEventOffset.FAMILY] = o.family;
  b[IntEventOffset.PROTOCOL] = o.proto;
  b[IntEventOffset.CAP_LEN] = o.packet.length;
  if (o.family === 4) {
    Buffer.from([10, 1, 2, 3]).copy(b, IntEventOffset.SADDR);
    Buffer.from([10, 4, 5, 6]).copy(b, IntEventOffset.DADDR);
  } else {
    Buffer.from('fd000c11000000010000000000000002', 'hex').copy(b, IntEventOffset.SADDR);
    Buffer.from('fd000c11000000020000000000000002', 'hex').copy(b, IntEventOffset.DADDR);
  }
  b.writeUInt16LE(40000, IntEventOffset.SPORT);
  b.writeUInt16LE(53, IntEventOffset.DPORT);
  o.packet.copy(b, IntEventOffset.PACKET);
  return b;
}

test('decodes a hop: ports, times, tuple and the copied frame', () => {
  const frame = Buffer.alloc(60, 0xab);
  const e = decodeIntEvent(record({ kind: 1, trigger: 3, family: 4, proto: 17, flags: 1, packet: frame, length: 60 }));
  assert.deepEqual(e, {
    kind: 'HOP', trigger: 'LATENCY_BUCKET', ingressIfindex: 7, egressIfindex: 9, ingressNs: 1000n, egressNs: 2500n, dropNs: null,
    dropReason: null, ipVersion: 4,
    flow: { transport: 'UDP', source: { address: '10.1.2.3', port: 40000 }, destination: { address: '10.4.5.6', port: 53 } },
    hasL2: true, packet: frame, length: 60,
  });
  assert.deepEqual(intEventFrame(e), { packet: frame, packetLength: 60 });
});

test('a drop without a link-layer header gets a zero-MAC Ethernet header, cut at 128 bytes', () => {
  const ip = Buffer.alloc(128, 0x60);
  const e = decodeIntEvent(record({ kind: 2, trigger: 4, family: 6, proto: 6, flags: 0, packet: ip, length: 1500 }));
  assert.equal(e.kind, 'DROP');
  assert.equal(e.dropReason, 15);
  assert.equal(e.egressNs, null);
  assert.equal(e.egressIfindex, 0);
  assert.equal(e.flow.transport, 'TCP');
  assert.equal(e.flow.source.address, 'fd00:c11:0:1::2');
  assert.equal(e.hasL2, false);
  const f = intEventFrame(e);
  assert.equal(f.packetLength, 1514);
  assert.equal(f.packet.length, 128);
  assert.deepEqual(f.packet.subarray(0, 14), Buffer.from(`${'00'.repeat(12)}86dd`, 'hex'));
  assert.deepEqual(f.packet.subarray(14), ip.subarray(0, 114));
});

test('inconsistent records are refused', () => {
  const ok = record({ kind: 1, trigger: 1, family: 4, proto: 6, flags: 1, packet: Buffer.alloc(10), length: 10 });
  const bad = (off: number, v: number) => { const b = Buffer.from(ok); b[off] = v; return b; };
  assert.throws(() => decodeIntEvent(ok.subarray(1)), isCode('EBADMSG'));
  assert.throws(() => decodeIntEvent(bad(IntEventOffset.KIND, 3)), isCode('EBADMSG'));
  assert.throws(() => decodeIntEvent(bad(IntEventOffset.TRIGGER, 4)), isCode('EBADMSG'), 'a hop with trigger DROP');
  assert.throws(() => decodeIntEvent(bad(IntEventOffset.FAMILY, 5)), isCode('EBADMSG'));
  assert.throws(() => decodeIntEvent(bad(IntEventOffset.PROTOCOL, 1)), isCode('EBADMSG'));
  assert.throws(() => decodeIntEvent(bad(IntEventOffset.CAP_LEN, 129)), isCode('EBADMSG'));
});

test('CIDRs: IPv4, compressed IPv6, v4-mapped, bare hosts; host bits are cleared', () => {
  const c = parseCidr('10.1.2.3/16');
  assert.equal(c.family, 4);
  assert.deepEqual([...c.net.subarray(0, 4)], [10, 1, 0, 0]);
  assert.deepEqual([...c.mask.subarray(0, 4)], [255, 255, 0, 0]);
  assert.ok(c.mask.subarray(4).every((x) => x === 0));
  const v6 = parseCidr('fd00:c11::1:2/65');
  assert.equal(v6.family, 6);
  assert.equal(v6.net.toString('hex'), 'fd000c11000000000000000000000000');
  assert.equal(v6.mask.toString('hex'), 'ffffffffffffffff8000000000000000');
  assert.equal(parseCidr('::ffff:10.0.0.1').net.toString('hex'), '00000000000000000000ffff0a000001');
  assert.equal(parseCidr('1::').net.toString('hex'), '00010000000000000000000000000000');
  assert.equal(parseCidr('10.0.0.7').mask.subarray(0, 4).toString('hex'), 'ffffffff');
  for (const bad of ['10.0.0.0/33', '10.0.0/8', 'fd00::/129', 'x', '10.0.0.0/8/1', '10.0.0.0/-1', '10.0.0.0/ 8']) {
    assert.throws(() => parseCidr(bad), isCode('EINVAL'), bad);
  }
});

test('rule layout: nets, masks, ports, family, protocol', () => {
  const r = encodeIntRule({ protocol: 'UDP', srcCidr: '10.0.0.0/8', dstCidr: '192.168.1.9', dstPort: 53 });
  assert.equal(r.length, INT_RULE_LEN);
  assert.equal(r.subarray(0, 4).toString('hex'), '0a000000');
  assert.equal(r.subarray(16, 20).toString('hex'), 'ff000000');
  assert.equal(r.subarray(32, 36).toString('hex'), 'c0a80109');
  assert.equal(r.subarray(48, 52).toString('hex'), 'ffffffff');
  assert.equal(r.readUInt16LE(64), 0);
  assert.equal(r.readUInt16LE(66), 53);
  assert.equal(r[68], 4);
  assert.equal(r[69], 17);
  const any = encodeIntRule({});
  assert.ok(any.every((x) => x === 0), 'no fields: any family, protocol, address, port');
  assert.equal(encodeIntRule({ dstCidr: 'fd00::/8', protocol: 'TCP' })[68], 6);
  assert.throws(() => encodeIntRule({ srcCidr: '10.0.0.0/8', dstCidr: 'fd00::/8' }), isCode('EINVAL'));
  assert.throws(() => encodeIntRule({ srcPort: 70000 }), isCode('EINVAL'));
  assert.throws(() => encodeIntRule({ protocol: 'ICMP' as 'TCP' }), isCode('EINVAL'));
});

test('config layout and limits', () => {
  const c = encodeIntConfig({ mode: IntMode.RULES, ruleCount: 3, intervalNs: 1_000_000_000n, latencyBucketShift: 16, maxAgeNs: 5n });
  assert.equal(c.length, INT_CONFIG_LEN);
  assert.equal(c.readUInt32LE(0), 1);
  assert.equal(c.readUInt32LE(4), 3);
  assert.equal(c.readBigUInt64LE(8), 1_000_000_000n);
  assert.equal(c.readUInt32LE(16), 16);
  assert.equal(c.readBigUInt64LE(24), 5n);
  const base = { mode: IntMode.ALL, ruleCount: 0, intervalNs: 0n, latencyBucketShift: 64, maxAgeNs: 0n } as const;
  assert.doesNotThrow(() => encodeIntConfig(base));
  assert.throws(() => encodeIntConfig({ ...base, ruleCount: 65 }), isCode('EINVAL'));
  assert.throws(() => encodeIntConfig({ ...base, latencyBucketShift: 65 }), isCode('EINVAL'));
  assert.throws(() => encodeIntConfig({ ...base, intervalNs: -1n }), isCode('EINVAL'));
  assert.throws(() => encodeIntConfig({ ...base, mode: 3 as 2 }), isCode('EINVAL'));
});
