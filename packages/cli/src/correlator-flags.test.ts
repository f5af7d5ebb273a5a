import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@clovisor/core';
import { resolveCorrelatorFlags } from './correlator-flags.js';

test('correlator flags: unset = the correlator\'s defaults; flags win over the environment', () => {
  assert.deepEqual(resolveCorrelatorFlags({}, {}), {});
  assert.deepEqual(resolveCorrelatorFlags({}, { CLOVISOR_REQUEST_ID_WINDOW_MS: '60000', CLOVISOR_REQUEST_ID_HOLD_MS: '0' }), { requestIdWindowMs: 60_000, requestIdHoldMs: 0 });
  assert.deepEqual(resolveCorrelatorFlags({ 'request-id-hold-ms': '500' }, { CLOVISOR_REQUEST_ID_HOLD_MS: '0' }), { requestIdHoldMs: 500 });
  assert.deepEqual(resolveCorrelatorFlags({}, { CLOVISOR_WARMUP_RECORDS: '0' }), { warmupRecords: 0 });
  assert.deepEqual(resolveCorrelatorFlags({ 'warmup-records': '250000' }, { CLOVISOR_WARMUP_RECORDS: '0' }), { warmupRecords: 250_000 });
});

test('correlator flags: bad values are configuration errors', () => {
  for (const flags of [{ 'request-id-window-ms': '0' }, { 'request-id-hold-ms': '-1' }, { 'request-id-hold-ms': '1.5' }, { 'request-id-window-ms': '2h' }, { 'request-id-hold-ms': '3600001' }, { 'warmup-records': '-1' }, { 'warmup-records': '1e9' }, { 'warmup-records': 'all' }]) {
    assert.throws(() => resolveCorrelatorFlags(flags, {}), ConfigError, JSON.stringify(flags));
  }
});
