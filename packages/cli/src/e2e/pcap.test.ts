// `clovisor pcap decode|import` on the decoder's real recorded captures, through the real CLI
// binary, and for import through the real Kafka of the local stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Topics, codecs, createKafka, createLogger, ensureTopics, type SegmentBatch } from '@clovisor/core';
import { FlowDecoder, readCaptureFile } from '@clovisor/decoder';
import { CLOVISOR_BIN } from '../lab/pipeline-process.js';

const FIXTURES = fileURLToPath(new URL('../../../../services/decoder/test-fixtures/', import.meta.url));
const BROKERS = process.env['CLOVISOR_BROKERS'] ?? '127.0.0.1:9092';

function clovisor(args: string[]) {
  const res = spawnSync(process.execPath, [CLOVISOR_BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

function assertOneLineError(stderr: string, pattern: RegExp) {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0]!, pattern);
}

type Line = Record<string, unknown>;

// Each CLI start costs about half a second here: a fixture decoded with the same flags is run once.
const decoded = new Map<string, { lines: Line[]; stderr: string }>();

/** `pcap decode <fixture> --node n1 <extra>`, parsed. */
function decodeLines(file: string, extra: string[] = []): { lines: Line[]; stderr: string } {
  const key = [file, ...extra].join(' ');
  const known = decoded.get(key);
  if (known !== undefined) return known;
  const res = clovisor(['pcap', 'decode', join(FIXTURES, file), '--node', 'n1', ...extra]);
  assert.equal(res.code, 0, `${file}: ${res.stderr}`);
  const result = { lines: res.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line), stderr: res.stderr };
  decoded.set(key, result);
  return result;
}

// One entry per fixture with known content: the transactions it must print. `expect` is the
// whole output in request start order; with `some: true` each expected object must match some
// line (for files with many transactions). Objects are matched field by field (extra fields
// are fine). Adding a fixture is one line here. A fixture listed but missing fails the test.
const EXPECTED: { file: string; ports?: string[]; some?: boolean; expect: Line[] }[] = [
  { file: 'node-keepalive.pcap', ports: ['18080=http'], expect: [
    { protocol: 'http', method: 'GET', path: '/hello', status: 200, version: '1.1', complete: true },
    { protocol: 'http', method: 'GET', path: '/chunked', status: 200 },
    { protocol: 'http', method: 'GET', path: '/empty', status: 204 },
    { protocol: 'http', method: 'GET', path: '/etag', status: 200 },
  ] },
  { file: 'node-head-304.pcap', expect: [{ protocol: 'http', method: 'HEAD', path: '/hello', status: 200 }, { protocol: 'http', method: 'GET', path: '/etag', status: 304 }] },
  { file: 'node-post-continue.pcap', expect: [{ protocol: 'http', method: 'POST', path: '/upload', status: 201 }] },
  { file: 'node-ipv6.pcap', expect: [{ protocol: 'http', method: 'GET', path: '/hello', status: 200, client: { address: '::1' } }] },
  { file: 'node-connect.pcap', expect: [{ protocol: 'http', method: 'CONNECT', status: 200 }, { protocol: 'http', method: 'GET', path: '/hello', status: 200 }] },
  { file: 'python-http10-close.pcap', expect: [{ protocol: 'http', method: 'GET', path: '/x', status: 200, complete: true }] },
  { file: 'node-big-any.pcapng', expect: [{ protocol: 'http', method: 'GET', path: '/big', status: 200, complete: true }] },
  { file: 'node-big-snaplen.pcap', expect: [{ protocol: 'http', method: 'GET', path: '/big', status: 200, complete: false }] },
  { file: 'dns-udp.pcap', some: true, expect: [{ protocol: 'dns', transport: 'UDP', name: 'svc.test', type: 'A', rcode: 'NOERROR' }, { protocol: 'dns', name: 'nx.test', rcode: 'NXDOMAIN' }] },
  { file: 'grpc-echo.pcap', some: true, expect: [{ protocol: 'http2', service: 'clovisor.test.Echo', method: 'Say', grpcStatus: 0 }, { service: 'clovisor.test.Echo', method: 'Say', grpcStatus: 5 }] },
  { file: 'h2-node-prior-knowledge.pcap', some: true, expect: [{ protocol: 'http2', method: 'GET', path: '/missing', status: 404, version: '2' }] },
  { file: 'redis-basic.pcap', ports: ['6390=redis'], some: true, expect: [{ protocol: 'redis', command: 'SET' }, { protocol: 'redis', command: 'GET' }] },
  { file: 'postgres-node-extended.pcap', some: true, expect: [{ protocol: 'postgres', query: 'SELECT $1::int + $2::int AS sum', tag: 'SELECT 1' }] },
  { file: 'kafka-kafkajs.pcap', some: true, expect: [{ protocol: 'kafka', apiName: 'Produce', apiVersion: 7 }] },
];

/** actual has every field of expected with the same value (objects compared the same way). */
function matches(actual: unknown, expected: unknown): boolean {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    return actual !== null && typeof actual === 'object' && Object.entries(expected).every(([k, v]) => matches((actual as Line)[k], v));
  }
  return JSON.stringify(actual) === JSON.stringify(expected);
}

function assertMatches(actual: unknown, expected: unknown, where: string): void {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    assert.ok(actual !== null && typeof actual === 'object', `${where}: expected an object, got ${JSON.stringify(actual)}`);
    for (const [k, v] of Object.entries(expected)) assertMatches((actual as Line)[k], v, `${where}.${k}`);
  } else {
    assert.deepEqual(actual, expected, where);
  }
}

for (const { file, ports = [], some = false, expect } of EXPECTED) {
  test(`pcap decode ${file}: the expected transactions`, () => {
    const { lines } = decodeLines(file, ports.flatMap((p) => ['--port', p]));
    if (some) {
      for (const e of expect) assert.ok(lines.some((l) => matches(l, e)), `${file}: no line matches ${JSON.stringify(e)}`);
      return;
    }
    assert.equal(lines.length, expect.length, `${file}: ${lines.length} lines: ${lines.map((l) => `${String(l['method'])} ${String(l['path'])}`).join(', ')}`);
    expect.forEach((e, i) => assertMatches(lines[i], e, `${file}[${i}]`));
  });
}

test('pcap decode: the same transactions as the decoder library, in the documented shape and order', () => {
  // A few files rather than every fixture: each CLI start costs about a second on a busy machine;
  // the shape of every fixture's lines is checked in process by commands/pcap-output.test.ts.
  for (const file of ['python-http-server.pcap', 'node-trace-headers.pcapng', 'node-pipelined.pcap']) {
    const { lines, stderr } = decodeLines(file);
    // The same core, fed the same way, must give the same transactions.
    const decoder = new FlowDecoder();
    const direct = readCaptureFile(readFileSync(join(FIXTURES, file)), { node: 'n1' }).batches.flatMap((b) => decoder.push(b));
    direct.push(...decoder.flushAll());
    assert.ok(direct.length > 0, file);
    assert.deepEqual(lines.map((l) => l['id']).sort(), direct.map((t) => t.id).sort(), `${file}: same transactions as the library`);
    for (const l of lines) {
      for (const key of ['protocol', 'transport', 'client', 'server', 'startNs', 'endNs', 'complete']) assert.ok(key in l, `${file}: ${key} missing in ${JSON.stringify(l)}`);
      assert.equal(l['node'], 'n1');
      assert.match(String(l['startNs']), /^\d{19}$/, 'epoch ns as a string of digits');
      assert.ok(BigInt(l['endNs'] as string) >= BigInt(l['startNs'] as string), `${file}: endNs >= startNs`);
    }
    const starts = lines.map((l) => BigInt(l['startNs'] as string));
    assert.deepEqual([...starts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), starts, `${file}: in request start order`);
    const stats = stderr.trim().split('\n');
    assert.equal(stats.length, 1, `${file}: one stats line: ${stderr}`);
    assert.match(stats[0]!, new RegExp(`transactions=${lines.length} .*gaps=\\d+ .*invalidFrames=\\d+ resyncs=\\d+ bytesSkipped=\\d+`));
  }
});

test('pcap decode --plugin: a plugin decodes the flows on its --port, attributes at top level', () => {
  const example = fileURLToPath(new URL('../../../../examples/plugins/memcached-text/', import.meta.url));
  const capture = join(example, 'fixtures/get-set-delete.pcapng');
  const plugin = ['--plugin', `memcached=${join(example, 'index.js')}`, '--port', '11299=memcached'];
  const res = clovisor(['pcap', 'decode', capture, ...plugin]);
  assert.equal(res.code, 0, res.stderr);
  const lines = res.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
  assert.deepEqual(lines.map((l) => [l['protocol'], l['memcached.command'], l['memcached.result']]), [
    ['memcached', 'set', 'STORED'], ['memcached', 'get', 'VALUE'], ['memcached', 'get', 'VALUE'], ['memcached', 'delete', 'DELETED'],
    ['memcached', 'delete', 'NOT_FOUND'], ['memcached', 'get', 'END'], ['memcached', 'set', 'STORED'], ['memcached', 'get', 'VALUE'],
  ]);
  const stderr = res.stderr.trim().split('\n');
  assert.equal(stderr.length, 1, res.stderr);
  assert.match(stderr[0]!, / pluginTransactions=8 pluginFailedBatches=0$/);
  const table = clovisor(['pcap', 'decode', capture, ...plugin, '--format', 'table']);
  assert.match(table.stdout.split('\n')[1]!, /memcached .*memcached\.command=set .*STORED/);
  const missing = clovisor(['pcap', 'decode', capture, '--plugin', 'memcached=/nonexistent/plugin.js', '--port', '11299=memcached']);
  assert.equal(missing.code, 2, missing.stderr);
  assertOneLineError(missing.stderr, /--plugin memcached=\/nonexistent\/plugin\.js: cannot be loaded: .*docs\/plugins\.md/);
});

test('pcap decode --format table: aligned columns, one row per transaction', () => {
  const res = clovisor(['pcap', 'decode', join(FIXTURES, 'node-keepalive.pcap'), '--format', 'table']);
  assert.equal(res.code, 0, res.stderr);
  const rows = res.stdout.trimEnd().split('\n');
  assert.equal(rows.length, 5, res.stdout);
  assert.match(rows[0]!, /^TIME \(UTC\)\s+PROTOCOL\s+CLIENT → SERVER\s+SUMMARY\s+STATUS\s+DURATION$/);
  assert.match(rows[1]!, /^\d\d:\d\d:\d\d\.\d{6}\s+http\s+127\.0\.0\.1:\d+ → 127\.0\.0\.1:18080\s+GET \/hello\s+200\s+\d+\.\d{3} ms$/);
  assert.match(rows[3]!, /GET \/empty\s+204\s/);
  for (const column of ['PROTOCOL', 'CLIENT', 'SUMMARY', 'STATUS']) {
    const at = rows[0]!.indexOf(column);
    for (const row of rows.slice(1)) assert.equal(row.slice(at - 2, at), '  ', `column ${column} starts at ${at} in: ${row}`);
  }
  assert.ok(rows.every((r) => r.length === rows[0]!.length), 'duration right-aligned to the header');
});

test('pcap --help documents both subcommands and the ns-as-strings choice', () => {
  for (const args of [['pcap', '--help'], ['pcap', 'decode', '--help'], ['pcap', 'import', '-h'], ['help', 'pcap']]) {
    const res = clovisor(args);
    assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
    assert.match(res.stdout, /^Usage: clovisor pcap decode [^]*?\n\s+clovisor pcap import [^]*?\n\s+clovisor pcap export /);
    assert.match(res.stdout, /startNs\/endNs are epoch nanoseconds as JSON strings of digits/);
  }
  assert.match(clovisor(['--help']).stdout, /\n  pcap +decode\|import <file>, export -o <file>/);
});

test('pcap decode: bad input is one line with the right exit code', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clovisor-pcap-'));
  const garbage = join(dir, 'garbage.pcap');
  writeFileSync(garbage, randomBytes(200));
  const cases: [string[], number, RegExp][] = [
    [['pcap', 'decode', join(dir, 'missing.pcap')], 2, /missing\.pcap: no such file; give the path of a \.pcap or \.pcapng capture/],
    [['pcap', 'decode', dir], 2, /is a directory/],
    [['pcap', 'decode', garbage], 1, /garbage\.pcap: not a pcap or pcapng file .*; give a capture written by tcpdump/],
    [['pcap', 'decode'], 2, /give the capture file/],
    [['pcap', 'decode', garbage, '--format', 'xml'], 2, /--format "xml": expected ndjson or table/],
    [['pcap', 'decode', garbage, '--brokers', 'x:1'], 2, /--brokers/],
    [['pcap', 'decode', garbage, '--port', '80'], 2, /--port "80": expected <port>=<protocol>/],
    [['pcap', 'frob'], 2, /unknown subcommand "frob": expected decode, import or export/],
    [['pcap', 'import', garbage, '--topic', 'bad topic'], 2, /--topic "bad topic"/],
  ];
  for (const [args, code, pattern] of cases) {
    const res = clovisor(args);
    assert.equal(res.code, code, `${args.join(' ')}: ${res.stderr}`);
    assertOneLineError(res.stderr, pattern);
    assert.equal(res.stdout, '');
  }
});

test('pcap decode: a capture cut mid-record decodes what is there and counts the cut', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clovisor-pcap-'));
  const cut = join(dir, 'cut.pcap');
  const bytes = readFileSync(join(FIXTURES, 'node-keepalive.pcap'));
  writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  const res = clovisor(['pcap', 'decode', cut]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stderr, /truncatedRecords=1/);
  assert.ok(res.stdout.split('\n').filter(Boolean).length >= 1, 'the requests before the cut');
});

test('pcap import: Kafka unreachable is one line, exit 1', () => {
  const res = clovisor(['pcap', 'import', join(FIXTURES, 'node-ipv6.pcap'), '--brokers', '127.0.0.1:1']);
  assert.equal(res.code, 1, res.stderr);
  assertOneLineError(res.stderr, /Kafka unreachable at 127\.0\.0\.1:1: .*clovisor stack up/);
});

/** Segments per flow, in order, with the batch fields other than segments: what a decoder sees. */
function byFlow(batches: SegmentBatch[]): Map<string, { meta: Omit<SegmentBatch, 'segments' | 'lostEventsBefore'>; segments: SegmentBatch['segments'] }> {
  const flows = new Map<string, { meta: Omit<SegmentBatch, 'segments' | 'lostEventsBefore'>; segments: SegmentBatch['segments'] }>();
  for (const { segments, lostEventsBefore: _lost, ...meta } of batches) {
    const flow = flows.get(meta.flowId);
    // Plain objects: the Avro decoder returns class instances, the pcap reader object literals.
    const plain = segments.map((s) => ({ ...s }));
    if (flow === undefined) flows.set(meta.flowId, { meta: { ...meta, client: { ...meta.client }, server: { ...meta.server } }, segments: plain });
    else flow.segments.push(...plain);
  }
  return flows;
}

test('pcap import: the segments on clovisor.segments.v1 are the ones the pcap reader gives', async () => {
  const file = join(FIXTURES, 'python-http-server.pcap');
  const node = `pcap-e2e-${randomBytes(4).toString('hex')}`;
  const log = createLogger('pcap-test');
  const kafka = createKafka([BROKERS], 'clovisor-pcap-test', log);
  await ensureTopics(kafka, [{ topic: Topics.segments, numPartitions: 3 }]);
  const admin = kafka.admin();
  await admin.connect();
  const consumer = kafka.consumer({ groupId: `clovisor-pcap-test-${node}` });
  try {
    const before = await admin.fetchTopicOffsets(Topics.segments);
    const res = clovisor(['pcap', 'import', file, '--node', node, '--port', '18081=http', '--brokers', BROKERS]);
    assert.equal(res.code, 0, res.stderr);
    const expected = readCaptureFile(readFileSync(file), { node, serverPorts: [18081] }).batches;
    for (const b of expected) b.protocolHint = b.server.port === 18081 ? 'http' : null;
    const segments = expected.reduce((n, b) => n + b.segments.length, 0);
    assert.match(res.stdout, new RegExp(`^published ${expected.length} batches \\(${segments} segments, 3 flows, \\d+ bytes\\) .* to ${Topics.segments.replace(/\./g, '\\.')} at `));

    const after = await admin.fetchTopicOffsets(Topics.segments);
    const end = new Map(after.map((p) => [p.partition, BigInt(p.high)]));
    const position = new Map(before.map((p) => [p.partition, BigInt(p.high)]));
    const got: SegmentBatch[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.segments });
    let done!: () => void;
    const caughtUp = new Promise<void>((resolve) => (done = resolve));
    const check = () => { if ([...end].every(([p, high]) => (position.get(p) ?? 0n) >= high)) done(); };
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        position.set(partition, BigInt(message.offset) + 1n);
        // Other tests may publish to the same topic meanwhile: keep only this import's records.
        const batch = codecs().segments.decode(message.value);
        if (batch.node === node) {
          assert.equal(message.key?.toString(), batch.flowId, 'key = flowId');
          got.push(batch);
        }
        check();
      },
    });
    for (const p of before) consumer.seek({ topic: Topics.segments, partition: p.partition, offset: p.high });
    check();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`not caught up after 30 s: got ${got.length} batches`)), 30_000); });
    await Promise.race([caughtUp, timeout]).finally(() => clearTimeout(timer));
    assert.deepEqual(byFlow(got), byFlow(expected));
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([`clovisor-pcap-test-${node}`]).catch(() => undefined); // leave no group behind
    await admin.disconnect();
  }
});
