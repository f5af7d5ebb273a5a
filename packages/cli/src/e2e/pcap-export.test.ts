// `clovisor pcap import` of recorded captures into an isolated topic of the real Kafka, then
// `clovisor pcap export`: tshark (real, with checksum validation on) must read every frame with
// the addresses, ports, seq/ack, flags, lengths and protocol fields of the records in Kafka, flag
// no warning or error; and the exported file must give back every payload byte of every flow.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { codecs, type SegmentBatch } from '@clovisor/core';
import { readCaptureFile } from '@clovisor/decoder';
import { CLOVISOR_BIN } from '../lab/pipeline-process.js';
import { readTopic } from '../lab/read-topic.js';

const FIXTURES = fileURLToPath(new URL('../../../../services/decoder/test-fixtures/', import.meta.url));
const BROKERS = process.env['CLOVISOR_BROKERS'] ?? '127.0.0.1:9092';
const TOPIC = `clovisor.segments.v1.pcapexport-${randomBytes(3).toString('hex')}`;
const NODE = 'n1';
// HTTP (one request per segment, a 100-continue, a snaplen-cut response), IPv6, DNS over UDP,
// Redis with 32 KiB+ segments, a pcapng of `-i any`.
const FILES = ['node-keepalive.pcap', 'node-post-continue.pcap', 'node-ipv6.pcap', 'node-big-snaplen.pcap', 'dns-udp.pcap', 'redis-basic.pcap', 'node-big-any.pcapng'];
const HTTP_PORTS = [18080];
const DNS_PORTS = [53, 5353]; // dns-udp.pcap's server listens on 5353
const dir = mkdtempSync(join(tmpdir(), 'clovisor-pcap-export-'));
const kafka = new Kafka({ clientId: 'clovisor-pcap-export-test', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING });

function clovisor(args: string[]) {
  const res = spawnSync(process.execPath, [CLOVISOR_BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

function tshark(args: string[]): string {
  const res = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (res.error) throw new Error(`tshark: ${res.error.message}; install it with scripts/ensure-system.sh (Debian package tshark)`);
  assert.equal(res.status, 0, res.stderr);
  return res.stdout;
}

let records: SegmentBatch[] = [];
let exported = '';

before(async () => {
  let published = 0;
  for (const file of FILES) {
    const res = clovisor(['pcap', 'import', join(FIXTURES, file), '--topic', TOPIC, '--node', NODE, '--partitions', '3', '--brokers', BROKERS]);
    assert.equal(res.code, 0, `${file}: ${res.stderr}`);
    published += Number(/published (\d+) batches/.exec(res.stdout)![1]);
  }
  records = (await readTopic(BROKERS, TOPIC, published)).map((r) => codecs().segments.decode(r.value));
  exported = join(dir, 'all.pcapng');
  const res = clovisor(['pcap', 'export', '--topic', TOPIC, '-o', exported, '--brokers', BROKERS]);
  assert.equal(res.code, 0, res.stderr);
  const segments = records.reduce((n, b) => n + b.segments.length, 0);
  assert.match(res.stdout, new RegExp(`^wrote ${segments} packets \\(\\d+ flows, 2 interfaces, \\d+ cut by the snaplen, \\d+ payload bytes\\) from ${published} records of ${TOPIC.replaceAll('.', '\\.')} to `));
});

after(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [TOPIC] }).catch(() => undefined);
  await admin.disconnect();
});

const FIELDS = [
  'frame.time_epoch', 'frame.interface_name', 'frame.comment', 'ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst',
  'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.flags', 'tcp.len', 'udp.length',
  'frame.len', 'frame.cap_len', 'http.request.method', 'http.response.code', 'dns.qry.name',
  'ip.checksum.status', 'tcp.checksum.status', 'udp.checksum.status', '_ws.expert.severity', '_ws.expert.message', '_ws.malformed',
] as const;
type Row = Record<(typeof FIELDS)[number], string>;

function dissect(file: string): Row[] {
  const out = tshark([
    '-r', file, '-n', '-T', 'fields', '-E', 'separator=\t', '-E', 'aggregator=|',
    '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
    // one request or response line per segment: each segment's own fields, no reassembly
    '-o', 'tcp.desegment_tcp_streams:FALSE', ...HTTP_PORTS.flatMap((p) => ['-d', `tcp.port==${p},http`]),
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

test('tshark reads every exported frame with the fields of the records in Kafka, no warnings', () => {
  const rows = dissect(exported);
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
      if (DNS_PORTS.includes(batch.server.port)) {
        assert.equal(row['dns.qry.name'], name, `${at} DNS name`);
        names++;
      }
    }
    const text = segment.payload.toString('latin1', 0, Math.min(captured, 64));
    if (tcp && HTTP_PORTS.includes(batch.server.port)) {
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
  // the fixtures have these; a test that compared nothing would prove nothing
  assert.ok(methods >= 6 && statuses >= 6, `${methods} requests, ${statuses} responses dissected`);
  assert.ok(names >= 10, `${names} DNS messages`);
  assert.ok(cut >= 5, `${cut} snaplen-cut frames`);
});

test('round trip: import → Kafka → export gives back every payload byte of every flow', () => {
  for (const file of FILES) {
    const original = readCaptureFile(readFileSync(join(FIXTURES, file)), { node: NODE });
    const flows = [...new Set(original.batches.map((b) => b.flowId))];
    const one = join(dir, `${file}.pcapng`);
    const res = clovisor(['pcap', 'export', '--topic', TOPIC, '-o', one, '--brokers', BROKERS, ...flows.flatMap((f) => ['--flow', f])]);
    assert.equal(res.code, 0, res.stderr);
    const back = readCaptureFile(readFileSync(one), { node: NODE });
    assert.equal(back.stats.skippedMalformed, 0);
    const bytesOf = (batches: SegmentBatch[]) => {
      const m = new Map<string, { client: Buffer[]; server: Buffer[]; wire: number }>();
      for (const b of batches) {
        const e = m.get(b.flowId) ?? { client: [], server: [], wire: 0 };
        for (const s of b.segments) {
          (s.fromClient ? e.client : e.server).push(s.payload);
          e.wire += s.wireLength;
        }
        m.set(b.flowId, e);
      }
      return m;
    };
    const want = bytesOf(original.batches);
    const got = bytesOf(back.batches);
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), `${file}: the same flows (flow ids) and only them`);
    for (const [flowId, w] of want) {
      const g = got.get(flowId)!;
      assert.ok(Buffer.concat(g.client).equals(Buffer.concat(w.client)), `${file} ${flowId}: client bytes`);
      assert.ok(Buffer.concat(g.server).equals(Buffer.concat(w.server)), `${file} ${flowId}: server bytes`);
      assert.equal(g.wire, w.wire, `${file} ${flowId}: wire lengths`);
    }
  }
});

test('--partition and --start/--end offsets bound the range; a missing topic is one clear line', () => {
  const onePartition = join(dir, 'p0.pcapng');
  const res = clovisor(['pcap', 'export', '--topic', TOPIC, '-o', onePartition, '--brokers', BROKERS, '--partition', '0', '--start', '0', '--end', '1']);
  assert.equal(res.code, 0, res.stderr);
  const packets = Number(/^wrote (\d+) packets .* from (\d+) records/.exec(res.stdout)![1]);
  const records = Number(/ from (\d+) records/.exec(res.stdout)![1]);
  assert.equal(records, 1, res.stdout);
  assert.equal(readCaptureFile(readFileSync(onePartition)).stats.packets, packets);
  const missing = clovisor(['pcap', 'export', '--topic', `${TOPIC}-nope`, '-o', join(dir, 'x.pcapng'), '--brokers', BROKERS]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr.trim(), /^[^\n]*topic \S+-nope does not exist/);
  const badStart = clovisor(['pcap', 'export', '--topic', TOPIC, '-o', join(dir, 'x.pcapng'), '--start', 'yesterday']);
  assert.equal(badStart.code, 2);
  assert.match(badStart.stderr, /--start "yesterday": give an offset/);
});
