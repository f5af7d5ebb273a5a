// The pure pcapng export: frames rebuilt from records read back by the decoder's pcap reader to
// the same segments; checksums; interfaces; time order; filters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readCaptureFile, readPackets, decodePacket } from '@clovisor/decoder';
import type { Segment, SegmentBatch } from '@clovisor/core';
import { addressBytes, buildFrame, internetChecksum } from './pcap-export-frames.js';
import { PcapngExport, type ExportFilter } from './pcap-export-writer.js';

const fixture = (name: string): Buffer => readFileSync(fileURLToPath(new URL(`../../../../services/decoder/test-fixtures/${name}`, import.meta.url)));
const ALL: ExportFilter = { flows: new Set(), startNs: null, endNs: null };

function exportAll(batches: SegmentBatch[], filter = ALL, limits?: { reorderFrames: number; reorderBytes: number }): { file: Buffer; exporter: PcapngExport } {
  const exporter = new PcapngExport(filter, limits);
  const blocks = [exporter.header(), ...batches.flatMap((b) => exporter.add(b)), ...exporter.finish()];
  return { file: Buffer.concat(blocks), exporter };
}

/** flow id → its segments in capture order */
function byFlow(batches: SegmentBatch[]): Map<string, Segment[]> {
  const out = new Map<string, Segment[]>();
  for (const b of batches) out.set(b.flowId, [...(out.get(b.flowId) ?? []), ...b.segments]);
  return out;
}

for (const name of ['node-keepalive.pcap', 'node-ipv6.pcap', 'dns-udp.pcap', 'node-big-snaplen.pcap', 'node-trace-headers.pcapng', 'redis-pipelined.pcap']) {
  test(`${name}: exported pcapng reads back to the same flows, segments and payload bytes`, () => {
    const original = readCaptureFile(fixture(name), { node: 'n1', serverPorts: [53] });
    assert.ok(original.batches.length > 0);
    const { file, exporter } = exportAll(original.batches);
    const back = readCaptureFile(file, { node: 'n1', serverPorts: [53] });
    assert.equal(back.stats.skippedMalformed, 0);
    assert.equal(exporter.stats.packets, original.stats.tcpSegments + original.stats.udpDatagrams);
    assert.equal(exporter.stats.outOfOrder, 0);
    const want = byFlow(original.batches);
    const got = byFlow(back.batches);
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), 'same flow ids (same interface names, endpoints, first timestamps)');
    for (const [flowId, segments] of want) {
      const mine = got.get(flowId)!;
      assert.equal(mine.length, segments.length, flowId);
      segments.forEach((s, i) => {
        const m = mine[i]!;
        assert.deepEqual(
          [m.timestampNs, m.fromClient, m.seq, m.ack, m.flags, m.wireLength],
          [s.timestampNs, s.fromClient, s.seq, s.ack, s.flags, s.wireLength], `${flowId} segment ${i}`,
        );
        assert.ok(m.payload.equals(s.payload), `${flowId} segment ${i} payload`);
      });
    }
  });
}

test('the snaplen-cut fixture keeps captured < original lengths in the exported frames', () => {
  const original = readCaptureFile(fixture('node-big-snaplen.pcap'), { node: 'n1' });
  const cut = original.batches.flatMap((b) => b.segments).filter((s) => s.payload.length < s.wireLength);
  assert.ok(cut.length > 0, 'fixture has truncated segments');
  const { file, exporter } = exportAll(original.batches);
  assert.equal(exporter.stats.truncatedPackets, cut.length);
  const stats = { truncatedRecords: 0, skippedBlocks: 0 };
  const frames = readPackets(file, stats).filter((p) => p.data.length < p.originalLength);
  assert.equal(frames.length, cut.length);
  for (const [i, f] of frames.entries()) assert.equal(f.originalLength - f.data.length, cut[i]!.wireLength - cut[i]!.payload.length);
});

test('IPv4 header checksum matches the hand-computed RFC 1071 example', () => {
  // 45 00 00 73 00 00 40 00 40 11 [b8 61] c0 a8 00 01 c0 a8 00 c7 (a well-known worked example)
  const header = Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex');
  assert.equal(internetChecksum([header]), 0xb861);
  // odd-length parts are summed as one byte stream
  assert.equal(internetChecksum([header.subarray(0, 5), header.subarray(5)]), 0xb861);
});

const batch = (transport: 'TCP' | 'UDP', client: string, server: string, payload: Buffer, wireLength = payload.length): SegmentBatch => ({
  flowId: 'aaaaaaaaaaaaaaaa', node: 'n', interfaceName: 'eth9', ifindex: 3, transport,
  client: { address: client, port: 40000 }, server: { address: server, port: 80 }, podRole: 'SERVER', pod: null, protocolHint: null,
  segments: [{ timestampNs: 5n, fromClient: false, seq: 0xfffffff0, ack: 7, flags: 0x18, wireLength, payload }], lostEventsBefore: 0,
});

test('rebuilt headers: server → client direction, lengths, and checksums that verify', () => {
  for (const [transport, client, server] of [['TCP', '10.1.2.3', '10.1.2.4'], ['UDP', '10.1.2.3', '10.1.2.4'], ['TCP', 'fd00::1', 'fd00::2:1'], ['UDP', '::ffff:10.0.0.1', '2001:db8::7']] as const) {
    const b = batch(transport, client, server, Buffer.from('HTTP/1.1 200 OK\r\n\r\nx'));
    const { data, originalLength } = buildFrame(b, b.segments[0]!);
    assert.equal(originalLength, data.length);
    const v4 = client.includes('.') && !client.includes(':');
    const ipLen = v4 ? 20 : 40;
    const l4 = 14 + ipLen;
    if (v4) {
      assert.equal(internetChecksum([data.subarray(14, 34)]), 0, 'IPv4 header checksum verifies');
      assert.equal(data.readUInt16BE(16), data.length - 14, 'IPv4 total length');
    } else assert.equal(data.readUInt16BE(18), data.length - 54, 'IPv6 payload length');
    const src = data.subarray(v4 ? 26 : 22, v4 ? 30 : 38);
    const dst = data.subarray(v4 ? 30 : 38, v4 ? 34 : 54);
    assert.ok(src.equals(addressBytes(server)) && dst.equals(addressBytes(client)), 'from the server to the client');
    assert.equal(data.readUInt16BE(l4), 80);
    const segment = data.subarray(l4);
    const pseudo = v4
      ? Buffer.concat([src, dst, Buffer.from([0, transport === 'TCP' ? 6 : 17]), Buffer.from([segment.length >> 8, segment.length & 0xff])])
      : Buffer.concat([src, dst, Buffer.from([0, 0, segment.length >> 8, segment.length & 0xff, 0, 0, 0, transport === 'TCP' ? 6 : 17])]);
    assert.equal(internetChecksum([pseudo, segment]), 0, `${transport} ${client} checksum verifies`);
    const decoded = decodePacket(1, data, originalLength);
    assert.equal(decoded.kind, transport.toLowerCase());
  }
});

test('a payload cut by the snaplen: original length is the wire length, checksum left 0', () => {
  const b = batch('TCP', '10.0.0.1', '10.0.0.2', Buffer.from('GET /'), 5000);
  const { data, originalLength } = buildFrame(b, b.segments[0]!);
  assert.equal(data.length, 14 + 20 + 20 + 5);
  assert.equal(originalLength, 14 + 20 + 20 + 5000);
  assert.equal(data.readUInt16BE(16), 20 + 20 + 5000, 'IPv4 total length says the wire length');
  assert.equal(data.readUInt16BE(14 + 20 + 16), 0);
});

test('addresses: IPv6 forms parse, garbage is refused', () => {
  assert.equal(addressBytes('::').toString('hex'), '0'.repeat(32));
  assert.equal(addressBytes('fe80::1:2').toString('hex'), 'fe800000000000000000000000010002');
  assert.equal(addressBytes('1:2:3:4:5:6:7:8').toString('hex'), '00010002000300040005000600070008');
  assert.equal(addressBytes('::ffff:1.2.3.4').toString('hex'), '00000000000000000000ffff01020304');
  for (const bad of ['1.2.3.256', '1::2::3', '1:2:3:4:5:6:7:8:9', 'pod-a', '']) assert.throws(() => addressBytes(bad), /not an IP address/, bad);
});

test('frames of several partitions come out in time order; wider disorder is counted, not dropped', () => {
  const mk = (flowId: string, iface: string, times: bigint[]): SegmentBatch => ({
    ...batch('TCP', '10.0.0.1', '10.0.0.2', Buffer.from('x')), flowId, interfaceName: iface,
    segments: times.map((t) => ({ timestampNs: t, fromClient: true, seq: 1, ack: 1, flags: 0x18, wireLength: 1, payload: Buffer.from('x') })),
  });
  const batches = [mk('1111111111111111', 'a', [10n, 30n, 50n]), mk('2222222222222222', 'b', [20n, 40n]), mk('3333333333333333', 'a', [5n])];
  const ordered = exportAll(batches);
  const packets = readPackets(ordered.file, { truncatedRecords: 0, skippedBlocks: 0 });
  assert.deepEqual(packets.map((p) => p.timestampNs), [5n, 10n, 20n, 30n, 40n, 50n]);
  assert.deepEqual(packets.map((p) => p.interfaceName), ['a', 'a', 'b', 'a', 'b', 'a'], 'one IDB per interface, named');
  assert.equal(ordered.exporter.stats.interfaces, 2);
  const tight = exportAll(batches, ALL, { reorderFrames: 2, reorderBytes: 1 << 20 });
  assert.equal(tight.exporter.stats.packets, 6);
  assert.ok(tight.exporter.stats.outOfOrder > 0);
});

test('--flow and --start/--end select segments by flow id and capture time', () => {
  const original = readCaptureFile(fixture('node-keepalive.pcap'), { node: 'n1' }).batches;
  const flowId = original[0]!.flowId;
  const times = original.flatMap((b) => b.segments.map((s) => s.timestampNs)).sort((a, b) => (a < b ? -1 : 1));
  const from = times[2]!;
  const to = times[times.length - 2]!;
  const { file, exporter } = exportAll(original, { flows: new Set([flowId]), startNs: from, endNs: to });
  const kept = readPackets(file, { truncatedRecords: 0, skippedBlocks: 0 }).map((p) => p.timestampNs);
  const want = original.filter((b) => b.flowId === flowId).flatMap((b) => b.segments.map((s) => s.timestampNs)).filter((t) => t >= from && t < to);
  assert.deepEqual(kept, want.sort((a, b) => (a < b ? -1 : 1)));
  assert.equal(exporter.stats.filteredSegments, times.length - want.length);
});
