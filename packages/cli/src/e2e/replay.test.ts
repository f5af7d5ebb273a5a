// `clovisor replay` through the real CLI on the real Kafka (and Jaeger): recorded captures are
// imported into an isolated segments topic, both as the server pod's capture and as the
// client pod's (so the correlator's connection join is exercised), then replayed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { codecs, type SegmentBatch } from '@clovisor/core';
import { FlowDecoder, flowIdOf } from '@clovisor/decoder';
import { importBatches } from '../commands/pcap-import.js';
import { readCaptureSource } from '../commands/pcap-source.js';
import { isolatedTopics, type IsolatedTopics } from '../lab/isolated-topics.js';
import { CLOVISOR_BIN, startClovisor } from '../lab/pipeline-process.js';
import { readTopic, type StoredRecord } from '../lab/read-topic.js';
import { waitForTrace, serviceOf } from '../lab/jaeger-query.js';
import { freePort } from '@clovisor/stack/testing';
import { stackUp, type StackEndpoints } from '@clovisor/stack';

const FIXTURES = fileURLToPath(new URL('../../../../services/decoder/test-fixtures/', import.meta.url));
const MEMCACHED = fileURLToPath(new URL('../../../../examples/plugins/memcached-text/', import.meta.url));
let stack: StackEndpoints;
let BROKERS: string;
const LABEL = `rp${randomBytes(3).toString('hex')}`;
// the interface names captured on: span resource service.name is unknown_service:<interface>
const EARLY = `${LABEL}a`;
const LATE = `${LABEL}b`;

const SET_EARLY: Array<[string, string[]]> = [
  ['node-keepalive.pcap', ['18080=http']], ['grpc-echo.pcap', []], ['node-trace-headers.pcapng', []],
  ['dns-udp.pcap', []], ['redis-basic.pcap', ['6390=redis']], ['postgres-node-extended.pcap', []],
];
const SET_LATE: Array<[string, string[]]> = [['python-http-server.pcap', []], ['node-pipelined.pcap', []], ['kafka-kafkajs.pcap', []]];

let topics: IsolatedTopics;
let segmentsTopic: string;
let earlyFlows: Set<string>;
let lateFlows: Set<string>;
/** between the two imports: the early records' Kafka timestamps are before it, the late ones' after */
let between: string;

async function batchesOf(set: Array<[string, string[]]>, iface: string): Promise<SegmentBatch[]> {
  const out: SegmentBatch[] = [];
  for (const [file, ports] of set) {
    const rules = ports.map((p) => ({ port: Number(p.split('=')[0]), protocol: p.split('=')[1]! }));
    const { batches } = await readCaptureSource(FIXTURES + file, rules, 'n1');
    for (const b of batches) {
      const server = { ...b, interfaceName: iface, flowId: flowIdOf([b.flowId, iface, 'SERVER']) };
      // the same packets seen leaving the client's pod: another flow, joined by the correlator
      const client = { ...b, interfaceName: `${iface}c`, podRole: 'CLIENT' as const, flowId: flowIdOf([b.flowId, iface, 'CLIENT']) };
      out.push(server, client);
    }
  }
  return out;
}

function clovisor(args: string[]) {
  const res = spawnSync(process.execPath, [CLOVISOR_BIN, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...topics.env, CLOVISOR_BROKERS: BROKERS } });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

interface Summary { records: number; transactions: number; spans: number; deadLetters: number }

function replay(args: string[], from = segmentsTopic): Summary {
  const res = clovisor(['replay', '--from', from, ...args]);
  assert.equal(res.code, 0, `replay ${args.join(' ')}: ${res.stderr}`);
  const n = (re: RegExp) => Number(re.exec(res.stdout)?.[1] ?? Number.NaN);
  const s = { records: n(/: (\d+) records/), transactions: n(/(\d+) transactions/), spans: n(/(\d+) spans/), deadLetters: n(/(\d+) dead letters/) };
  for (const [k, v] of Object.entries(s)) assert.ok(Number.isInteger(v), `summary without ${k}: ${res.stdout}`);
  return s;
}

const out = (kind: 'transactions' | 'spans' | 'deadletter', id: string) => `clovisor.${kind}.v1${topics.suffix}.replay-${id}`;

function values(records: Map<number, StoredRecord[]>): Buffer[] {
  return [...records.values()].flat().map((r) => r.value!);
}

before(async () => {
  stack = await stackUp({ log: () => undefined });
  BROKERS = stack.brokers;
  topics = isolatedTopics(BROKERS, 'replay');
  segmentsTopic = `clovisor.segments.v1${topics.suffix}`;
  const early = await batchesOf(SET_EARLY, EARLY);
  const late = await batchesOf(SET_LATE, LATE);
  earlyFlows = new Set(early.map((b) => b.flowId));
  lateFlows = new Set(late.map((b) => b.flowId));
  await importBatches(early, BROKERS.split(','), segmentsTopic, 3);
  await new Promise((r) => setTimeout(r, 1500));
  between = new Date(Date.now() - 700).toISOString();
  await new Promise((r) => setTimeout(r, 300));
  await importBatches(late, BROKERS.split(','), segmentsTopic, 3);
});

after(async () => {
  await topics?.remove();
});

let first: Summary;

test('replaying the same range twice gives the same records, key by key and byte by byte', async () => {
  first = replay(['--id', 'one']);
  const second = replay(['--id', 'two']);
  assert.ok(first.records > 20 && first.transactions > 20 && first.spans > 20, JSON.stringify(first));
  assert.equal(first.deadLetters, 0);
  assert.deepEqual(second, first);
  for (const kind of ['transactions', 'spans'] as const) {
    const a = await readTopic(BROKERS, out(kind, 'one'));
    const b = await readTopic(BROKERS, out(kind, 'two'));
    assert.equal([...a.values()].flat().length, kind === 'spans' ? first.spans : first.transactions, `${kind}: the summary's count`);
    assert.deepEqual([...b.keys()], [...a.keys()]);
    for (const [partition, records] of a) {
      const other = b.get(partition)!;
      assert.equal(other.length, records.length, `${kind} partition ${partition}: same number of records`);
      records.forEach((r, i) => {
        assert.equal(other[i]!.key?.toString(), r.key?.toString(), `${kind} ${partition}/${i}: key`);
        assert.ok(other[i]!.value!.equals(r.value!), `${kind} ${partition}/${i}: value`);
      });
    }
  }
  // the connection join ran: SERVER spans became children of their CLIENT capture
  const spans = values(await readTopic(BROKERS, out('spans', 'one'))).map((v) => codecs().spans.decode(v));
  const joined = spans.filter((s) => s.attributes['clovisor.trace_source']?.stringValue === 'client-span');
  assert.ok(joined.length > 5, `joined SERVER spans: ${joined.length}`);
});

test('the live decode and correlate stages give the replay\'s transactions, and its spans (same ids, same values but for the join)', async () => {
  const env = { ...topics.env, CLOVISOR_BROKERS: BROKERS };
  const decode = await startClovisor(['decode', '--redis', `${stack.redis}/12`], env);
  const correlate = await startClovisor(['correlate'], env);
  const kafka = new Kafka({ clientId: 'clovisor-test', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const high = await admin.fetchTopicOffsets(segmentsTopic);
    // the decoder committed every segment record: then its stop flushes the open flows
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [committed] = await admin.fetchOffsets({ groupId: `clovisor-decoder${topics.suffix}`, topics: [segmentsTopic] });
      const done = high.every((h) => committed!.partitions.find((p) => p.partition === h.partition)?.offset === h.high || h.high === '0');
      if (done) break;
      assert.ok(Date.now() < deadline, `the decoder did not consume ${segmentsTopic}:\n${decode.log()}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.equal(await decode.stop(), 0);
    const spansTopic = `clovisor.spans.v1${topics.suffix}`;
    for (;;) {
      const total = (await admin.fetchTopicOffsets(spansTopic)).reduce((n, p) => n + Number(p.high), 0);
      if (total >= first.spans) break;
      assert.ok(Date.now() < deadline + 30_000, `the live correlator wrote ${total} of ${first.spans} spans`);
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    await admin.disconnect();
    await correlate.stop();
    if (decode.child.exitCode === null) await decode.stop();
  }
  // the transactions are the same records (order aside: live, partitions interleave as fetched)
  const hexes = (vs: Buffer[]) => vs.map((v) => v.toString('hex')).sort();
  const liveTx = hexes(values(await readTopic(BROKERS, `clovisor.transactions.v1${topics.suffix}`)));
  assert.equal(liveTx.length, first.transactions);
  assert.deepEqual(liveTx, hexes(values(await readTopic(BROKERS, out('transactions', 'one')))), 'same transaction records');
  const live = values(await readTopic(BROKERS, `clovisor.spans.v1${topics.suffix}`)).map((v) => codecs().spans.decode(v));
  const replayed = values(await readTopic(BROKERS, out('spans', 'one'))).map((v) => codecs().spans.decode(v));
  const byId = (spans: typeof live) => new Map(spans.map((s) => [s.spanId, s]));
  const liveById = byId(live);
  assert.equal(live.length, replayed.length);
  assert.deepEqual([...liveById.keys()].sort(), [...byId(replayed).keys()].sort(), 'same span ids');
  // Whether a SERVER span found its CLIENT capture depends on the order the transactions reach
  // the correlator: live, on how the decoder's fetches of different partitions interleave (the
  // imported captures were recorded months apart, so a late one moves the capture clock past a
  // held span); in a replay, on capture time only. Everything else must be the same.
  const apartFromJoin = (s: (typeof live)[number]) => {
    const { ['clovisor.trace_source']: _source, ...attributes } = s.attributes;
    return { ...s, traceId: '', parentSpanId: null, traceState: null, attributes };
  };
  for (const s of replayed) assert.deepEqual(apartFromJoin(liveById.get(s.spanId)!), apartFromJoin(s), `span ${s.spanId} (${s.name})`);
});

function expectedTransactionIds(records: StoredRecord[]): string[] {
  const decoder = new FlowDecoder();
  const ids = records.flatMap((r) => decoder.push(codecs().segments.decode(r.value)).map((t) => t.id));
  return [...ids, ...decoder.flushAll().map((t) => t.id)].sort();
}

async function transactionIds(id: string): Promise<string[]> {
  return values(await readTopic(BROKERS, out('transactions', id))).map((v) => codecs().transactions.decode(v).id).sort();
}

test('--partition with --start/--end offsets replays exactly those records', async () => {
  const segments = await readTopic(BROKERS, segmentsTopic);
  const [partition, records] = [...segments].sort((a, b) => b[1].length - a[1].length)[0]!;
  assert.ok(records.length >= 6, `partition ${partition} has ${records.length} records`);
  const s = replay(['--id', 'offsets', '--partition', String(partition), '--start', '2', '--end', '5']);
  assert.equal(s.records, 3);
  const want = expectedTransactionIds(records.filter((r) => r.offset >= 2n && r.offset < 5n));
  assert.ok(want.length > 0);
  assert.deepEqual(await transactionIds('offsets'), want);
});

test('--start/--end times select the records published after/before that time', async () => {
  const late = replay(['--id', 'late', '--start', between]);
  const early = replay(['--id', 'early', '--end', between]);
  assert.equal(late.records + early.records, first.records);
  const flowOf = (id: string) => id.slice(0, id.lastIndexOf(':'));
  const lateIds = await transactionIds('late');
  const earlyIds = await transactionIds('early');
  assert.ok(lateIds.length > 0 && earlyIds.length > 0);
  for (const id of lateIds) assert.ok(lateFlows.has(flowOf(id)), `${id} is not from the late import`);
  for (const id of earlyIds) assert.ok(earlyFlows.has(flowOf(id)), `${id} is not from the early import`);
  assert.equal(lateIds.length + earlyIds.length, first.transactions);
});

test('--otlp-endpoint: the replayed spans land in Jaeger, with the ids the span topic has', async () => {
  const s = replay(['--id', 'otlp', '--otlp-endpoint', stack.otlpHttp, '--partition', '0', '--partition', '1', '--partition', '2']);
  assert.equal(s.spans, first.spans);
  const spans = values(await readTopic(BROKERS, out('spans', 'one'))).map((v) => codecs().spans.decode(v));
  const ours = spans.filter((x) => x.resource['service.name'] === `unknown_service:${EARLY}`).slice(0, 3);
  assert.ok(ours.length > 0);
  for (const span of ours) {
    const trace = await waitForTrace(stack.jaegerQuery, span.traceId, 1, 30_000);
    const found = trace?.spans.find((x) => x.spanID === span.spanId);
    assert.ok(trace && found, `span ${span.spanId} of trace ${span.traceId} not in Jaeger`);
    assert.equal(serviceOf(trace, found), `unknown_service:${EARLY}`);
    assert.equal(found.operationName, span.name);
  }
});

test('--plugin: the flows a plugin claims are decoded by it', async () => {
  // a topic of its own (removed with the others: same prefix), so the counts above stay put
  const from = `${segmentsTopic}.plugin`;
  const { batches } = await readCaptureSource(MEMCACHED + 'fixtures/get-set-delete.pcapng', [], 'n1');
  for (const b of batches) b.protocolHint = 'memcached'; // the port name capture would give it
  await importBatches(batches, BROKERS.split(','), from, 1);
  const without = replay(['--id', 'noplugin'], from);
  assert.equal(without.transactions, 0, 'no built-in protocol decodes memcached');
  const s = replay(['--id', 'plugin', '--plugin', `memcached=${MEMCACHED}index.js`], from);
  assert.ok(s.transactions >= 3, JSON.stringify(s));
  assert.equal(s.spans, s.transactions);
  const txs = values(await readTopic(BROKERS, out('transactions', 'plugin'))).map((v) => codecs().transactions.decode(v));
  const commands = txs.map((t) => t.attributes?.['memcached.command']);
  for (const c of ['set', 'get', 'delete']) assert.ok(commands.includes(c), `${c} in ${commands.join(',')}`);
});

test('bad input: one clear line, exit 2 (1 for an unreachable endpoint); a topic of other records is said so', async () => {
  const deadPort = await freePort();
  const cases: Array<[string[], RegExp]> = [
    [['--from', `no.such.topic${topics.suffix}`], /--from no\.such\.topic.*: no such topic/],
    [['--from', segmentsTopic, '--start', '9', '--end', '3'], /--start is after --end/],
    [['--from', segmentsTopic, '--start', '2026-11-23T25:61:00Z'], /--start "2026-11-23T25:61:00Z": expected an offset .* or an ISO 8601 time/],
    [['--from', segmentsTopic, '--end', 'last tuesday'], /--end "last tuesday": expected/],
    [['--from', segmentsTopic, '--partition', '3'], /--partition 3: the topic has partitions 0-2/],
    [['--from', segmentsTopic, '--id', 'one'], /--id one: .*replay-one already holds \d+ records/],
    [['--from', segmentsTopic, '--id', 'a/b'], /--id "a\/b"/],
    [['--from', segmentsTopic, '--bogus'], /Unknown option '--bogus'/],
    [['--from', segmentsTopic, '--otlp-protocol', 'grpc'], /--otlp-protocol goes with --otlp-endpoint/],
  ];
  for (const [args, pattern] of cases) {
    const res = clovisor(['replay', ...args]);
    assert.equal(res.code, 2, `${args.join(' ')}: exit ${res.code}\n${res.stderr}`);
    const lines = res.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${args.join(' ')}: one line, got:\n${res.stderr}`);
    assert.match(lines[0]!, pattern);
  }
  // a topic of other records: each one is a dead letter, and the summary says what is wrong
  const wrong = clovisor(['replay', '--from', out('transactions', 'one'), '--id', 'wrong']);
  assert.equal(wrong.code, 0, wrong.stderr);
  assert.match(wrong.stdout, new RegExp(`: (\\d+) records \\(0 segments\\)[^]*\\n {2}\\1 dead letters`));
  assert.match(wrong.stdout, /no record decoded as captured segments: is clovisor\.transactions\.v1.* a segments topic/);
  // an OTLP endpoint nobody listens on: said at once, before anything is read (exit 1)
  const down = clovisor(['replay', '--from', segmentsTopic, '--id', 'down', '--otlp-endpoint', `http://127.0.0.1:${deadPort}`]);
  assert.equal(down.code, 1, down.stderr);
  assert.match(down.stderr.trim(), /^clovisor: --otlp-endpoint http:\/\/127\.0\.0\.1:\d+: nothing accepts connections there/);
  assert.equal(down.stderr.trim().split('\n').length, 1, down.stderr);
  const help = clovisor(['replay', '--help']);
  assert.equal(help.code, 0);
  for (const flag of ['--from', '--start', '--end', '--partition', '--id', '--plugin', '--otlp-endpoint', 'replay-<id>']) assert.ok(help.stdout.includes(flag), flag);
});
