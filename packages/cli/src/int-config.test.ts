import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@clovisor/core';
import { resolveRunConfig } from './config.js';
import { FLAG_OPTIONS } from './commands/stages.js';
import { HELP } from './help.js';

test('INT is off by default; --int or CLOVISOR_INT=1 turns it on with the documented defaults', () => {
  assert.equal(resolveRunConfig({}, {}).int, null);
  const expected = { watchlistPath: null, reportIntervalMs: 1000, latencyBucketShift: 16, topologyPort: 4048, nodeAddress: null };
  assert.deepEqual(resolveRunConfig({ int: true }, {}).int, expected);
  assert.deepEqual(resolveRunConfig({}, { CLOVISOR_INT: 'yes' }).int, expected);
});

test('INT settings: flags win over CLOVISOR_* variables; NODE_IP is the last fallback of the node address', () => {
  const env = {
    CLOVISOR_INT: '1', CLOVISOR_INT_WATCHLIST: '/etc/wl.yaml', CLOVISOR_INT_REPORT_INTERVAL_MS: '250', CLOVISOR_INT_LATENCY_BUCKET_SHIFT: '20',
    CLOVISOR_TOPOLOGY_PORT: '0', NODE_IP: '192.0.2.7',
  };
  assert.deepEqual(resolveRunConfig({}, env).int, { watchlistPath: '/etc/wl.yaml', reportIntervalMs: 250, latencyBucketShift: 20, topologyPort: 0, nodeAddress: '192.0.2.7' });
  const flags = { 'int-watchlist': 'wl.yaml', 'int-report-interval-ms': '0', 'int-latency-bucket-shift': '64', 'topology-port': '14048', 'node-address': '198.51.100.1' };
  assert.deepEqual(resolveRunConfig(flags, { ...env, CLOVISOR_NODE_ADDRESS: '203.0.113.9' }).int, { watchlistPath: 'wl.yaml', reportIntervalMs: 0, latencyBucketShift: 64, topologyPort: 14048, nodeAddress: '198.51.100.1' });
  assert.equal(resolveRunConfig({}, { ...env, CLOVISOR_NODE_ADDRESS: '203.0.113.9' }).int?.nodeAddress, '203.0.113.9');
});

test('INT settings without --int, and bad values, are ConfigErrors that say what to do', () => {
  const cases: Array<[Parameters<typeof resolveRunConfig>[0], Record<string, string>, RegExp]> = [
    [{ 'int-watchlist': 'wl.yaml' }, {}, /--int-watchlist is a setting of INT telemetry: add --int/],
    [{ 'topology-port': '4048' }, {}, /--topology-port is a setting of INT telemetry/],
    [{ int: true, 'node-address': 'fd00::1' }, {}, /--node-address "fd00::1": expected the node's IPv4 address/],
    [{ int: true }, { NODE_IP: 'node-1' }, /--node-address "node-1"/],
    [{ int: true, 'int-report-interval-ms': '-1' }, {}, /--int-report-interval-ms "-1": expected an integer from 0 to 3600000/],
    [{ int: true, 'int-latency-bucket-shift': '65' }, {}, /--int-latency-bucket-shift "65": expected an integer from 0 to 64/],
    [{ int: true, 'topology-port': '70000' }, {}, /--topology-port "70000": expected an integer from 0 to 65535/],
    [{}, { CLOVISOR_INT: 'maybe' }, /CLOVISOR_INT "maybe": expected 1 or 0/],
  ];
  for (const [flags, env, message] of cases) {
    assert.throws(() => resolveRunConfig(flags, env), (err: unknown) => err instanceof ConfigError && message.test(err.message), `${JSON.stringify(flags)} ${JSON.stringify(env)}`);
  }
});

test('every INT flag is in the flag table and in the --help of capture and run', () => {
  for (const flag of ['int', 'int-watchlist', 'int-report-interval-ms', 'int-latency-bucket-shift', 'topology-port', 'node-address']) {
    assert.ok(flag in FLAG_OPTIONS, `--${flag} parsed`);
    for (const command of ['capture', 'run']) assert.match(HELP[command]!, new RegExp(`--${flag}\\b`), `--${flag} in clovisor ${command} --help`);
  }
});
