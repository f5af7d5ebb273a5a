import { spawn, type ChildProcess } from 'node:child_process';
import type { StackEndpoints } from '@clovisor/stack';
import { RecordProducer, codecs, createKafka, createLogger, ensureTopics, type IntEvent, type IntReportBatch } from '@clovisor/core';
import { IntExportStage, IntReporter, type IntVersion } from '@clovisor/exporter';
import { eventOf, fixtureFrames } from '@clovisor/exporter/fixture-frames';
import { isolatedTopics } from '../lab/isolated-topics.js';
import type { BenchResults } from './results.js';

// Issue 6 §7: INT telemetry reports per second, (1) encoded by the pure core and (2) sent by the
// real IntExportStage from Kafka records over UDP to a socket that counts them.

const EVENTS_PER_BATCH = 50;
const T0 = 1_763_900_000_000_000_000n;

/** Batches of real frames (recorded pcaps): hops with both times, every tenth event a drop. */
function benchBatches(events: number): IntReportBatch[] {
  const frames = [...fixtureFrames('python-http10-close.pcap'), ...fixtureFrames('dns-udp.pcap'), ...fixtureFrames('node-ipv6.pcap')];
  const all: IntEvent[] = [];
  for (let i = 0; i < events; i++) {
    const f = frames[i % frames.length]!;
    const t = T0 + BigInt(i) * 1000n;
    all.push(i % 10 === 9
      ? eventOf(f, { kind: 'DROP', ingressIfindex: 4, dropTimeNs: t, ingressTimeNs: t - 500n, dropReason: 3, dropReasonName: 'NETFILTER_DROP' })
      : eventOf(f, { kind: 'HOP', ingressIfindex: 4, egressIfindex: 7, ingressTimeNs: t, egressTimeNs: t + 20_000n }));
  }
  const batches: IntReportBatch[] = [];
  for (let i = 0; i < all.length; i += EVENTS_PER_BATCH) batches.push({ node: 'bench-node', nodeAddress: '10.0.0.5', events: all.slice(i, i + EVENTS_PER_BATCH) });
  return batches;
}

/** Reports/s of the pure core (drop reason, sequence numbers, encoding), one core. */
export function benchIntEncode(version: IntVersion, events = 200_000): { reportsPerSecond: number } {
  const batches = benchBatches(events);
  const reporter = new IntReporter({ version, hwId: 1, switchId: null });
  for (const b of batches.slice(0, 200)) reporter.reports(b); // warm-up
  let bytes = 0;
  const start = process.hrtime.bigint();
  for (const b of batches) for (const r of reporter.reports(b)) bytes += r.bytes.length;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (bytes === 0) throw new Error('INT encode bench: nothing encoded');
  return { reportsPerSecond: events / seconds };
}

export interface IntStageBench {
  reportsPerSecond: number;
  sent: number;
  received: number;
}

// The receiving end, in its own process so that the stage does not starve it: counts datagrams,
// prints its port, and the count when its stdin closes.
const COUNTER = `
const s = require('node:dgram').createSocket('udp4');
let n = 0;
s.on('message', () => { n += 1; });
s.bind(0, '127.0.0.1', () => { try { s.setRecvBufferSize(16 << 20); } catch {} console.log(s.address().port); });
process.stdin.on('end', () => setTimeout(() => { console.log(n); process.exit(0); }, 300));
process.stdin.resume();
`;

async function startCounter(): Promise<{ child: ChildProcess; port: number; count: () => Promise<number> }> {
  const child = spawn(process.execPath, ['-e', COUNTER], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  while (!out.includes('\n')) await new Promise((r) => setTimeout(r, 10));
  const port = Number(out.trim());
  const count = async (): Promise<number> => {
    child.stdin!.end();
    await new Promise((resolve) => child.once('exit', resolve));
    return Number(out.trim().split('\n')[1]);
  };
  return { child, port, count };
}

/**
 * Reports/s of the real IntExportStage: the records are on an isolated topic first, then the stage
 * is timed from its first report until it handed every report to the kernel (Kafka fetch, Avro
 * decode, encode, UDP send; the group join before the first report is not counted). The
 * receiving socket (another process on this host) only counts; loopback drops datagrams its
 * receive buffer cannot hold, reported as received < sent.
 */
export async function benchIntStage(stack: StackEndpoints, version: IntVersion, events = 100_000): Promise<IntStageBench> {
  const topics = isolatedTopics(stack.brokers, 'bench-int');
  const log = createLogger('bench-int', () => undefined);
  const kafka = createKafka(stack.brokers.split(','), 'bench-int', log);
  const producer = new RecordProducer(kafka, log);
  const counter = await startCounter();
  const topic = `clovisor.int.v1${topics.suffix}`;
  const stage = new IntExportStage(kafka, producer, {
    collector: { host: '127.0.0.1', port: counter.port }, version, hwId: 1, switchId: null,
    topic, deadLetterTopic: `clovisor.deadletter.v1${topics.suffix}`, groupId: `clovisor-int-exporter${topics.suffix}`,
  }, log);
  try {
    await ensureTopics(kafka, [topic, `clovisor.deadletter.v1${topics.suffix}`].map((t) => ({ topic: t, numPartitions: 3 })));
    await producer.start();
    const { int } = codecs();
    await producer.send(topic, benchBatches(events).map((b, i) => ({ key: `node-${i % 3}`, value: int.encode(b) })));
    await stage.start();
    const deadline = Date.now() + 120_000;
    let start: bigint | null = null;
    while (stage.stats().sent + stage.stats().sendErrors < events) {
      if (Date.now() > deadline) throw new Error(`INT stage bench: ${stage.stats().sent} of ${events} reports sent after 120 s`);
      if (start === null && stage.stats().sent > 0) start = process.hrtime.bigint();
      await new Promise((r) => setImmediate(r));
    }
    const seconds = Number(process.hrtime.bigint() - (start ?? 0n)) / 1e9;
    const { sent } = stage.stats();
    return { reportsPerSecond: sent / seconds, sent, received: await counter.count() };
  } finally {
    await stage.stop().catch(() => undefined);
    await producer.stop().catch(() => undefined);
    if (counter.child.exitCode === null) counter.child.kill();
    await topics.remove().catch(() => undefined);
  }
}

export async function benchIntReports(stack: StackEndpoints): Promise<BenchResults> {
  const say = (line: string) => process.stderr.write(`bench: ${line}\n`);
  say('INT report encoding (pure core, v0.5 and v2.0) …');
  const encodeV05 = benchIntEncode('0.5');
  const encodeV2 = benchIntEncode('2');
  say('INT reports from Kafka over UDP (IntExportStage, v0.5) …');
  const stage = await benchIntStage(stack, '0.5');
  return {
    int_encode_v05_reports_per_s: { value: encodeV05.reportsPerSecond, unit: 'reports/s' },
    int_encode_v2_reports_per_s: { value: encodeV2.reportsPerSecond, unit: 'reports/s' },
    int_stage_reports_per_s: { value: stage.reportsPerSecond, unit: 'reports/s (Kafka → UDP)' },
    int_stage_received_ratio: { value: stage.received / stage.sent, unit: 'received/sent (loopback UDP)' },
  };
}
