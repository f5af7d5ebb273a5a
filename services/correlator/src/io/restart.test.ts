// The correlator restarted on the real Kafka, in a child process stopped with SIGTERM (graceful)
// or SIGKILL (crash) in the middle of a request, and two correlators in one group of which one
// leaves: the join state comes back from the topic, and the spans topic ends up with every span
// once, the same as a run without the restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { AssignerProtocol, Partitioners } from 'kafkajs';
import { codecs, createKafka, createLogger, RecordProducer, type SpanRecord, type Transaction } from '@clovisor/core';
import type { PartitionedStats } from '../core/partitioned.js';
import { transactionKey } from '../core/keys.js';
import { RECORDS_PER_REQUEST, requestChain } from '../testing/request-chain.js';

const brokers = process.env['CLOVISOR_BROKERS'] ?? '127.0.0.1:9092';
const log = createLogger('restart-test', () => undefined);
const kafka = createKafka(brokers.split(','), 'restart-test', log);
const child = fileURLToPath(new URL('../testing/correlator-process.js', import.meta.url));
// long holds: the idle tick (it runs at the shorter of the two holds) must not release the
// held spans before the crash, so that only the input decides and the runs are comparable
const OPTIONS = JSON.stringify({ serverHoldMs: 20_000, requestIdHoldMs: 20_000 });
const REQUESTS = 8;

interface Run {
  suffix: string;
  transactions: string;
  spans: string;
  group: string;
}

async function newRun(label: string): Promise<Run> {
  const suffix = `.restart-${label}-${randomBytes(3).toString('hex')}`;
  const run = { suffix, transactions: `clovisor.transactions.v1${suffix}`, spans: `clovisor.spans.v1${suffix}`, group: `clovisor-correlator${suffix}` };
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [run.transactions, run.spans, `clovisor.deadletter.v1${suffix}`].map((topic) => ({ topic, numPartitions: 2 })),
  });
  await admin.disconnect();
  return run;
}

async function removeRun(run: Run): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [run.transactions, run.spans, `clovisor.deadletter.v1${run.suffix}`] }).catch(() => undefined);
  await admin.deleteGroups([run.group]).catch(() => undefined);
  await admin.disconnect();
}

async function startCorrelator(run: Run, clientId = 'correlator-process'): Promise<ChildProcess> {
  const proc = spawn(process.execPath, [child, OPTIONS], {
    env: { ...process.env, CLOVISOR_TOPIC_SUFFIX: run.suffix, CLOVISOR_BROKERS: brokers, CLOVISOR_TEST_CLIENT_ID: clientId },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`correlator exited early (${code})`)));
    proc.stdout!.on('data', (chunk: Buffer) => { if (chunk.toString().includes('ready')) resolve(); });
  });
  return proc;
}

/** Stops it; resolves with what it printed after "ready" (its stats, after SIGTERM). */
async function stopCorrelator(proc: ChildProcess, signal: 'SIGTERM' | 'SIGKILL'): Promise<string> {
  let out = '';
  proc.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill(signal);
  await exited;
  return out.replace('ready', '').trim();
}

async function feed(producer: RecordProducer, run: Run, txs: Transaction[]): Promise<void> {
  const { transactions } = codecs();
  for (const tx of txs) await producer.send(run.transactions, [{ key: transactionKey(tx), value: transactions.encode(tx) }]);
}

/** Reads the spans topic from the start until `count` spans arrived (and a little longer, for extras). */
async function readSpans(run: Run, count: number): Promise<SpanRecord[]> {
  const { spans } = codecs();
  const consumer = kafka.consumer({ groupId: `restart-test-reader-${randomBytes(4).toString('hex')}` });
  const got: SpanRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: run.spans, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void got.push(spans.decode(message.value)) });
  const deadline = Date.now() + 60_000;
  while (got.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  await new Promise((r) => setTimeout(r, 3000));
  await consumer.disconnect();
  return got;
}

async function waitForSpans(run: Run, count: number): Promise<void> {
  await readSpans(run, count);
}

function summary(spans: SpanRecord[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const s of spans) m.set(s.spanId, [...(m.get(s.spanId) ?? []), `${s.traceId}/${s.parentSpanId ?? '-'}/${s.attributes['clovisor.trace_source']?.stringValue}`]);
  return m;
}

async function withProducer<T>(fn: (p: RecordProducer) => Promise<T>): Promise<T> {
  const producer = new RecordProducer(kafka, log);
  await producer.start();
  try {
    return await fn(producer);
  } finally {
    await producer.stop();
  }
}

const records = requestChain(REQUESTS, randomBytes(3).toString('hex'));
const total = records.length; // one span per transaction

async function uninterruptedRun(): Promise<Map<string, string[]>> {
  const run = await newRun('plain');
  try {
    const proc = await startCorrelator(run);
    await withProducer((p) => feed(p, run, records));
    await waitForSpans(run, total);
    await stopCorrelator(proc, 'SIGTERM');
    return summary(await readSpans(run, total));
  } finally {
    await removeRun(run);
  }
}

/** Feeds records[0..split), waits for their spans (all but `held`), stops the correlator, restarts it, feeds the rest. */
async function restartedRun(label: string, split: number, held: number, signal: 'SIGTERM' | 'SIGKILL'): Promise<Map<string, string[]>> {
  const run = await newRun(label);
  try {
    await withProducer(async (p) => {
      const first = await startCorrelator(run);
      await feed(p, run, records.slice(0, split));
      await waitForSpans(run, split - held);
      await stopCorrelator(first, signal);
      await feed(p, run, records.slice(split));
      const second = await startCorrelator(run);
      await waitForSpans(run, total);
      await stopCorrelator(second, 'SIGTERM');
    });
    return summary(await readSpans(run, total));
  } finally {
    await removeRun(run);
  }
}

/**
 * Two correlators in one group, one partition each. Requests go in until one lands on the first
 * correlator's partition; after that request's hop 1 the first correlator leaves (SIGTERM), the
 * second takes the partition over, and hop 2 (x-request-id only) follows.
 */
async function rebalancedRun(): Promise<{ spans: Map<string, string[]>; secondStats: { partitioned: PartitionedStats } }> {
  const run = await newRun('rebalance');
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    const a = await startCorrelator(run, 'member-a');
    const b = await startCorrelator(run, 'member-b');
    const partitionOfA = await partitionOf(run, 'member-a');
    const { transactions } = codecs();
    const send = async (tx: Transaction) => (await producer.send({ topic: run.transactions, messages: [{ key: transactionKey(tx), value: transactions.encode(tx) }] }))[0]!.partition;
    let next = 0;
    for (let onA = false; !onA; next += RECORDS_PER_REQUEST) {
      assert.ok(next < records.length, 'a request on the first correlator\'s partition');
      const hop1 = [await send(records[next]!), await send(records[next + 1]!)];
      onA = hop1[0] === partitionOfA;
      if (!onA) for (const tx of records.slice(next + 2, next + RECORDS_PER_REQUEST)) await send(tx);
    }
    const split = next - 2; // hop 2 of the last request not sent yet
    await waitForSpans(run, split);
    await stopCorrelator(a, 'SIGTERM');
    for (const tx of records.slice(split)) await send(tx);
    await waitForSpans(run, total);
    const secondStats = JSON.parse(await stopCorrelator(b, 'SIGTERM')) as { partitioned: PartitionedStats };
    return { spans: summary(await readSpans(run, total)), secondStats };
  } finally {
    await producer.disconnect();
    await removeRun(run);
  }
}

/** The partition of `run.transactions` that the member with this client id owns, once the group is stable with two members. */
async function partitionOf(run: Run, clientId: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      const { groups } = await admin.describeGroups([run.group]);
      const g = groups[0];
      if (g?.state === 'Stable' && g.members.length === 2) {
        const member = g.members.find((m) => m.clientId === clientId);
        const assignment = member ? AssignerProtocol.MemberAssignment.decode(member.memberAssignment) : null;
        const partitions = assignment?.assignment[run.transactions] ?? [];
        if (partitions.length === 1) return partitions[0]!;
      }
      if (Date.now() > deadline) throw new Error(`group ${run.group} never had two members with one partition each`);
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    await admin.disconnect();
  }
}

function assertLikeUninterrupted(actual: Map<string, string[]>, expected: Map<string, string[]>): void {
  assert.equal(expected.size, total, 'the uninterrupted run: one span per transaction');
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), 'the same span ids');
  for (const [id, copies] of actual) {
    assert.deepEqual(copies, expected.get(id), `span ${id}: once, same trace id, parent and trace source`);
  }
}

test('correlator restarts and rebalances on the real Kafka: graceful, crash, a member leaving; every span once and as without them', { timeout: 300_000 }, async () => {
  const expected = await uninterruptedRun();
  // graceful: request 3's hop 1 before the stop, its x-request-id-only hop 2 after it
  const graceful = await restartedRun('term', 3 * RECORDS_PER_REQUEST + 2, 0, 'SIGTERM');
  assertLikeUninterrupted(graceful, expected);
  // crash: request 5's hop-2 SERVER capture seen (held for its CLIENT capture), then SIGKILL
  const crash = await restartedRun('kill', 5 * RECORDS_PER_REQUEST + 3, 1, 'SIGKILL');
  assertLikeUninterrupted(crash, expected);
  // rebalance: a request's hop 1 seen by the correlator that leaves, hop 2 by the one taking over
  const rebalanced = await rebalancedRun();
  assertLikeUninterrupted(rebalanced.spans, expected);
  assert.ok(rebalanced.secondStats.partitioned.warmups >= 2, 'the second correlator rebuilt the partition it took over');
  assert.ok(rebalanced.secondStats.partitioned.warmupRecords > 0);
  const sources = [...expected.values()].map((c) => c[0]!.split('/')[2]);
  assert.ok(sources.includes('x-request-id-learned') && sources.includes('client-span'), 'the joins were exercised');
});
