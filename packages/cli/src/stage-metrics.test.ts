import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, ConfigError } from '@clovisor/core';
import { freePort } from '@clovisor/stack/testing';
import { metricsEndpoint, metricsPortFor } from './stage-metrics.js';

test('the metrics port: the configured one when given (0 = off), else 9464 for capture and run, 9465-9467 for decode, correlate, export', () => {
  assert.equal(metricsPortFor(['capture', 'decode', 'correlate', 'export'], undefined, 9464), 9464);
  assert.equal(metricsPortFor(['capture'], undefined, 9464), 9464);
  assert.equal(metricsPortFor(['decode'], undefined, 9464), 9465);
  assert.equal(metricsPortFor(['correlate'], undefined, 9464), 9466);
  assert.equal(metricsPortFor(['export'], undefined, 9464), 9467);
  assert.equal(metricsPortFor(['decode'], '9464', 9464), 9464, 'given explicitly (flag or environment): kept');
  assert.equal(metricsPortFor(['export'], '0', 0), 0);
});

test('port 0 opens no endpoint; a port in use fails at once with what to do', async () => {
  const log = createLogger('stage-metrics-test', () => undefined);
  assert.equal(await metricsEndpoint(0, log), null);
  const port = await freePort();
  const first = await metricsEndpoint(port, log);
  await first?.start();
  try {
    assert.equal(first?.port(), port);
    const second = await metricsEndpoint(port, log);
    await assert.rejects(second!.start(), (err: unknown) => err instanceof ConfigError && /--metrics-port \d+: .* already in use .*0 to disable metrics/.test(err.message));
  } finally {
    await first?.stop();
  }
});
