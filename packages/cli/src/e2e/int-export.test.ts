// `clovisor export --int-collector …` as a real process on isolated topics: IntReportBatch
// records published to its clovisor.int.v1 come out as Telemetry Reports v2.0 at a UDP
// collector that decodes them from the spec, with the flags' hw_id, the node's IPv4 as Node
// ID, seq_no 1..n and the mapped drop reason; a record that does not decode is dead-lettered;
// its /metrics counts the reports by kind; SIGINT stops it with exit 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordProducer, codecs, createKafka, createLogger, type IntReportBatch } from '@clovisor/core';
import { eventOf, fixtureFrames } from '@clovisor/exporter/fixture-frames';
import { IntCollector } from '@clovisor/exporter/int-collector';
import { isolatedTopics } from '../lab/isolated-topics.js';
import { startClovisor } from '../lab/pipeline-process.js';
import { waitForMetrics } from '../lab/scrape-metrics.js';
import { freePort } from '@clovisor/stack/testing';

const brokers = process.env['CLOVISOR_BROKERS'] ?? '127.0.0.1:9092';

test('clovisor export --int-collector --int-version 2 --int-hw-id 5 sends one report per event', async () => {
  const topics = isolatedTopics(brokers, 'int-export');
  const collector = await IntCollector.start();
  const log = createLogger('int-export-test', () => undefined);
  const producer = new RecordProducer(createKafka(brokers.split(','), 'int-export-test', log), log);
  const metricsPort = await freePort();
  const exporter = await startClovisor(['export', '--int-collector', collector.address, '--int-version', '2', '--int-hw-id', '5', '--metrics-port', String(metricsPort)], { ...topics.env, CLOVISOR_BROKERS: brokers });
  try {
    const [frame] = fixtureFrames('python-http10-close.pcap');
    const t = BigInt(Date.now()) * 1_000_000n;
    const batch: IntReportBatch = {
      node: 'node-x',
      nodeAddress: '10.20.30.40',
      events: [
        eventOf(frame!, { kind: 'HOP', ingressIfindex: 3, egressIfindex: 4, ingressTimeNs: t, egressTimeNs: t + 12_000n }),
        eventOf(frame!, { kind: 'DROP', ingressIfindex: 3, egressIfindex: 0, ingressTimeNs: t + 1n, dropTimeNs: t + 5n, dropReason: 77, dropReasonName: 'NETFILTER_DROP' }),
        eventOf(frame!, { kind: 'HOP', ingressIfindex: 4, egressIfindex: 3, ingressTimeNs: t + 9n, egressTimeNs: t + 40n }),
      ],
    };
    await producer.start();
    await producer.send(`clovisor.int.v1${topics.suffix}`, [{ key: batch.node, value: codecs().int.encode(batch) }, { key: 'bad', value: Buffer.from('no IntReportBatch') }]);
    await collector.waitFor(3, 60_000);
    assert.deepEqual(collector.undecodable, []);
    const reports = collector.received.map((r) => (r.version === 2 ? r.report : assert.fail(`version ${r.version}`)));
    assert.deepEqual(reports.map((r) => [r.version, r.hwId, r.seqNo, r.nodeId]), [1, 2, 3].map((seq) => [2, 5, seq, ((10 * 256 + 20) * 256 + 30) * 256 + 40]));
    assert.deepEqual(reports.map((r) => [r.d, r.f, r.ingressInterface, r.egressInterface, r.hopLatency, r.dropReason]), [
      [0, 1, 3, 4, 12_000, null],
      [1, 0, 3, 0, null, 80],
      [0, 1, 4, 3, 31, null],
    ]);
    const scrape = await waitForMetrics(metricsPort, {
      clovisor_exporter_int_batches_consumed_total: (v) => v === 1,
      'clovisor_exporter_int_reports_total{kind="flow"}': (v) => v === 2,
      'clovisor_exporter_int_reports_total{kind="drop"}': (v) => v === 1,
      clovisor_exporter_int_datagrams_sent_total: (v) => v === 3,
      clovisor_exporter_int_dead_lettered_total: (v) => v === 1,
      clovisor_exporter_int_send_errors_total: (v) => v === 0,
      clovisor_exporter_int_dropped_full_total: (v) => v === 0,
      clovisor_exporter_int_drop_reason_unknown_total: (v) => v === 0,
      clovisor_exporter_spans_exported_total: (v) => v === 0,
    });
    assert.match(scrape.help.get('clovisor_exporter_int_dropped_full_total') ?? '', /queue was full/);
  } finally {
    const exit = await exporter.stop();
    await producer.stop().catch(() => undefined);
    await collector.close();
    await topics.remove().catch(() => undefined);
    assert.equal(exit, 0, exporter.log().split('\n').slice(-15).join('\n'));
    assert.match(exporter.log(), /INT reports sent .* sent=3 sendErrors=0/);
  }
});
