import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StackError, registryWanted, resolveConfig } from './index.js';

test('defaults are the upstream ports on loopback, exactly the documented JSON', () => {
  const c = resolveConfig({ env: {}, stateDir: '/tmp/x', cacheDir: '/tmp/y' });
  assert.equal(
    JSON.stringify(c.endpoints),
    '{"brokers":"127.0.0.1:9092","redis":"redis://127.0.0.1:6379","otlpHttp":"http://127.0.0.1:4318","otlpGrpc":"127.0.0.1:4317","jaegerQuery":"http://127.0.0.1:16686"}',
  );
  assert.deepEqual(c.external, { kafka: false, redis: false, jaeger: false, registry: false });
  assert.equal(c.schemaRegistry, 'http://127.0.0.1:8081/apis/ccompat/v7');
});

test('the schema registry: CLOVISOR_SCHEMA_REGISTRY wins (external), CLOVISOR_SCHEMA_REGISTRY_PORT moves ours', () => {
  const ext = resolveConfig({ env: { CLOVISOR_SCHEMA_REGISTRY: 'http://sr.obs:8081/' } });
  assert.equal(ext.schemaRegistry, 'http://sr.obs:8081');
  assert.equal(ext.external.registry, true);
  const ours = resolveConfig({ env: { CLOVISOR_SCHEMA_REGISTRY_PORT: '18081' } });
  assert.equal(ours.schemaRegistry, 'http://127.0.0.1:18081/apis/ccompat/v7');
  assert.equal(ours.external.registry, false);
  assert.throws(
    () => resolveConfig({ env: { CLOVISOR_SCHEMA_REGISTRY: 'sr:8081' } }),
    (e: unknown) => e instanceof StackError && e.code === 'BAD_CONFIG' && e.message.includes('CLOVISOR_SCHEMA_REGISTRY=sr:8081 is not a URL'),
  );
});

test('CLOVISOR_STACK_REGISTRY: yes/no words, anything else is BAD_CONFIG', () => {
  assert.equal(registryWanted({}), false);
  assert.equal(registryWanted({ CLOVISOR_STACK_REGISTRY: '1' }), true);
  assert.equal(registryWanted({ CLOVISOR_STACK_REGISTRY: 'true' }), true);
  assert.equal(registryWanted({ CLOVISOR_STACK_REGISTRY: '0' }), false);
  assert.throws(() => registryWanted({ CLOVISOR_STACK_REGISTRY: 'maybe' }), (e: unknown) => e instanceof StackError && e.code === 'BAD_CONFIG');
});

test('port variables move our servers; options beat the environment', () => {
  const c = resolveConfig({ env: { CLOVISOR_KAFKA_PORT: '19092', CLOVISOR_REDIS_PORT: '16379', CLOVISOR_JAEGER_QUERY_PORT: '26686' }, ports: { redis: 26379 } });
  assert.equal(c.endpoints.brokers, '127.0.0.1:19092');
  assert.equal(c.endpoints.redis, 'redis://127.0.0.1:26379');
  assert.equal(c.endpoints.jaegerQuery, 'http://127.0.0.1:26686');
});

test('a bad port variable is a BAD_CONFIG error naming the variable', () => {
  assert.throws(
    () => resolveConfig({ env: { CLOVISOR_KAFKA_PORT: 'ninety' } }),
    (e: unknown) => e instanceof StackError && e.code === 'BAD_CONFIG' && e.message.includes('CLOVISOR_KAFKA_PORT=ninety'),
  );
});

test('endpoints from the environment win and mark the component external', () => {
  const c = resolveConfig({
    env: { CLOVISOR_BROKERS: 'k1:9092,k2:9092', CLOVISOR_REDIS_URL: 'redis://r:6379', CLOVISOR_OTLP_ENDPOINT: 'http://jaeger.obs:4318/' },
  });
  assert.equal(c.endpoints.brokers, 'k1:9092,k2:9092');
  assert.equal(c.endpoints.redis, 'redis://r:6379');
  // A partly given Jaeger is completed on the same host with the standard ports.
  assert.equal(c.endpoints.otlpHttp, 'http://jaeger.obs:4318');
  assert.equal(c.endpoints.otlpGrpc, 'jaeger.obs:4317');
  assert.equal(c.endpoints.jaegerQuery, 'http://jaeger.obs:16686');
  assert.deepEqual(c.external, { kafka: true, redis: true, jaeger: true, registry: false });
});

test('state and cache dirs follow CLOVISOR_STATE_DIR / CLOVISOR_CACHE_DIR', () => {
  const c = resolveConfig({ env: { CLOVISOR_STATE_DIR: '/tmp/s', CLOVISOR_CACHE_DIR: '/tmp/c' } });
  assert.equal(c.stateDir, '/tmp/s');
  assert.equal(c.cacheDir, '/tmp/c');
});
