// The v0.5 and v2.0 encoders, checked field by field with the decoders written from the spec
// (collector/report-decode.ts), on real frames from recorded pcaps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeV05, decodeV2 } from '../../collector/report-decode.js';
import { eventOf, fixtureFrames } from '../../testing/fixture-frames.js';
import { encodeReportV05 } from './report-v05.js';
import { encodeReportV2 } from './report-v2.js';

const udp = fixtureFrames('dns-udp.pcap')[0]!;
const tcp = fixtureFrames('python-http10-close.pcap')[0]!;
const v6 = fixtureFrames('node-ipv6.pcap')[0]!;
const T_IN = 1_763_900_000_123_456_789n;
const T_OUT = T_IN + 48_250n;
const low32 = (ns: bigint): number => Number(ns % 2n ** 32n);

test('v0.5 flow report: fixed header, switch-local header, inner frame', () => {
  const event = eventOf(tcp, { kind: 'HOP', ingressIfindex: 7, egressIfindex: 65_541, ingressTimeNs: T_IN, egressTimeNs: T_OUT });
  const bytes = encodeReportV05(event, { switchId: 0x0a000005, hwId: 9, seqNo: 4_000_000_001, dropReason: 29 });
  const r = decodeV05(bytes);
  assert.equal(bytes.length, 12 + 16 + tcp.frame.length);
  assert.deepEqual(
    { version: r.version, nproto: r.nproto, d: r.d, q: r.q, f: r.f, reserved: r.reserved, hwId: r.hwId, seqNo: r.seqNo, ingressTstamp: r.ingressTstamp },
    { version: 0, nproto: 2, d: 0, q: 0, f: 1, reserved: 0, hwId: 9, seqNo: 4_000_000_001, ingressTstamp: low32(T_IN) },
  );
  assert.deepEqual(
    { switchId: r.switchId, ingressPort: r.ingressPort, egressPort: r.egressPort, queueId: r.queueId, queueOccupancy: r.queueOccupancy, egressTstamp: r.egressTstamp },
    // ifindex 65541 does not fit 16 bits: its low 16 bits (5)
    { switchId: 0x0a000005, ingressPort: 7, egressPort: 5, queueId: 0, queueOccupancy: 0, egressTstamp: low32(T_OUT) },
  );
  assert.equal(r.dropReason, null);
  assert.deepEqual(r.inner, tcp.frame);
});

test('v0.5 drop report: D bit, drop header with the reason, inner frame cut at 128 bytes', () => {
  const long = fixtureFrames('python-http10-close.pcap').find((f) => f.frame.length > 128)!;
  const event = eventOf(long, { kind: 'DROP', ingressIfindex: 3, egressIfindex: 0, ingressTimeNs: null, dropTimeNs: T_IN, dropReasonName: 'IP_INNOROUTES' });
  const bytes = encodeReportV05(event, { switchId: 0xc0a80101, hwId: 63, seqNo: 1, dropReason: 29 });
  const r = decodeV05(bytes);
  assert.deepEqual(
    { version: r.version, nproto: r.nproto, d: r.d, q: r.q, f: r.f, reserved: r.reserved, hwId: r.hwId, seqNo: r.seqNo, ingressTstamp: r.ingressTstamp },
    // no ingress on this host: the drop time stands in
    { version: 0, nproto: 1, d: 1, q: 0, f: 0, reserved: 0, hwId: 63, seqNo: 1, ingressTstamp: low32(T_IN) },
  );
  assert.deepEqual(
    { switchId: r.switchId, ingressPort: r.ingressPort, egressPort: r.egressPort, queueId: r.queueId, dropReason: r.dropReason, pad: r.pad },
    { switchId: 0xc0a80101, ingressPort: 3, egressPort: 0, queueId: 0, dropReason: 29, pad: 0 },
  );
  assert.equal(bytes.length, 24 + 128);
  assert.deepEqual(r.inner, long.frame.subarray(0, 128));
});

test('v2.0 flow report: group header, individual report, interfaces, hop latency, both timestamps, padded frame', () => {
  const event = eventOf(udp, { kind: 'HOP', ingressIfindex: 12, egressIfindex: 2, ingressTimeNs: T_IN, egressTimeNs: T_OUT });
  const bytes = encodeReportV2(event, { switchId: 0x0a000005, hwId: 5, seqNo: 0x3f_fffe, dropReason: 0 });
  const r = decodeV2(bytes);
  const framePadded = Math.ceil(udp.frame.length / 4) * 4;
  assert.deepEqual(
    { version: r.version, hwId: r.hwId, seqNo: r.seqNo, nodeId: r.nodeId },
    { version: 2, hwId: 5, seqNo: 0x3f_fffe, nodeId: 0x0a000005 },
  );
  assert.deepEqual(
    { repType: r.repType, inType: r.inType, mdLength: r.mdLength, d: r.d, q: r.q, f: r.f, i: r.i, rsvd: r.rsvd, reportLength: r.reportLength },
    // MD: interfaces 1 + latency 1 + two 64-bit timestamps 4 = 6 words; report = 2 + 6 + frame words
    { repType: 1, inType: 3, mdLength: 6, d: 0, q: 0, f: 1, i: 0, rsvd: 0, reportLength: 2 + 6 + framePadded / 4 },
  );
  assert.deepEqual(
    { repMdBits: r.repMdBits, domainSpecificId: r.domainSpecificId, dsMdBits: r.dsMdBits, dsMdStatus: r.dsMdStatus },
    { repMdBits: 0b0110_1100_0000_0000, domainSpecificId: 0, dsMdBits: 0, dsMdStatus: 0 },
  );
  assert.deepEqual(
    { ingressInterface: r.ingressInterface, egressInterface: r.egressInterface, hopLatency: r.hopLatency, queueId: r.queueId, ingressTimestamp: r.ingressTimestamp, egressTimestamp: r.egressTimestamp, dropReason: r.dropReason },
    { ingressInterface: 12, egressInterface: 2, hopLatency: 48_250, queueId: null, ingressTimestamp: T_IN, egressTimestamp: T_OUT, dropReason: null },
  );
  assert.equal(bytes.length, r.declaredBytes);
  assert.deepEqual(r.inner.subarray(0, udp.frame.length), udp.frame);
  assert.ok(r.inner.subarray(udp.frame.length).every((b) => b === 0), 'padding is zero');
});

test('v2.0 drop report: D bit, drop reason metadata (bit 15), ingress time, IPv6 frame', () => {
  const event = eventOf(v6, { kind: 'DROP', ingressIfindex: 4, egressIfindex: 0, ingressTimeNs: T_IN, dropTimeNs: T_OUT, dropReasonName: 'NETFILTER_DROP' });
  const bytes = encodeReportV2(event, { switchId: 77, hwId: 0, seqNo: 1, dropReason: 80 });
  const r = decodeV2(bytes);
  assert.deepEqual(
    { version: r.version, hwId: r.hwId, seqNo: r.seqNo, nodeId: r.nodeId, repType: r.repType, inType: r.inType, d: r.d, q: r.q, f: r.f, i: r.i, mdLength: r.mdLength },
    // MD: interfaces 1 + ingress timestamp 2 + drop reason 1
    { version: 2, hwId: 0, seqNo: 1, nodeId: 77, repType: 1, inType: 3, d: 1, q: 0, f: 0, i: 0, mdLength: 4 },
  );
  assert.equal(r.repMdBits, (1 << 14) | (1 << 11) | 1);
  assert.deepEqual(
    { ingressInterface: r.ingressInterface, egressInterface: r.egressInterface, hopLatency: r.hopLatency, ingressTimestamp: r.ingressTimestamp, egressTimestamp: r.egressTimestamp, dropQueueId: r.dropQueueId, dropReason: r.dropReason, dropPadding: r.dropPadding },
    { ingressInterface: 4, egressInterface: 0, hopLatency: null, ingressTimestamp: T_IN, egressTimestamp: null, dropQueueId: 0, dropReason: 80, dropPadding: 0 },
  );
  assert.equal(bytes.length, r.declaredBytes);
  assert.deepEqual(r.inner.subarray(0, v6.frame.length), v6.frame);
});

test('v2.0 hop without an ingress time (originated on the host): no latency, no ingress timestamp', () => {
  const event = eventOf(tcp, { kind: 'HOP', ingressIfindex: 0, egressIfindex: 2, ingressTimeNs: null, egressTimeNs: T_OUT });
  const r = decodeV2(encodeReportV2(event, { switchId: 1, hwId: 1, seqNo: 2, dropReason: 0 }));
  assert.equal(r.repMdBits, (1 << 14) | (1 << 10));
  assert.deepEqual([r.hopLatency, r.ingressTimestamp, r.egressTimestamp, r.mdLength], [null, null, T_OUT, 3]);
});

test('v0.5 golden bytes: the headers written out by hand from the diagram', () => {
  const frame = udp.frame;
  const event = eventOf(udp, { kind: 'HOP', ingressIfindex: 7, egressIfindex: 5, ingressTimeNs: 0x1_1122_3344n, egressTimeNs: 0x5566_7788n });
  const flow = encodeReportV05(event, { switchId: 0x0a000005, hwId: 9, seqNo: 1, dropReason: 0 });
  //  ver0|nproto2  F   rsvd  hw 9 | seq 1    | ingress    | switch id | in  | out | q | occupancy | egress
  assert.equal(flow.subarray(0, 28).toString('hex'), '02' + '20' + '00' + '09' + '00000001' + '11223344' + '0a000005' + '0007' + '0005' + '00' + '000000' + '55667788');
  assert.deepEqual(flow.subarray(28), frame);
  const dropEvent = eventOf(udp, { kind: 'DROP', ingressIfindex: 7, egressIfindex: 0, ingressTimeNs: 0x1_1122_3344n, dropTimeNs: 0x9n, dropReasonName: 'IP_CSUM' });
  const drop = encodeReportV05(dropEvent, { switchId: 0x0a000005, hwId: 63, seqNo: 0xfffffffe, dropReason: 31 });
  //  ver0|nproto1  D   rsvd  hw 63 | seq      | ingress    | switch id | in  | out | q | reason | pad
  assert.equal(drop.subarray(0, 24).toString('hex'), '01' + '80' + '00' + '3f' + 'fffffffe' + '11223344' + '0a000005' + '0007' + '0000' + '00' + '1f' + '0000');
});

test('v2.0 golden bytes: group and individual headers of a drop report', () => {
  const event = eventOf(udp, { kind: 'DROP', ingressIfindex: 0x0102, egressIfindex: 0, ingressTimeNs: null, dropTimeNs: 0x0102_0304_0506_0708n, dropReasonName: 'IP_RPFILTER' });
  const bytes = encodeReportV2(event, { switchId: 0xc0a80001, hwId: 1, seqNo: 5, dropReason: 184 });
  const words = Math.ceil(udp.frame.length / 4);
  // Ver 2 | hw_id 1 | seq 5 → 0010 000001 0000000000000000000101
  assert.equal(bytes.subarray(0, 8).toString('hex'), '20400005' + 'c0a80001');
  // RepType 1 | InType 3 | Report Length | MD Length 4 | D=1 → 1000 0000
  assert.equal(bytes.subarray(8, 12).toString('hex'), '13' + (2 + 4 + words).toString(16).padStart(2, '0') + '04' + '80');
  // RepMdBits: bits 1, 4, 15 → 0100 1000 0000 0001; domain 0; DSMdBits 0; DSMdstatus 0
  assert.equal(bytes.subarray(12, 20).toString('hex'), '4801' + '0000' + '0000' + '0000');
  // ports | ingress timestamp (the drop time) | queue 0, reason 184, padding
  assert.equal(bytes.subarray(20, 36).toString('hex'), '01020000' + '0102030405060708' + '00b80000');
});
