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
import { readFirstRecords, type TopicRecord } from '../lab/read-first-records.js';
import { assertFramesMatchRecords } from '../lab/tshark-check.js';

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

let records: SegmentBatch[] = [];
let inKafka: TopicRecord[] = [];
let exported = '';

before(async () => {
  let published = 0;
  for (const file of FILES) {
    const res = clovisor(['pcap', 'import', join(FIXTURES, file), '--topic', TOPIC, '--node', NODE, '--partitions', '3', '--brokers', BROKERS]);
    assert.equal(res.code, 0, `${file}: ${res.stderr}`);
    published += Number(/published (\d+) batches/.exec(res.stdout)![1]);
  }
  inKafka = await readFirstRecords(BROKERS, TOPIC, published);
  records = inKafka.map((r) => codecs().segments.decode(r.value));
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

test('tshark reads every exported frame with the fields of the records in Kafka, no warnings', () => {
  const counts = assertFramesMatchRecords(exported, records, { http: HTTP_PORTS, dns: DNS_PORTS });
  // the fixtures have these; a test that compared nothing would prove nothing
  assert.ok(counts.methods >= 6 && counts.statuses >= 6, `${counts.methods} requests, ${counts.statuses} responses dissected`);
  assert.ok(counts.names >= 10, `${counts.names} DNS messages`);
  assert.ok(counts.cut >= 5, `${counts.cut} snaplen-cut frames`);
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

test('--start/--end as ISO times select segments by capture time (nanoseconds), --flow by flow id', () => {
  const keepalive = readCaptureFile(readFileSync(join(FIXTURES, 'node-keepalive.pcap')), { node: NODE }).batches;
  const flowId = keepalive[0]!.flowId;
  const times = keepalive.flatMap((b) => b.segments.map((s) => s.timestampNs));
  const from = times[3]!;
  const to = times[times.length - 3]!;
  const iso = (ns: bigint) => `${new Date(Number(ns / 1_000_000_000n) * 1000).toISOString().slice(0, 19)}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`;
  const file = join(dir, 'window.pcapng');
  const res = clovisor(['pcap', 'export', '--topic', TOPIC, '-o', file, '--brokers', BROKERS, '--flow', flowId, '--start', iso(from), '--end', iso(to)]);
  assert.equal(res.code, 0, res.stderr);
  const want = times.filter((t) => t >= from && t < to);
  const got = readCaptureFile(readFileSync(file), { node: NODE });
  assert.deepEqual(got.batches.flatMap((b) => b.segments.map((s) => s.timestampNs)), want);
  assert.match(res.stdout, new RegExp(`^wrote ${want.length} packets \\(1 flows, `));
});

test('--partition and --start/--end offsets bound the range; a missing topic is one clear line', () => {
  // the partition holding most records; offsets [1, 3) of it: a seek past the first record
  const counts = [0, 1, 2].map((p) => inKafka.filter((r) => r.partition === p).length);
  const partition = counts.indexOf(Math.max(...counts));
  assert.ok(counts[partition]! >= 3, `partition ${partition} holds ${counts[partition]} records`);
  const chosen = inKafka.filter((r) => r.partition === partition && (r.offset === '1' || r.offset === '2')).map((r) => codecs().segments.decode(r.value));
  const file = join(dir, 'offsets.pcapng');
  const res = clovisor(['pcap', 'export', '--topic', TOPIC, '-o', file, '--brokers', BROKERS, '--partition', String(partition), '--start', '1', '--end', '3']);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, / from 2 records /);
  const want = chosen.flatMap((b) => b.segments.map((s) => s.timestampNs)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  assert.deepEqual(readCaptureFile(readFileSync(file)).batches.flatMap((b) => b.segments.map((s) => s.timestampNs)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), want);
  const missing = clovisor(['pcap', 'export', '--topic', `${TOPIC}-nope`, '-o', join(dir, 'x.pcapng'), '--brokers', BROKERS]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr.trim(), /^[^\n]*topic \S+-nope does not exist/);
  const badStart = clovisor(['pcap', 'export', '--topic', TOPIC, '-o', join(dir, 'x.pcapng'), '--start', 'yesterday']);
  assert.equal(badStart.code, 2);
  assert.match(badStart.stderr, /--start "yesterday": give an offset/);
});
