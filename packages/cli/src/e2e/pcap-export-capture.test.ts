// `clovisor pcap export` of real captured traffic: two pods (network namespaces behind veths), a
// real HTTP server and curl, `clovisor capture` with eBPF on the server's host-side veth and a
// small snaplen (so responses are cut), then the export checked frame by frame by tshark against
// the SegmentBatch records the capture wrote to an isolated topic of the real Kafka.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { codecs, type SegmentBatch } from '@clovisor/core';
import { readCaptureFile } from '@clovisor/decoder';
import { Lab, type Pod } from '../lab/pods.js';
import { CLOVISOR_BIN, startClovisor } from '../lab/pipeline-process.js';
import { isolatedTopics, type IsolatedTopics } from '../lab/isolated-topics.js';
import { readFirstRecords } from '../lab/read-first-records.js';
import { assertFramesMatchRecords } from '../lab/tshark-check.js';
import { serveHttp } from '../lab/serve-http.js';

const BROKERS = process.env['CLOVISOR_BROKERS'] ?? '127.0.0.1:9092';
const PORT = 8080;
const SNAPLEN = 64;
const PATHS = ['/a', '/chunked', '/missing', '/slow?ms=20', '/b?x=1'];

let lab: Lab;
let front: Pod;
let back: Pod;
let topics: IsolatedTopics;
let records: SegmentBatch[] = [];
const dir = mkdtempSync(join(tmpdir(), 'clovisor-pcap-capture-'));

before(async () => {
  topics = isolatedTopics(BROKERS, 'pcap-capture');
  lab = new Lab();
  front = await lab.addPod('front');
  back = await lab.addPod('back');
  await serveHttp(back, PORT);
  const capture = await startClovisor(
    ['capture', '--interface', `${back.hostInterface}=backend`, '--port', `${PORT}=http`, '--snaplen', String(SNAPLEN), '--metrics-port', '0', '--node', 'lab-node'],
    { ...topics.env, CLOVISOR_BROKERS: BROKERS },
  );
  const topic = `clovisor.segments.v1${topics.suffix}`;
  try {
    for (const path of PATHS) await front.exec('curl', ['-sS', '--max-time', '15', `http://${back.address}:${PORT}${path}`]);
    records = await segmentsOfAllRequests(topic);
  } finally {
    assert.equal(await capture.stop(), 0, capture.log());
  }
});

/** The topic's records once they hold every request's connection, closed on both sides. */
async function segmentsOfAllRequests(topic: string): Promise<SegmentBatch[]> {
  const admin = new Kafka({ clientId: 'clovisor-pcap-capture-test', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const count = (await admin.fetchTopicOffsets(topic).catch(() => [])).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
      const batches = count === 0 ? [] : (await readFirstRecords(BROKERS, topic, count)).map((r) => codecs().segments.decode(r.value));
      const fins = new Map<string, number>();
      for (const b of batches) for (const s of b.segments) if (s.flags & 0x01) fins.set(b.flowId, (fins.get(b.flowId) ?? 0) + 1);
      if ([...fins.values()].filter((n) => n >= 2).length >= PATHS.length) return batches;
      if (Date.now() > deadline) throw new Error(`after 30 s ${topic} holds ${batches.length} batches, ${fins.size} flows with a FIN; capture did not publish all ${PATHS.length} connections`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    await admin.disconnect();
  }
}

after(async () => {
  await lab?.destroy();
  await topics?.remove();
});

test('captured traffic exports to a pcapng tshark reads field by field like the records, cut payloads keeping their length', () => {
  const file = join(dir, 'captured.pcapng');
  const res = spawnSync(process.execPath, [CLOVISOR_BIN, 'pcap', 'export', '--topic', `clovisor.segments.v1${topics.suffix}`, '-o', file, '--brokers', BROKERS], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(res.status, 0, res.stderr);
  const segments = records.reduce((n, b) => n + b.segments.length, 0);
  assert.match(res.stdout, new RegExp(`^wrote ${segments} packets \\(${PATHS.length} flows, 1 interfaces, `));
  const counts = assertFramesMatchRecords(file, records, { http: [PORT], dns: [] });
  assert.equal(counts.frames, segments);
  assert.equal(counts.methods, PATHS.length, 'every request line dissected');
  assert.equal(counts.statuses, PATHS.length, 'every status line dissected');
  assert.ok(counts.cut >= PATHS.length, `${counts.cut} frames cut at the ${SNAPLEN}-byte snaplen`);
  for (const b of records) assert.equal(b.interfaceName, back.hostInterface);
  // and the file reads back to the captured payload bytes
  const back2 = readCaptureFile(readFileSync(file), { node: 'lab-node' });
  const bytes = (batches: SegmentBatch[]) => Buffer.concat(batches.flatMap((b) => b.segments).sort((x, y) => (x.timestampNs < y.timestampNs ? -1 : 1)).map((s) => s.payload));
  assert.ok(bytes(back2.batches).equals(bytes(records)));
});
