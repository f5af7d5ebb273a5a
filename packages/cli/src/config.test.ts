import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@clovisor/core';
import { parseInterfaceSpec, resolveRunConfig } from './config.js';

test('defaults are the local stack', () => {
  const c = resolveRunConfig({}, { CLOVISOR_NODE_NAME: 'n1' });
  assert.deepEqual(c.brokers, ['127.0.0.1:9092']);
  assert.equal(c.redisUrl, 'redis://127.0.0.1:6379');
  assert.equal(c.otlpEndpoint, 'http://127.0.0.1:4318');
  assert.equal(c.otlpProtocol, 'http');
  assert.equal(c.node, 'n1');
  assert.equal(c.snaplen, 4096);
  assert.equal(c.metricsPort, 9464);
});

test('--metrics-port: flag, then CLOVISOR_METRICS_PORT; 0 disables; out of range rejected', () => {
  assert.equal(resolveRunConfig({}, { CLOVISOR_METRICS_PORT: '9500' }).metricsPort, 9500);
  assert.equal(resolveRunConfig({ 'metrics-port': '0' }, { CLOVISOR_METRICS_PORT: '9500' }).metricsPort, 0);
  for (const bad of ['65536', '-1', 'http', '9464.5']) {
    assert.throws(() => resolveRunConfig({ 'metrics-port': bad }, {}), (e: unknown) => e instanceof ConfigError && /--metrics-port .*integer from 0 to 65535/.test(e.message), bad);
  }
});

test('flags win over the environment, the environment over defaults', () => {
  const env = { CLOVISOR_BROKERS: 'k1:9092,k2:9092', CLOVISOR_OTLP_ENDPOINT: 'http://jaeger:4318', CLOVISOR_PORTS: '8080=http,6379=redis', CLOVISOR_INTERFACES: 'eth0=web' };
  const fromEnv = resolveRunConfig({}, env);
  assert.deepEqual(fromEnv.brokers, ['k1:9092', 'k2:9092']);
  assert.deepEqual(fromEnv.ports, [{ port: 8080, protocol: 'http' }, { port: 6379, protocol: 'redis' }]);
  assert.deepEqual(fromEnv.interfaces, [{ name: 'eth0', service: 'web' }]);
  const fromFlags = resolveRunConfig({ brokers: 'b:1', port: ['9000=http'], interface: ['veth1'], 'otlp-endpoint': 'https://otlp.example:4318/' }, env);
  assert.deepEqual(fromFlags.brokers, ['b:1']);
  assert.deepEqual(fromFlags.ports, [{ port: 9000, protocol: 'http' }]);
  assert.deepEqual(fromFlags.interfaces, [{ name: 'veth1', service: null }]);
  assert.equal(fromFlags.otlpEndpoint, 'https://otlp.example:4318');
  assert.equal(resolveRunConfig({ 'otlp-protocol': 'grpc' }, {}).otlpEndpoint, 'http://127.0.0.1:4317');
});

test('bad values are ConfigErrors that say what is expected', () => {
  const bad: Array<[Parameters<typeof resolveRunConfig>[0], RegExp]> = [
    [{ brokers: 'nohostport' }, /not host:port/],
    [{ redis: 'http://x' }, /scheme must be one of redis: rediss:/],
    [{ 'otlp-endpoint': 'not a url' }, /not a URL/],
    [{ 'otlp-protocol': 'thrift' }, /expected http or grpc/],
    [{ snaplen: '10' }, /integer from 64 to 8192/],
    [{ interface: ['eth0', 'eth0'] }, /given twice/],
    [{ port: ['80=http', '80=redis'] }, /both http and redis/],
    [{ interface: ['a-very-long-interface-name'] }, /at most 15 characters/],
  ];
  for (const [flags, pattern] of bad) assert.throws(() => resolveRunConfig(flags, {}), (e: unknown) => e instanceof ConfigError && pattern.test(e.message), String(pattern));
});

test('node interfaces and the kernel flow table: flags, then environment, then defaults', () => {
  const d = resolveRunConfig({}, {});
  assert.deepEqual([d.nodeInterfaces, d.flowTableSize, d.flowIdleTimeoutSeconds], [[], 131072, 120]);
  const env = { CLOVISOR_NODE_INTERFACES: 'eth0, eth1', CLOVISOR_FLOW_TABLE_SIZE: '4096', CLOVISOR_FLOW_IDLE_TIMEOUT: '30' };
  const fromEnv = resolveRunConfig({}, env);
  assert.deepEqual([fromEnv.nodeInterfaces, fromEnv.flowTableSize, fromEnv.flowIdleTimeoutSeconds], [['eth0', 'eth1'], 4096, 30]);
  const fromFlags = resolveRunConfig({ 'node-interface': ['bond0'], 'flow-table-size': '262144', 'flow-idle-timeout': '600' }, env);
  assert.deepEqual([fromFlags.nodeInterfaces, fromFlags.flowTableSize, fromFlags.flowIdleTimeoutSeconds], [['bond0'], 262144, 600]);
  const bad: Array<[Parameters<typeof resolveRunConfig>[0], RegExp]> = [
    [{ 'flow-table-size': '10' }, /--flow-table-size .*integer from 1024/],
    [{ 'flow-idle-timeout': '0' }, /--flow-idle-timeout .*integer from 1 to 86400/],
    [{ 'node-interface': ['eth0', 'eth0'] }, /given twice/],
    [{ 'node-interface': ['veth1'], interface: ['veth1'] }, /both as --interface and as --node-interface/],
  ];
  for (const [flags, pattern] of bad) assert.throws(() => resolveRunConfig(flags, {}), (e: unknown) => e instanceof ConfigError && pattern.test(e.message), String(pattern));
});

test('capture ring size: flag, then environment, then 4 MiB; only powers of two', () => {
  assert.equal(resolveRunConfig({}, {}).ringSizeMiB, 4);
  assert.equal(resolveRunConfig({}, { CLOVISOR_RING_SIZE: '16' }).ringSizeMiB, 16);
  assert.equal(resolveRunConfig({ 'ring-size': '1' }, { CLOVISOR_RING_SIZE: '16' }).ringSizeMiB, 1);
  for (const [raw, pattern] of [['3', /power of two/], ['0', /integer from 1 to 256/], ['512', /integer from 1 to 256/]] as const) {
    assert.throws(() => resolveRunConfig({ 'ring-size': raw }, {}), (e: unknown) => e instanceof ConfigError && pattern.test(e.message), raw);
  }
});

test('interface specs', () => {
  assert.deepEqual(parseInterfaceSpec('veth9=checkout-v2'), { name: 'veth9', service: 'checkout-v2' });
  assert.throws(() => parseInterfaceSpec('=svc'));
});

test('plugins come from --plugin, else CLOVISOR_PLUGINS', () => {
  assert.deepEqual(resolveRunConfig({}, { CLOVISOR_PLUGINS: 'memcached=/p/m.js, lines=./l.js' }).plugins, [
    { protocol: 'memcached', path: '/p/m.js', source: 'flag' }, { protocol: 'lines', path: './l.js', source: 'flag' },
  ]);
  assert.deepEqual(resolveRunConfig({ plugin: ['x=/x.js'] }, { CLOVISOR_PLUGINS: 'memcached=/p/m.js' }).plugins, [{ protocol: 'x', path: '/x.js', source: 'flag' }]);
  assert.throws(() => resolveRunConfig({ plugin: ['memcached'] }, {}), (e: unknown) => e instanceof ConfigError && /expected <protocol>=<module path>/.test(e.message));
  assert.throws(() => resolveRunConfig({ plugin: ['a=/1.js', 'a=/2.js'] }, {}), /given twice/);
});

test('--legacy-tags, else CLOVISOR_LEGACY_TAGS (1/true/yes), else off', () => {
  assert.equal(resolveRunConfig({}, {}).legacyTags, false);
  assert.equal(resolveRunConfig({ 'legacy-tags': true }, {}).legacyTags, true);
  for (const on of ['1', 'true', 'YES']) assert.equal(resolveRunConfig({}, { CLOVISOR_LEGACY_TAGS: on }).legacyTags, true, on);
  for (const off of ['0', 'false', '']) assert.equal(resolveRunConfig({}, { CLOVISOR_LEGACY_TAGS: off }).legacyTags, false, off);
  assert.throws(() => resolveRunConfig({}, { CLOVISOR_LEGACY_TAGS: 'on please' }), (e: unknown) => e instanceof ConfigError && /CLOVISOR_LEGACY_TAGS "on please": expected 1 or 0/.test(e.message));
});

test('--schema-registry, else CLOVISOR_SCHEMA_REGISTRY, else none; must be an http(s) URL', () => {
  assert.equal(resolveRunConfig({}, {}).schemaRegistry, null);
  assert.equal(resolveRunConfig({}, { CLOVISOR_SCHEMA_REGISTRY: 'http://sr:8081/' }).schemaRegistry, 'http://sr:8081');
  assert.equal(resolveRunConfig({ 'schema-registry': 'https://a:1' }, { CLOVISOR_SCHEMA_REGISTRY: 'http://sr:8081' }).schemaRegistry, 'https://a:1');
  assert.throws(() => resolveRunConfig({ 'schema-registry': 'sr:8081' }, {}), (e: unknown) => e instanceof ConfigError && /--schema-registry/.test(e.message));
});
