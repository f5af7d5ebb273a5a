import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '@clovisor/core';
import { resolveRunConfig } from '../config.js';
import { checkCaptureSources, chooseOtlpEndpoint } from './capture-component.js';

const log = createLogger('capture-component-test');

test('--kubernetes refuses --interface/--port (flags or environment); static mode needs both', () => {
  const k8s = (flags: Parameters<typeof resolveRunConfig>[0], env = {}) => checkCaptureSources(resolveRunConfig({ kubernetes: true, ...flags }, env));
  assert.equal(k8s({}), null);
  assert.equal(checkCaptureSources(resolveRunConfig({}, { CLOVISOR_KUBERNETES: '1' })), null);
  assert.match(k8s({ interface: ['veth1'] }) ?? '', /drop --interface/);
  assert.match(k8s({}, { CLOVISOR_PORTS: '80=http' }) ?? '', /drop --port/);
  assert.match(checkCaptureSources(resolveRunConfig({ kubeconfig: '/x' }, {})) ?? '', /--kubeconfig needs --kubernetes/);
  assert.match(checkCaptureSources(resolveRunConfig({}, {})) ?? '', /--interface/);
  assert.equal(checkCaptureSources(resolveRunConfig({ interface: ['eth0'], port: ['80=http'] }, {})), null);
});

test('--kubernetes settings: kubeconfig path, state dir from CLOVISOR_STATE_DIR', () => {
  const c = resolveRunConfig({ kubernetes: true, kubeconfig: '/etc/kube/config' }, { CLOVISOR_STATE_DIR: '/tmp/st' });
  assert.deepEqual([c.kubernetes, c.kubeconfig, c.stateDir], [true, '/etc/kube/config', '/tmp/st']);
  assert.equal(resolveRunConfig({}, {}).stateDir, '/run/clovisor');
});

test('OTLP endpoint: explicit flag/env wins; without capture --kubernetes there is no Redis suggestion', () => {
  const explicit = resolveRunConfig({ 'otlp-endpoint': 'http://collector:4318' }, {});
  assert.equal(explicit.otlpEndpointExplicit, true);
  assert.equal(chooseOtlpEndpoint(explicit, null, log), 'http://collector:4318');
  assert.equal(resolveRunConfig({}, { CLOVISOR_OTLP_ENDPOINT: 'http://x:4318' }).otlpEndpointExplicit, true);
  const defaults = resolveRunConfig({}, {});
  assert.equal(defaults.otlpEndpointExplicit, false);
  assert.equal(chooseOtlpEndpoint(defaults, null, log), 'http://127.0.0.1:4318');
});
