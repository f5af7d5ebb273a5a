/*
 * Against the DEFAULT stack (the one other work uses): bring it up (or reuse it), check it is real,
 * and never take it down here.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { probeJaeger, probeKafka, probeRedis, stackStatus, stackUp } from './index.js';
import { quiet } from './testing.js';

test('stackUp brings Kafka, Redis and Jaeger up and every probe passes', { timeout: 15 * 60_000 }, async () => {
  const ep = await stackUp({ log: quiet });
  assert.deepEqual(Object.keys(ep).sort(), ['brokers', 'jaegerQuery', 'otlpGrpc', 'otlpHttp', 'redis']);
  const k = await probeKafka(ep.brokers);
  assert.ok(k.ok, k.detail);
  assert.ok((k.brokers ?? []).length >= 1, 'metadata lists a broker');
  const r = await probeRedis(ep.redis);
  assert.ok(r.ok, r.detail);
  const j = await probeJaeger(ep);
  assert.ok(j.ok, j.detail);
});

test('a second stackUp reuses everything: fast, same endpoints, same pids', { timeout: 15 * 60_000 }, async () => {
  const first = await stackUp({ log: quiet });
  const before = await stackStatus();
  const t0 = performance.now();
  const lines: string[] = [];
  const second = await stackUp({ log: (l) => lines.push(l) });
  const ms = performance.now() - t0;
  const after = await stackStatus();
  assert.deepEqual(second, first);
  assert.ok(ms < 3000, `reuse took ${ms.toFixed(0)} ms`);
  assert.ok(!lines.some((l) => l.includes('starting')), `nothing started: ${lines.join(' | ')}`);
  for (const name of ['kafka', 'redis', 'jaeger'] as const) {
    assert.equal(after.components[name].pid, before.components[name].pid, `${name} pid unchanged`);
    assert.equal(after.components[name].up, true, `${name} up`);
  }
});

test('stackStatus reports endpoint, up, ownership and pid consistently', async () => {
  const s = await stackStatus();
  for (const c of Object.values(s.components)) {
    assert.equal(c.up, true, `${c.name}: ${c.detail}`);
    if (c.ours) {
      assert.ok(Number.isInteger(c.pid) && c.pid! > 0, `${c.name} has a pid`);
      assert.ok(c.log && c.log.startsWith(s.stateDir), `${c.name} log lives in the state dir`);
    } else {
      assert.equal(c.pid, null, `${c.name} is not ours, so no pid`);
    }
  }
  assert.equal(s.components.kafka.endpoint, s.endpoints.brokers);
  assert.equal(s.components.redis.endpoint, s.endpoints.redis);
});

test('a real OTLP/HTTP span sent to Jaeger is found through the query API', { timeout: 60_000 }, async () => {
  const ep = await stackUp({ log: quiet, only: ['jaeger'] });
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  const now = BigInt(Date.now()) * 1_000_000n;
  const body = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'clovisor-stack-test' } }] },
        scopeSpans: [
          {
            scope: { name: 'clovisor-stack-test' },
            spans: [
              {
                traceId,
                spanId,
                name: 'GET /stack-test',
                kind: 2,
                startTimeUnixNano: String(now - 5_000_000n),
                endTimeUnixNano: String(now),
                attributes: [{ key: 'http.request.method', value: { stringValue: 'GET' } }],
              },
            ],
          },
        ],
      },
    ],
  };
  const res = await fetch(`${ep.otlpHttp}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.text());

  // The batch processor flushes within ~200 ms; poll instead of sleeping a fixed time.
  const deadline = Date.now() + 20_000;
  let last = '';
  for (;;) {
    const q = await fetch(`${ep.jaegerQuery}/api/traces/${traceId}`);
    last = await q.text();
    if (q.status === 200) {
      const parsed = JSON.parse(last) as { data: Array<{ traceID: string; spans: Array<{ spanID: string; operationName: string }> }> };
      const span = parsed.data[0]?.spans.find((s) => s.spanID === spanId);
      if (span) {
        assert.equal(parsed.data[0]!.traceID, traceId);
        assert.equal(span.operationName, 'GET /stack-test');
        return;
      }
    }
    assert.ok(Date.now() < deadline, `trace ${traceId} not found in Jaeger: ${last.slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
});
