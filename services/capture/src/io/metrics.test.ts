// The real HTTP server and real prom-client, fed by a stats provider with known numbers (a real
// capture stage needs root and eBPF; the e2e suite scrapes that one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, ConfigError } from '@clovisor/core';
import { createCaptureMetrics, type CaptureMetricsSnapshot } from './metrics.js';
import { MetricsEndpoint } from '@clovisor/core/metrics';

const log = createLogger('metrics-test', () => undefined);

function snapshot(scale: number): CaptureMetricsSnapshot {
  return {
    kernel: {
      emitted: 1000n * BigInt(scale), lost: 3n, truncated: 7n, payloadBytes: 123_456n, matched: 2000n,
      flowsCreated: 70n, flowsClosedFin: 30n, flowsClosedRst: 2n, flowsInsertFailed: 1n, nodeMatched: 90n, nodeEmitted: 80n,
    },
    ring: { records: 1, bytes: 2, batches: 3, droppedBatches: 4, droppedRecords: 40, discardedRecords: 0, pollErrors: 0, callbackErrors: 0 },
    flows: {
      flowsActive: 12, flowsCreated: 50, flowsEvictedLru: 5, flowsExpiredIdle: 6, segments: 0, batches: 0, eventsUnknownInterface: 0,
      nodeEventsMatched: 75, nodeEventsUnmatched: 5, intHopsReceived: 30, intHopsAttached: 40, intHopsDropped: 2, intHopsUnmatched: 6,
    },
    flowTable: { size: 131072, live: 20, created: 70n, closedFin: 30n, closedRst: 2n, insertFailed: 1n, aged: 8, purged: 3, evictedLru: 7n, passes: 9 },
    sender: { queued: 9, sent: 400, droppedQueueFull: 11, sendErrors: 2, lastSendLatencyMs: 15 },
    decodeErrors: 1,
    interfacesAttached: 3,
    attachFailures: 8,
    configReloads: 4,
    tcp: {
      status: { attached: ['inet_sock_set_state', 'tcp_retransmit_skb', 'tcp_send_reset'] },
      kernel: { emitted: 70n, lost: 1n },
      join: { attached: 60, unmatched: 8, overflow: 2 },
    },
    int: {
      kernel: { hopsEmitted: 500n, dropsEmitted: 6n, lost: 2n, suppressed: 4000n, dropsSuppressed: 30n, rateKeysCreated: 70n, wakeupsForced: 5n },
      ringDroppedRecords: 1,
      decodeErrors: 0,
      dropsIgnored: 11,
      queue: { queued: 12, dropped: 9, droppedDrops: 1 },
      batchesSent: 77,
      sendErrors: 3,
      watchlist: { reloads: 5, errors: 2, rules: 4 },
      interfacesAttached: 3,
      attachFailures: 1,
    },
  };
}

/** `name{labels} value` lines → map, and HELP/TYPE lines by metric name. */
function parse(text: string): { values: Map<string, number>; help: Map<string, string>; type: Map<string, string> } {
  const values = new Map<string, number>();
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  for (const line of text.split('\n')) {
    let m = /^# HELP (\S+) (.+)$/.exec(line);
    if (m) { help.set(m[1]!, m[2]!); continue; }
    m = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (m) { type.set(m[1]!, m[2]!); continue; }
    m = /^(\S+) (\S+)$/.exec(line);
    if (m) values.set(m[1]!, Number(m[2]));
  }
  return { values, help, type };
}

test('/metrics serves every clovisor_capture_* metric with HELP, type and the provider\'s numbers', async () => {
  let scale = 1;
  const server = new MetricsEndpoint({ port: 0, host: '127.0.0.1' }, log);
  const metrics = createCaptureMetrics(() => snapshot(scale), server.registry);
  server.onScrape(() => metrics.update());
  await server.start();
  try {
    metrics.observeSendDuration(0.004, true);
    metrics.observeSendDuration(0.2, true);
    metrics.observeSendDuration(3, false);
    const url = `http://127.0.0.1:${server.port()}/metrics`;
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const { values, help, type } = parse(await res.text());
    const expected: Record<string, [number, string]> = {
      clovisor_capture_kernel_events_total: [1000, 'counter'],
      clovisor_capture_payload_bytes_total: [123_456, 'counter'],
      clovisor_capture_kernel_lost_events_total: [3, 'counter'],
      clovisor_capture_interface_attach_failures_total: [8, 'counter'],
      clovisor_capture_truncated_packets_total: [7, 'counter'],
      clovisor_capture_matched_packets_total: [2000, 'counter'],
      clovisor_capture_ring_dropped_records_total: [40, 'counter'],
      clovisor_capture_ring_dropped_batches_total: [4, 'counter'],
      clovisor_capture_flows_active: [12, 'gauge'],
      clovisor_capture_flows_created_total: [50, 'counter'],
      'clovisor_capture_flows_evicted_total{reason="lru"}': [5, 'counter'],
      'clovisor_capture_flows_evicted_total{reason="idle"}': [6, 'counter'],
      clovisor_capture_segment_batches_queued: [9, 'gauge'],
      clovisor_capture_segment_batches_sent_total: [400, 'counter'],
      clovisor_capture_segment_batches_dropped_total: [11, 'counter'],
      clovisor_capture_kafka_send_errors_total: [2, 'counter'],
      clovisor_capture_kafka_last_send_duration_seconds: [0.015, 'gauge'],
      clovisor_capture_interfaces_attached: [3, 'gauge'],
      clovisor_capture_config_reloads_total: [4, 'counter'],
      clovisor_capture_decode_errors_total: [1, 'counter'],
      clovisor_capture_kernel_flows_created_total: [70, 'counter'],
      'clovisor_capture_kernel_flows_removed_total{reason="fin"}': [30, 'counter'],
      'clovisor_capture_kernel_flows_removed_total{reason="rst"}': [2, 'counter'],
      'clovisor_capture_kernel_flows_removed_total{reason="idle"}': [8, 'counter'],
      'clovisor_capture_kernel_flows_removed_total{reason="purged"}': [3, 'counter'],
      'clovisor_capture_kernel_flows_removed_total{reason="lru"}': [7, 'counter'],
      clovisor_capture_kernel_flow_insert_failures_total: [1, 'counter'],
      clovisor_capture_kernel_flows_live: [20, 'gauge'],
      clovisor_capture_kernel_flow_table_size: [131072, 'gauge'],
      clovisor_capture_node_events_total: [80, 'counter'],
      clovisor_capture_node_events_unmatched_total: [5, 'counter'],
      clovisor_capture_tcp_events_total: [70, 'counter'],
      clovisor_capture_tcp_events_lost_total: [1, 'counter'],
      clovisor_capture_tcp_events_joined_total: [60, 'counter'],
      'clovisor_capture_tcp_events_unmatched_total{reason="no_flow"}': [8, 'counter'],
      'clovisor_capture_tcp_events_unmatched_total{reason="overflow"}': [2, 'counter'],
      clovisor_capture_tcp_tracepoints_attached: [3, 'gauge'],
      'clovisor_capture_int_events_total{kind="hop"}': [500, 'counter'],
      'clovisor_capture_int_events_total{kind="drop"}': [6, 'counter'],
      clovisor_capture_int_ring_lost_total: [3, 'counter'],
      'clovisor_capture_int_rate_limited_total{kind="hop"}': [4000, 'counter'],
      'clovisor_capture_int_rate_limited_total{kind="drop"}': [30, 'counter'],
      clovisor_capture_int_rate_keys_created_total: [70, 'counter'],
      clovisor_capture_int_drop_wakeups_total: [5, 'counter'],
      'clovisor_capture_int_queue_dropped_total{kind="hop"}': [8, 'counter'],
      'clovisor_capture_int_queue_dropped_total{kind="drop"}': [1, 'counter'],
      clovisor_capture_int_batches_sent_total: [77, 'counter'],
      clovisor_capture_int_send_errors_total: [3, 'counter'],
      clovisor_capture_int_decode_errors_total: [0, 'counter'],
      clovisor_capture_int_drops_ignored_total: [11, 'counter'],
      clovisor_capture_int_watchlist_reloads_total: [5, 'counter'],
      clovisor_capture_int_watchlist_errors_total: [2, 'counter'],
      clovisor_capture_int_attach_failures_total: [1, 'counter'],
      clovisor_capture_int_events_queued: [12, 'gauge'],
      clovisor_capture_int_watchlist_rules: [4, 'gauge'],
      clovisor_capture_int_interfaces_attached: [3, 'gauge'],
      clovisor_capture_int_hops_joined_total: [40, 'counter'],
      'clovisor_capture_int_hops_unjoined_total{reason="no_flow"}': [6, 'counter'],
      'clovisor_capture_int_hops_unjoined_total{reason="batch_full"}': [2, 'counter'],
      'clovisor_capture_kafka_send_duration_seconds_count{result="ok"}': [2, 'histogram'],
      'clovisor_capture_kafka_send_duration_seconds_count{result="error"}': [1, 'histogram'],
      'clovisor_capture_kafka_send_duration_seconds_bucket{le="0.005",result="ok"}': [1, 'histogram'],
      'clovisor_capture_kafka_send_duration_seconds_bucket{le="0.25",result="ok"}': [2, 'histogram'],
    };
    for (const [series, [value, kind]] of Object.entries(expected)) {
      assert.equal(values.get(series), value, series);
      const name = series.replace(/\{.*$/, '').replace(/_(count|bucket)$/, '');
      assert.equal(type.get(name), kind, `${name} TYPE`);
      assert.ok((help.get(name)?.length ?? 0) > 15, `${name} has HELP`);
    }
    // every clovisor metric is covered above: a new one must be added to this test
    const names = [...type.keys()].filter((n) => n.startsWith('clovisor_capture_'));
    const covered = new Set(Object.keys(expected).map((s) => s.replace(/\{.*$/, '').replace(/_(count|bucket)$/, '')));
    assert.deepEqual(names.filter((n) => !covered.has(n)), []);
    assert.ok(values.has('process_cpu_seconds_total'), 'process metrics are included');

    // values are read at scrape time, not cached
    scale = 5;
    assert.equal(parse(await (await fetch(url)).text()).values.get('clovisor_capture_kernel_events_total'), 5000);

    assert.equal((await fetch(`http://127.0.0.1:${server.port()}/`)).status, 404);
    assert.equal((await fetch(url, { method: 'POST' })).status, 405);
  } finally {
    await server.stop();
  }
});

test('a stage that has not started reports zeros rather than failing', async () => {
  const endpoint = new MetricsEndpoint({ port: 0, processMetrics: false }, log);
  const metrics = createCaptureMetrics(() => ({ ...snapshot(1), kernel: null, ring: null, flows: null, flowTable: null, tcp: null }), endpoint.registry);
  endpoint.onScrape(() => metrics.update());
  const { values } = parse(await endpoint.render());
  assert.equal(values.get('clovisor_capture_tcp_tracepoints_attached'), 0);
  assert.equal(values.get('clovisor_capture_kernel_events_total'), 0);
  assert.equal(values.get('clovisor_capture_flows_active'), 0);
  assert.equal(values.get('clovisor_capture_segment_batches_sent_total'), 400);
  assert.equal(values.has('process_cpu_seconds_total'), false);
});

test('a port in use is one clear ConfigError; stop() frees the port', async () => {
  const endpoint = (port: number) => {
    const e = new MetricsEndpoint({ port, host: '127.0.0.1', processMetrics: false }, log);
    const metrics = createCaptureMetrics(() => snapshot(1), e.registry);
    e.onScrape(() => metrics.update());
    return e;
  };
  const first = endpoint(0);
  await first.start();
  const port = first.port();
  const second = endpoint(port);
  await assert.rejects(second.start(), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, new RegExp(`^--metrics-port ${port}: 127\\.0\\.0\\.1:${port} is already in use.*0 to disable`));
    assert.equal(err.message.includes('\n'), false);
    return true;
  });
  await first.stop();
  await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`));
  await second.start(); // the port is free again
  assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 200);
  await second.stop();
});
