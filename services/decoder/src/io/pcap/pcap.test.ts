import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError, TcpFlags } from '@clovisor/core';
import { decodePacket, ipv6Text, readCaptureFile } from './index.js';
import { readPackets } from './capture-file.js';
import { fixtureBytes } from '../../test-support/fixtures.js';

// Packet and payload-carrying segment counts as capinfos / tshark report them.
const COUNTS: Record<string, [number, number]> = {
  'node-big-any.pcapng': [20, 7], 'node-big-snaplen.pcap': [20, 7], 'node-connect.pcap': [22, 6],
  'node-head-304.pcap': [12, 4], 'node-http10-close.pcap': [12, 3], 'node-ipv6.pcap': [10, 2],
  'node-keepalive.pcap': [18, 9], 'node-pipelined.pcap': [14, 4], 'node-post-continue.pcap': [12, 4],
  'node-trace-headers.pcapng': [10, 2], 'node-upgrade.pcap': [13, 4], 'python-http-server.pcap': [34, 8],
  'python-http10-close.pcap': [12, 3],
};

/** Classic pcap records: [16-byte record header, frame]. */
function records(file: Buffer): { header: Buffer; recs: [Buffer, Buffer][] } {
  const recs: [Buffer, Buffer][] = [];
  for (let pos = 24; pos < file.length;) {
    const len = file.readUInt32LE(pos + 8);
    recs.push([file.subarray(pos, pos + 16), file.subarray(pos + 16, pos + 16 + len)]);
    pos += 16 + len;
  }
  return { header: file.subarray(0, 24), recs };
}
const build = (header: Buffer, recs: [Buffer, Buffer][]): Buffer => Buffer.concat([header, ...recs.flat()]);

test('every fixture: packet and payload segment counts agree with tshark', () => {
  for (const [name, [packets, withPayload]] of Object.entries(COUNTS)) {
    const { batches, stats } = readCaptureFile(fixtureBytes(name));
    assert.equal(stats.packets, packets, name);
    assert.equal(stats.tcpSegments, packets, name);
    const segs = batches.flatMap((b) => b.segments);
    assert.equal(segs.length, packets, name);
    assert.equal(segs.filter((s) => s.wireLength > 0).length, withPayload, name);
  }
});

test('a connection becomes one flow: client = SYN sender, batch fields, capture order', () => {
  const { batches, stats } = readCaptureFile(fixtureBytes('node-keepalive.pcap'), { node: 'n1', maxSegmentsPerBatch: 5 });
  assert.equal(stats.flows, 1);
  assert.equal(batches.length, 4); // 18 segments, 5 per batch
  const b = batches[0];
  assert.ok(b);
  assert.match(b.flowId, /^[0-9a-f]{16}$/);
  assert.ok(batches.every((x) => x.flowId === b.flowId));
  assert.deepEqual([b.node, b.interfaceName, b.transport, b.server, b.client.address, b.podRole, b.protocolHint, b.lostEventsBefore],
    ['n1', 'pcap0', 'TCP', { address: '127.0.0.1', port: 18080 }, '127.0.0.1', 'SERVER', null, 0]);
  const first = b.segments[0];
  assert.ok(first);
  assert.deepEqual([first.fromClient, first.flags & TcpFlags.SYN, first.wireLength], [true, TcpFlags.SYN, 0]);
  const ts = batches.flatMap((x) => x.segments.map((s) => s.timestampNs));
  assert.ok(ts.every((t, i) => i === 0 || t >= (ts[i - 1] as bigint)));
  assert.ok((ts[0] as bigint) > 1_600_000_000_000_000_000n); // epoch nanoseconds
  // Same bytes, same ids; another node, another id.
  assert.equal(readCaptureFile(fixtureBytes('node-keepalive.pcap'), { node: 'n1' }).batches[0]?.flowId, b.flowId);
  assert.notEqual(readCaptureFile(fixtureBytes('node-keepalive.pcap'), { node: 'n2' }).batches[0]?.flowId, b.flowId);
});

test('pcapng: interface names, Linux cooked (any) frames, snaplen keeps wire lengths', () => {
  const lo = readCaptureFile(fixtureBytes('node-trace-headers.pcapng'));
  assert.equal(lo.batches[0]?.interfaceName, 'lo');
  const any = readPackets(fixtureBytes('node-big-any.pcapng'), { truncatedRecords: 0, skippedBlocks: 0 });
  assert.ok(any.every((p) => p.linkType === 113 && p.interfaceName === 'any'));
  const anyBatch = readCaptureFile(fixtureBytes('node-big-any.pcapng')).batches[0];
  assert.equal(anyBatch?.segments.reduce((n, s) => n + s.payload.length, 0), 82 + 24742);
  const cut = readCaptureFile(fixtureBytes('node-big-snaplen.pcap')).batches[0];
  assert.equal(cut?.segments.reduce((n, s) => n + s.wireLength, 0), 82 + 24742);
  assert.ok(cut?.segments.every((s) => s.payload.length <= 256 - 66));
});

test('IPv6 addresses in RFC 5952 text', () => {
  const b = readCaptureFile(fixtureBytes('node-ipv6.pcap')).batches[0];
  assert.deepEqual([b?.client.address, b?.server.address], ['::1', '::1']);
  const v6 = (s: string) => ipv6Text(Buffer.from(s.replace(/:/g, ''), 'hex'), 0);
  assert.equal(v6('2001:0db8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
  assert.equal(v6('2001:0db8:0000:0000:0001:0000:0000:0001'), '2001:db8::1:0:0:1');
  assert.equal(v6('2001:0db8:0000:0001:0001:0001:0001:0001'), '2001:db8:0:1:1:1:1:1');
  assert.equal(v6('0000:0000:0000:0000:0000:0000:0000:0000'), '::');
  assert.equal(v6('fe80:0000:0000:0000:0000:0000:0000:0000'), 'fe80::');
});

test('big-endian, nanosecond pcap of the same packets reads the same', () => {
  const le = fixtureBytes('node-keepalive.pcap');
  const { header, recs } = records(le);
  const h = Buffer.alloc(24);
  h.writeUInt32BE(0xa1b23c4d, 0);
  h.writeUInt16BE(header.readUInt16LE(4), 4);
  h.writeUInt16BE(header.readUInt16LE(6), 6);
  h.writeUInt32BE(header.readUInt32LE(16), 16);
  h.writeUInt32BE(header.readUInt32LE(20), 20);
  const be = build(h, recs.map(([r, d]) => {
    const n = Buffer.alloc(16);
    n.writeUInt32BE(r.readUInt32LE(0), 0);
    n.writeUInt32BE(r.readUInt32LE(4) * 1000, 4); // µs → ns
    n.writeUInt32BE(r.readUInt32LE(8), 8);
    n.writeUInt32BE(r.readUInt32LE(12), 12);
    return [n, d];
  }));
  assert.deepEqual(readCaptureFile(be), readCaptureFile(le));
});

test('without the handshake the server is told by its port; configured server ports win', () => {
  const { header, recs } = records(fixtureBytes('node-keepalive.pcap'));
  const noSyn = build(header, recs.slice(3));
  const b = readCaptureFile(noSyn).batches[0];
  assert.equal(b?.server.port, 18080);
  assert.equal(b?.segments[0]?.fromClient, true); // the first request
  const clientPort = b?.client.port as number;
  assert.equal(readCaptureFile(noSyn, { serverPorts: [clientPort] }).batches[0]?.server.port, clientPort);
});

test('a new SYN on an ended connection\'s 4-tuple starts a new flow', () => {
  const { header, recs } = records(fixtureBytes('node-keepalive.pcap'));
  const later = recs.map(([r, d]): [Buffer, Buffer] => {
    const n = Buffer.from(r);
    n.writeUInt32LE(r.readUInt32LE(0) + 5, 0); // five seconds later
    return [n, d];
  });
  const { batches, stats } = readCaptureFile(build(header, [...recs, ...later]));
  assert.equal(stats.flows, 2);
  assert.equal(new Set(batches.map((b) => b.flowId)).size, 2);
});

test('VLAN-tagged Ethernet frames decode to the same TCP segments', () => {
  for (const [, frame] of records(fixtureBytes('node-keepalive.pcap')).recs) {
    const tagged = Buffer.concat([frame.subarray(0, 12), Buffer.from([0x81, 0x00, 0x00, 0x2a]), frame.subarray(12)]);
    assert.deepEqual(decodePacket(1, tagged, tagged.length), decodePacket(1, frame, frame.length));
  }
  // Ethernet pads short frames: bytes after the IP datagram are not payload.
  const [, ack] = records(fixtureBytes('node-keepalive.pcap')).recs[2] as [Buffer, Buffer];
  const padded = Buffer.concat([ack, Buffer.alloc(6)]);
  const r = decodePacket(1, padded, padded.length);
  assert.ok(r.kind === 'tcp');
  assert.deepEqual([r.packet.payload.length, r.packet.wireLength], [0, 0]);
  assert.deepEqual(decodePacket(1, Buffer.alloc(10), 10), { kind: 'skip', reason: 'malformed' });
  assert.deepEqual(decodePacket(147, Buffer.alloc(60), 60), { kind: 'skip', reason: 'link-type' });
});

test('a file cut mid-record keeps what it has; a file that is no capture is a DecodeError', () => {
  const whole = fixtureBytes('node-keepalive.pcap');
  const { stats } = readCaptureFile(whole.subarray(0, whole.length - 10));
  assert.deepEqual([stats.packets, stats.truncatedRecords], [17, 1]);
  const ng = fixtureBytes('node-trace-headers.pcapng');
  assert.equal(readCaptureFile(ng.subarray(0, ng.length - 7)).stats.truncatedRecords, 1);
  assert.throws(() => readCaptureFile(Buffer.from('this is not a capture file at all')),
    (e: unknown) => e instanceof DecodeError && e.code === 'PCAP_FORMAT');
  assert.throws(() => readCaptureFile(Buffer.alloc(4)), DecodeError);
});

test('UDP datagrams become UDP batches: one flow per 5-tuple, the first sender the client', () => {
  const { batches, stats } = readCaptureFile(fixtureBytes('dns-udp.pcap'));
  // tshark: 19 frames, all UDP, 10 source ports of dig.
  assert.deepEqual([stats.packets, stats.udpDatagrams, stats.tcpSegments, stats.flows, stats.skippedNotTcp], [19, 19, 0, 10, 0]);
  for (const b of batches) {
    assert.equal(b.transport, 'UDP');
    assert.deepEqual([b.server.port, b.client.address], [5353, '127.0.0.1']);
    assert.equal(b.segments[0]?.fromClient, true);
    for (const s of b.segments) assert.deepEqual([s.seq, s.flags, s.wireLength], [0, 0, s.payload.length]);
  }
  const glibc = readCaptureFile(fixtureBytes('dns-port53.pcap')).batches[0];
  assert.deepEqual(glibc?.segments.map((s) => [s.fromClient, s.payload.length]), [[true, 31], [true, 31], [false, 47], [false, 59]]); // udp.length - 8
});
