import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveIntFlags } from './int-flags.js';

test('INT reports are off without a collector', () => {
  assert.equal(resolveIntFlags({}, {}), null);
  assert.throws(() => resolveIntFlags({ 'int-version': '2' }, {}), /--int-version needs --int-collector <host:port>/);
});

test('flags, environment and defaults', () => {
  assert.deepEqual(resolveIntFlags({ 'int-collector': '10.0.0.9:32766' }, {}), { collector: { host: '10.0.0.9', port: 32766 }, version: '0.5', switchId: null, hwId: 0 });
  assert.deepEqual(
    resolveIntFlags({}, { CLOVISOR_INT_COLLECTOR: '[fd00::9]:9000', CLOVISOR_INT_VERSION: '2', CLOVISOR_INT_SWITCH_ID: '4294967295', CLOVISOR_INT_HW_ID: '63' }),
    { collector: { host: 'fd00::9', port: 9000 }, version: '2', switchId: 4294967295, hwId: 63 },
  );
  assert.deepEqual(resolveIntFlags({ 'int-collector': 'collector.monitoring:32766', 'int-version': '2.0', 'int-switch-id': '0x0a000005' }, { CLOVISOR_INT_VERSION: '0.5' }),
    { collector: { host: 'collector.monitoring', port: 32766 }, version: '2', switchId: 0x0a000005, hwId: 0 });
});

test('bad values say what is expected', () => {
  assert.throws(() => resolveIntFlags({ 'int-collector': 'foo' }, {}), /--int-collector "foo": expected <host>:<port> \(e\.g\. 10\.0\.0\.9:32766/);
  assert.throws(() => resolveIntFlags({ 'int-collector': 'foo:0' }, {}), /port 1-65535/);
  assert.throws(() => resolveIntFlags({ 'int-collector': 'a:1', 'int-version': '1' }, {}), /--int-version "1": expected 0.5 .* or 2/);
  assert.throws(() => resolveIntFlags({ 'int-collector': 'a:1', 'int-hw-id': '64' }, {}), /--int-hw-id "64": expected an integer from 0 to 63/);
  assert.throws(() => resolveIntFlags({ 'int-collector': 'a:1', 'int-switch-id': '-1' }, {}), /--int-switch-id "-1": expected an integer from 0 to 4294967295/);
  assert.throws(() => resolveIntFlags({ 'int-collector': 'a:1', 'int-switch-id': '1.5' }, {}), /--int-switch-id/);
});
