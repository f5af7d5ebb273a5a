// tshark (real, with checksum validation on) against SegmentBatch records: every frame of a
// `clovisor pcap export` file must carry the fields of its segment, and tshark must flag nothing
// at warning level or above. Used by the pcap export tests.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { SegmentBatch } from '@clovisor/core';

export interface DissectPorts {
  /** server ports dissected as HTTP/1 (each segment on its own: no reassembly) */
  http: number[];
  /** server ports whose UDP payloads are DNS */
  dns: number[];
}

/** What the comparison saw, so a test can require that it compared something. */
export interface FrameCounts {
  frames: number;
  methods: number;
  statuses: number;
  names: number;
  cut: number;
}

function tshark(args: string[]): string {
  const res = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (res.error) throw new Error(`tshark: ${res.error.message}; install it with scripts/ensure-system.sh (Debian package tshark)`);
  assert.equal(res.status, 0, res.stderr);
  return res.stdout;
}

const FIELDS = [
  'frame.time_epoch', 'frame.interface_name', 'frame.comment', 'ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst',
  'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.flags', 'tcp.len', 'udp.length',
  'frame.len', 'frame.cap_len', 'http.request.method', 'http.response.code', 'dns.qry.name',
  'ip.checksum.status', 'tcp.checksum.status', 'udp.checksum.status', '_ws.expert.severity', '_ws.expert.message', '_ws.malformed',
] as const;
type Row = Record<(typeof FIELDS)[number], string>;

function dissect(file: string, ports: DissectPorts): Row[] {
  const out = tshark([
    '-r', file, '-n', '-T', 'fields', '-E', 'separator=\t', '-E', 'aggregator=|',
    '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
    // one request or response line per segment: each segment's own fields, no reassembly
    '-o', 'tcp.desegment_tcp_streams:FALSE', ...ports.http.flatMap((p) => ['-d', `tcp.port==${p},http`]),
    ...FIELDS.flatMap((f) => ['-e', f]),
  ]);
  return out.split('\n').filter((l) => l !== '').map((line) => {
    const cols = line.split('\t');
    return Object.fromEntries(FIELDS.map((f, i) => [f, cols[i] ?? ''])) as Row;
  });
}

/** The first question's name of a DNS message (what dns.qry.name shows), or ''. */
function dnsQuestionName(payload: Buffer): string {
  const labels: string[] = [];
  let at = 12;
  while (at < payload.length && payload[at]! > 0 && payload[at]! < 64) {
    labels.push(payload.toString('latin1', at + 1, at + 1 + payload[at]!));
    at += 1 + payload[at]!;
  }
  return labels.join('.');
}

const SEVERITY_WARN = 0x600000;
// Wireshark's checksum status: 1 good, 2 unverified (the snaplen cut the bytes it covers)
const GOOD = '1';
const UNVERIFIED = '2';

/** Every frame of `file` against the segments of `records`, in capture-time order. */
export function assertFramesMatchRecords(file: string, records: SegmentBatch[], ports: DissectPorts): FrameCounts {
  const rows = dissect(file, ports);
  const expected = records
    .flatMap((batch) => batch.segments.map((segment) => ({ batch, segment })))
    .sort((a, b) => (a.segment.timestampNs < b.segment.timestampNs ? -1 : a.segment.timestampNs > b.segment.timestampNs ? 1 : 0));
  assert.equal(rows.length, expected.length);
  let methods = 0;
  let statuses = 0;
  let names = 0;
  let cut = 0;
  rows.forEach((row, i) => {
    const { batch, segment } = expected[i]!;
    const at = `frame ${i + 1} (flow ${batch.flowId})`;
    const from = segment.fromClient ? batch.client : batch.server;
    const to = segment.fromClient ? batch.server : batch.client;
    const v6 = from.address.includes(':');
    const tcp = batch.transport === 'TCP';
    const headers = 14 + (v6 ? 40 : 20) + (tcp ? 20 : 8);
    const captured = Math.min(segment.payload.length, segment.wireLength);
    assert.equal(row['frame.time_epoch'].replace('.', '').replace(/^0+/, ''), segment.timestampNs.toString(), `${at} time`);
    assert.equal(row['frame.interface_name'], batch.interfaceName, at);
    assert.equal(row['frame.comment'], `clovisor flow ${batch.flowId}`, at);
    assert.equal(v6 ? row['ipv6.src'] : row['ip.src'], from.address, `${at} source`);
    assert.equal(v6 ? row['ipv6.dst'] : row['ip.dst'], to.address, `${at} destination`);
    assert.equal(row['frame.len'], String(headers + segment.wireLength), `${at} wire length`);
    assert.equal(row['frame.cap_len'], String(headers + captured), `${at} captured length`);
    if (!v6) assert.equal(row['ip.checksum.status'], GOOD, `${at} IPv4 checksum`);
    if (tcp) {
      assert.deepEqual([row['tcp.srcport'], row['tcp.dstport']], [String(from.port), String(to.port)], at);
      assert.equal(row['tcp.seq_raw'], String(segment.seq), `${at} seq`);
      assert.equal(row['tcp.ack_raw'], String(segment.ack), `${at} ack`);
      assert.equal(Number(row['tcp.flags']), segment.flags, `${at} flags`);
      assert.equal(row['tcp.len'], String(segment.wireLength), `${at} tcp.len`);
      assert.equal(row['tcp.checksum.status'], captured === segment.wireLength ? GOOD : UNVERIFIED, `${at} TCP checksum`);
    } else {
      assert.deepEqual([row['udp.srcport'], row['udp.dstport']], [String(from.port), String(to.port)], at);
      assert.equal(row['udp.length'], String(8 + segment.wireLength), at);
      assert.equal(row['udp.checksum.status'], GOOD, `${at} UDP checksum`);
      const name = dnsQuestionName(segment.payload);
      if (ports.dns.includes(batch.server.port)) {
        assert.equal(row['dns.qry.name'], name, `${at} DNS name`);
        names++;
      }
    }
    const text = segment.payload.toString('latin1', 0, Math.min(captured, 64));
    if (tcp && ports.http.includes(batch.server.port)) {
      const request = /^([A-Z]+) \S+ HTTP\/1\.[01]\r\n/.exec(text);
      const response = /^HTTP\/1\.[01] (\d{3})[ \r]/.exec(text);
      assert.equal(row['http.request.method'], request?.[1] ?? '', `${at} method`);
      assert.equal(row['http.response.code'], response?.[1] ?? '', `${at} status`);
      if (request) methods++;
      if (response) statuses++;
    }
    if (captured < segment.wireLength) cut++;
    const severities = row['_ws.expert.severity'].split('|').filter(Boolean).map(Number);
    assert.ok(severities.every((s) => s < SEVERITY_WARN), `${at}: tshark flags ${row['_ws.expert.message']}`);
    assert.equal(row['_ws.malformed'], '', `${at} malformed`);
  });
  return { frames: rows.length, methods, statuses, names, cut };
}
