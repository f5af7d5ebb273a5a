// The INT stage on the real Kafka: IntReportBatch records published to a topic of this test,
// the stage consuming them and sending reports over real UDP to a collector that decodes them
// from the spec; every field, the counts and the sequence numbers checked, and a record that
// does not decode found on the dead-letter topic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { codecs, createKafka, createLogger, RecordProducer, type DeadLetter, type IntEvent, type IntReportBatch } from '@clovisor/core';
import { IntCollector } from '../testing/int-collector.js';
import { eventOf, fixtureFrames } from '../testing/fixture-frames.js';
import { IntExportStage, type IntExportStageOptions } from './int-stage.js';

const brokers = (process.env['CLOVISOR_BROKERS'] ?? '127.0.0.1:9092').split(',');
const log = createLogger('int-stage-test', () => undefined);
const kafka = createKafka(brokers, 'int-stage-test', log);

const tcp = fixtureFrames('python-http10-close.pcap');
const udp = fixtureFrames('dns-udp.pcap')[0]!;
const v6 = fixtureFrames('node-ipv6.pcap')[0]!;
const T0 = 1_763_900_000_000_000_000n;
const low32 = (ns: bigint | null): number => (ns === null ? 0 : Number(ns % 2n ** 32n));

function ttlOne(frame: Buffer): Buffer {
  const copy = Buffer.from(frame);
  copy[22] = 1; // IPv4 TTL (Ethernet 14 + 8)
  return copy;
}

/** Two nodes' batches: hops with both times, a hop originated on the host, and drops. */
function batches(): IntReportBatch[] {
  const hops: IntEvent[] = tcp.slice(0, 4).map((f, i) => eventOf(f, {
    kind: 'HOP', ingressIfindex: 10 + i, egressIfindex: 2, ingressTimeNs: T0 + BigInt(i) * 1_000_000n, egressTimeNs: T0 + BigInt(i) * 1_000_000n + 35_000n,
  }));
  const originated = eventOf(udp, { kind: 'HOP', ingressIfindex: 0, egressIfindex: 3, egressTimeNs: T0 + 9n });
  const noRoute = eventOf(v6, { kind: 'DROP', ingressIfindex: 5, egressIfindex: 0, ingressTimeNs: T0 + 100n, dropTimeNs: T0 + 150n, dropReason: 4, dropReasonName: 'IP_INNOROUTES' });
  const expired = { ...eventOf(tcp[0]!, { kind: 'DROP', ingressIfindex: 6, egressIfindex: 0, dropTimeNs: T0 + 200n, dropReason: 9, dropReasonName: 'IP_INHDR' }), packet: ttlOne(tcp[0]!.frame) };
  const unknown = eventOf(udp, { kind: 'DROP', ingressIfindex: 0, egressIfindex: 0, dropTimeNs: T0 + 300n, dropReason: 2, dropReasonName: 'NOT_SPECIFIED' });
  return [
    { node: 'node-a', nodeAddress: '10.1.2.3', events: [...hops.slice(0, 2), noRoute] },
    { node: 'node-b', nodeAddress: '192.168.7.9', events: [hops[2]!, expired, originated, hops[3]!, unknown] },
  ];
}

interface Run {
  suffix: string;
  topic: string;
  deadletter: string;
  group: string;
}

async function newRun(label: string): Promise<Run> {
  const suffix = `.int-${label}-${randomBytes(3).toString('hex')}`;
  const run = { suffix, topic: `clovisor.int.v1${suffix}`, deadletter: `clovisor.deadletter.v1${suffix}`, group: `clovisor-int-exporter${suffix}` };
  const admin = kafka.admin();
  await admin.connect();
  // one partition: the reports then leave in publication order, so seq_no follows it
  await admin.createTopics({ waitForLeaders: true, topics: [run.topic, run.deadletter].map((topic) => ({ topic, numPartitions: 1 })) });
  await admin.disconnect();
  return run;
}

async function removeRun(run: Run): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [run.topic, run.deadletter] }).catch(() => undefined);
  await admin.deleteGroups([run.group]).catch(() => undefined);
  await admin.disconnect();
}

async function readDeadLetters(run: Run, count: number): Promise<DeadLetter[]> {
  const consumer = kafka.consumer({ groupId: `int-stage-test-reader${run.suffix}` });
  const letters: DeadLetter[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: run.deadletter, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${letters.length} of ${count} dead letters`)), 30_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        letters.push(codecs().deadletter.decode(message.value));
        if (letters.length >= count) { clearTimeout(timer); resolve(); }
      },
    });
  });
  await consumer.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([`int-stage-test-reader${run.suffix}`]).catch(() => undefined);
  await admin.disconnect();
  return letters;
}

async function runStage(label: string, options: Pick<IntExportStageOptions, 'version' | 'hwId' | 'switchId'>) {
  const run = await newRun(label);
  const collector = await IntCollector.start();
  const producer = new RecordProducer(kafka, log);
  await producer.start();
  const [host, port] = collector.address.split(':');
  const stage = new IntExportStage(kafka, producer, { ...options, collector: { host: host!, port: Number(port) }, topic: run.topic, deadLetterTopic: run.deadletter, groupId: run.group }, log);
  try {
    const input = batches();
    const [first, second] = input.map((b) => ({ key: b.node, value: codecs().int.encode(b) }));
    await producer.send(run.topic, [first!, { key: 'bad', value: Buffer.from('not an avro record') }, second!]);
    await stage.start();
    const events = input.flatMap((b) => b.events.map((e) => ({ batch: b, event: e })));
    await collector.waitFor(events.length, 30_000);
    const letters = await readDeadLetters(run, 1);
    await stage.stop();
    return { input, events, collector, letters, stats: stage.stats() };
  } finally {
    await stage.stop().catch(() => undefined);
    await producer.stop();
    await collector.close();
    await removeRun(run);
  }
}

/** The INT codes of the drops above, from the table in docs/int.md (IP_INHDR on a TTL-1 packet: 26). */
const EXPECTED_DROP_REASON: Record<string, number> = { IP_INNOROUTES: 29, IP_INHDR: 26, NOT_SPECIFIED: 0 };
const expectedDropReason = (event: IntEvent): number => EXPECTED_DROP_REASON[event.dropReasonName!]!;

test('v0.5: every event becomes one report at the collector, fields from the records, seq 1..n per node, bad record dead-lettered', async () => {
  const { events, collector, letters, stats } = await runStage('v05', { version: '0.5', hwId: 7, switchId: null });
  assert.equal(collector.undecodable.length, 0, JSON.stringify(collector.undecodable.map((u) => u.error)));
  assert.equal(collector.received.length, events.length);
  collector.received.forEach((got, i) => {
    assert.equal(got.version, 0);
    if (got.version !== 0) return;
    const r = got.report;
    const { batch, event } = events[i]!;
    // seq_no per (switch id, hw_id): each node's reports count from 1
    const seqNo = events.slice(0, i + 1).filter((e) => e.batch === batch).length;
    const switchId = batch.nodeAddress!.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    const drop = event.kind === 'DROP';
    assert.deepEqual(
      { nproto: r.nproto, d: r.d, q: r.q, f: r.f, reserved: r.reserved, hwId: r.hwId, seqNo: r.seqNo, switchId: r.switchId, ingressPort: r.ingressPort, egressPort: r.egressPort, queueId: r.queueId },
      { nproto: drop ? 1 : 2, d: drop ? 1 : 0, q: 0, f: drop ? 0 : 1, reserved: 0, hwId: 7, seqNo, switchId, ingressPort: event.ingressIfindex, egressPort: event.egressIfindex, queueId: 0 },
      `report ${i}`,
    );
    if (drop) {
      assert.equal(r.ingressTstamp, low32(event.ingressTimeNs ?? event.dropTimeNs), `report ${i} ingress_tstamp`);
      assert.deepEqual([r.dropReason, r.pad], [expectedDropReason(event), 0], `report ${i} drop reason`);
    } else {
      assert.deepEqual([r.ingressTstamp, r.egressTstamp, r.queueOccupancy], [low32(event.ingressTimeNs), low32(event.egressTimeNs), 0], `report ${i} times`);
    }
    assert.deepEqual(r.inner, event.packet, `report ${i} inner frame`);
  });
  assert.equal(letters.length, 1);
  assert.equal(letters[0]!.stage, 'int-exporter');
  assert.equal(letters[0]!.sourceOffset, '1');
  assert.deepEqual(letters[0]!.value, Buffer.from('not an avro record'));
  const drops = events.filter((e) => e.event.kind === 'DROP').length;
  assert.deepEqual(
    stats,
    { flowReports: events.length - drops, dropReports: drops, dropReasonUnknown: 1, switchIdUnknown: 0, sequencesForgotten: 0, sent: events.length, sendErrors: 0, droppedFull: 0, batchesConsumed: 2, deadLettered: 1 },
  );
});

test('v2.0 with a configured switch id: group and individual headers, metadata, seq 1..n across the nodes', async () => {
  const { events, collector, stats } = await runStage('v2', { version: '2', hwId: 33, switchId: 4_000_000_000 });
  assert.equal(collector.undecodable.length, 0, JSON.stringify(collector.undecodable.map((u) => u.error)));
  assert.equal(collector.received.length, events.length);
  collector.received.forEach((got, i) => {
    assert.equal(got.version, 2);
    if (got.version !== 2) return;
    const r = got.report;
    const { event } = events[i]!;
    const drop = event.kind === 'DROP';
    const ingress = drop ? event.ingressTimeNs ?? event.dropTimeNs : event.ingressTimeNs;
    const egress = drop ? null : event.egressTimeNs;
    assert.deepEqual(
      { version: r.version, hwId: r.hwId, seqNo: r.seqNo, nodeId: r.nodeId, repType: r.repType, inType: r.inType, d: r.d, q: r.q, f: r.f, i: r.i, rsvd: r.rsvd, domainSpecificId: r.domainSpecificId, dsMdBits: r.dsMdBits, dsMdStatus: r.dsMdStatus },
      { version: 2, hwId: 33, seqNo: i + 1, nodeId: 4_000_000_000, repType: 1, inType: 3, d: drop ? 1 : 0, q: 0, f: drop ? 0 : 1, i: 0, rsvd: 0, domainSpecificId: 0, dsMdBits: 0, dsMdStatus: 0 },
      `report ${i}`,
    );
    assert.deepEqual(
      { ingressInterface: r.ingressInterface, egressInterface: r.egressInterface, ingressTimestamp: r.ingressTimestamp, egressTimestamp: r.egressTimestamp, hopLatency: r.hopLatency, queueId: r.queueId, dropReason: r.dropReason, dropQueueId: r.dropQueueId },
      {
        ingressInterface: event.ingressIfindex, egressInterface: event.egressIfindex, ingressTimestamp: ingress, egressTimestamp: egress,
        hopLatency: ingress !== null && egress !== null ? Number(egress - ingress) : null, queueId: null,
        dropReason: drop ? expectedDropReason(event) : null, dropQueueId: drop ? 0 : null,
      },
      `report ${i} metadata`,
    );
    assert.equal(got.bytes.length, r.declaredBytes, `report ${i} length`);
    assert.deepEqual(r.inner.subarray(0, event.packet.length), event.packet, `report ${i} inner frame`);
    assert.ok(r.inner.length - event.packet.length < 4 && r.inner.subarray(event.packet.length).every((b) => b === 0), `report ${i} padding`);
  });
  assert.deepEqual([stats.sent, stats.sendErrors, stats.deadLettered], [events.length, 0, 1]);
});
