// One MetricsEndpoint over real HTTP with real prom-client: two stages' families side by side,
// numbers copied from their stats on each scrape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../logger.js';
import { MetricsEndpoint } from './endpoint.js';

const log = createLogger('metrics-endpoint-test', () => undefined);

test('two stages on one endpoint: each scrape shows their current totals, labels and gauges, with HELP', async () => {
  const decoder = { out: 0, evicted: { idle: 0, lru: 0 }, active: 0 };
  const exporter = { sent: 0n };
  const endpoint = new MetricsEndpoint({ port: 0, host: '127.0.0.1' }, log);
  endpoint.add('test_decoder', (f) => {
    const out = f.counter('transactions_produced_total', 'Transactions written.');
    const evicted = f.labelledCounter('flows_evicted_total', 'Flows dropped before they ended, by reason.', 'reason');
    const active = f.gauge('flows_active', 'Flows tracked now.');
    return () => {
      out.set(decoder.out);
      evicted.set(decoder.evicted);
      active.set(decoder.active);
    };
  });
  endpoint.add('test_exporter', (f) => {
    const sent = f.counter('datagrams_sent_total', 'Datagrams sent.');
    return () => sent.set(exporter.sent);
  });
  await endpoint.start();
  const url = `http://127.0.0.1:${endpoint.port()}/metrics`;
  try {
    decoder.out = 5;
    decoder.evicted = { idle: 2, lru: 1 };
    decoder.active = 7;
    exporter.sent = 2n ** 40n;
    let res = await fetch(url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    let text = await res.text();
    assert.match(text, /^# HELP test_decoder_flows_evicted_total Flows dropped before they ended, by reason\.$/m);
    assert.match(text, /^# TYPE test_decoder_transactions_produced_total counter$/m);
    assert.match(text, /^test_decoder_transactions_produced_total 5$/m);
    assert.match(text, /^test_decoder_flows_evicted_total\{reason="idle"\} 2$/m);
    assert.match(text, /^test_decoder_flows_evicted_total\{reason="lru"\} 1$/m);
    assert.match(text, /^test_decoder_flows_active 7$/m);
    assert.match(text, new RegExp(`^test_exporter_datagrams_sent_total ${2 ** 40}$`, 'm'));
    assert.match(text, /^process_cpu_seconds_total /m, 'process metrics once for the process');

    decoder.out = 9;
    decoder.active = 3;
    text = await (await fetch(url)).text();
    assert.match(text, /^test_decoder_transactions_produced_total 9$/m, 'set to the new total, not added');
    assert.match(text, /^test_decoder_flows_active 3$/m);

    assert.equal((await fetch(`http://127.0.0.1:${endpoint.port()}/`)).status, 404);
    res = await fetch(url, { method: 'POST' });
    assert.equal(res.status, 405);
  } finally {
    await endpoint.stop();
  }
  await assert.rejects(fetch(url), 'stopped: the port is closed');
});

test('a stage whose stats throw: the scrape answers 500 and the endpoint keeps serving', async () => {
  let broken = true;
  const endpoint = new MetricsEndpoint({ port: 0, host: '127.0.0.1', processMetrics: false }, log);
  endpoint.add('test_flaky', (f) => {
    const c = f.counter('things_total', 'Things.');
    return () => {
      if (broken) throw new Error('stats not ready');
      c.set(1);
    };
  });
  await endpoint.start();
  try {
    const url = `http://127.0.0.1:${endpoint.port()}/metrics`;
    assert.equal((await fetch(url)).status, 500);
    broken = false;
    const text = await (await fetch(url)).text();
    assert.match(text, /^test_flaky_things_total 1$/m);
    assert.doesNotMatch(text, /process_cpu/);
  } finally {
    await endpoint.stop();
  }
});

test('component contract: stop() without start() and twice is safe; start() twice listens once', async () => {
  const never = new MetricsEndpoint({ port: 0, host: '127.0.0.1', processMetrics: false }, log);
  await never.stop();
  await never.stop();
  const endpoint = new MetricsEndpoint({ port: 0, host: '127.0.0.1', processMetrics: false }, log);
  await endpoint.start();
  const port = endpoint.port();
  await endpoint.start();
  assert.equal(endpoint.port(), port);
  await endpoint.stop();
  await endpoint.stop();
  await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`));
});
