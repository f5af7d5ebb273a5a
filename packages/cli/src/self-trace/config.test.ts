import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@clovisor/core';
import { resolveSelfTrace } from './config.js';

test('self-trace config: off by default', () => {
  assert.equal(resolveSelfTrace('run', {}, {}), null);
  assert.equal(resolveSelfTrace('run', {}, { CLOVISOR_SELF_TRACE_ENDPOINT: '  ' }), null);
});

test('self-trace config: an endpoint turns it on; flags win over the environment; the service defaults to clovisor-<command>', () => {
  assert.deepEqual(resolveSelfTrace('decode', {}, { CLOVISOR_SELF_TRACE_ENDPOINT: 'http://collector:4318/' }), { endpoint: 'http://collector:4318', serviceName: 'clovisor-decode' });
  assert.deepEqual(
    resolveSelfTrace('run', { 'self-trace-endpoint': 'https://otel.example:4318/v1/traces', 'self-trace-service': 'clovisor-node-a' }, { CLOVISOR_SELF_TRACE_ENDPOINT: 'http://other:4318', CLOVISOR_SELF_TRACE_SERVICE: 'x' }),
    { endpoint: 'https://otel.example:4318', serviceName: 'clovisor-node-a' },
    'a full /v1/traces URL is taken as its base',
  );
  assert.equal(resolveSelfTrace('run', {}, { CLOVISOR_SELF_TRACE_ENDPOINT: 'http://c:4318', CLOVISOR_SELF_TRACE_SERVICE: 'mine' })?.serviceName, 'mine');
});

test('self-trace config: bad values are configuration errors that say what to do', () => {
  for (const [flags, env, pattern] of [
    [{ 'self-trace-endpoint': 'collector:4318' }, {}, /scheme must be http: or https:/],
    [{ 'self-trace-endpoint': 'not a url' }, {}, /not a URL/],
    [{ 'self-trace-endpoint': 'grpc://c:4317' }, {}, /OTLP\/HTTP only/],
    [{ 'self-trace-service': 'alone' }, {}, /needs --self-trace-endpoint/],
    [{ 'self-trace-endpoint': 'http://c:4318', 'self-trace-service': 'has space' }, {}, /--self-trace-service/],
  ] as const) {
    assert.throws(() => resolveSelfTrace('run', flags, env), (err: unknown) => err instanceof ConfigError && pattern.test(err.message), JSON.stringify(flags));
  }
});
