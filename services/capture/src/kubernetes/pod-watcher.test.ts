import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger, setLogLevel } from '@clovisor/core';
import { KubeApiServer } from '../testing/kube-api-server.js';
import type { KubeObject } from '../testing/kube-selectors.js';
import { PodWatcher } from './pod-watcher.js';
import type { MonitoredPod } from './selection.js';

// The real client-node informers against the test API server: what a cluster does to pods and
// services must reach onChange within 2 s, including after the server forgets history (410).

const NODE = 'node-a';
let server: KubeApiServer;
let kubeConfig: KubeConfig;
setLogLevel('error');

before(async () => {
  server = await KubeApiServer.start({ historyLimit: 50 });
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(server.kubeconfigPath());
});
after(async () => server.stop());

function pod(name: string, ip: string, extra: { node?: string; labels?: Record<string, string>; ports?: Array<{ name: string; containerPort: number }> } = {}): KubeObject {
  return {
    metadata: { name, namespace: 'default', labels: extra.labels ?? { app: name } },
    spec: { nodeName: extra.node ?? NODE, containers: [{ name: 'main', ports: extra.ports ?? [] }] },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], containerStatuses: [{ containerID: `containerd://${name}` }] },
  };
}

function service(name: string, app: string, ports: Array<Record<string, unknown>>): KubeObject {
  return { metadata: { name, namespace: 'default' }, spec: { selector: { app }, ports } };
}

/** A watcher whose onChange results can be awaited one by one, with a deadline. */
function watcher() {
  const sets: MonitoredPod[][] = [];
  let wake: (() => void) | null = null;
  const w = new PodWatcher({
    node: NODE, kubeConfig, log: createLogger('test'), debounceMs: 100,
    onChange: (set) => { sets.push(set); wake?.(); },
  });
  const next = async (predicate: (set: MonitoredPod[]) => boolean, what: string): Promise<MonitoredPod[]> => {
    const deadline = Date.now() + 2000;
    for (;;) {
      const hit = sets.find(predicate);
      if (hit) { sets.splice(0, sets.indexOf(hit) + 1); return hit; }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no onChange with ${what} within 2 s; got ${JSON.stringify(sets.map(names))}`);
      await new Promise<void>((resolve) => { wake = resolve; setTimeout(resolve, left); });
    }
  };
  return { w, next, sets };
}

const names = (set: MonitoredPod[]) => set.map((p) => p.meta.name);

test('pods of this node appear and disappear, with their service ports and protocols', async () => {
  server.addPod(pod('web', '10.1.0.2', { ports: [{ name: 'http-api', containerPort: 8080 }] }));
  server.addPod(pod('elsewhere', '10.1.9.2', { node: 'node-b' }));
  server.addService(service('web', 'web', [{ name: 'http', port: 80, targetPort: 'http-api' }]));
  const { w, next } = watcher();
  await w.start();
  try {
    const first = await next((s) => s.length === 1, 'the web pod');
    assert.deepEqual(first[0]!.meta, { service: 'web', namespace: 'default', name: 'web', node: NODE });
    assert.deepEqual(first[0]!.ips, ['10.1.0.2']);
    assert.deepEqual(first[0]!.ports, [{ port: 8080, transport: 'TCP', protocol: 'http', source: 'web/http' }]);

    server.addPod(pod('db', '10.1.0.3', { labels: { app: 'db' }, ports: [{ name: 'redis', containerPort: 6379 }] }));
    const two = await next((s) => s.length === 2, 'web and db');
    assert.deepEqual(names(two), ['db', 'web']);
    assert.equal(two[0]!.ports[0]!.protocol, 'redis');

    server.deletePod('default', 'web');
    assert.deepEqual(names(await next((s) => s.length === 1, 'only db')), ['db']);
  } finally {
    await w.stop();
    server.deletePod('default', 'db');
    server.deletePod('default', 'elsewhere');
    server.deleteService('default', 'web');
  }
});

test('a service change (appProtocol) changes the protocol of the pod port', async () => {
  server.addPod(pod('api', '10.1.0.4', { ports: [{ name: 'web', containerPort: 9000 }] }));
  const svc = server.addService(service('api', 'api', [{ name: 'web', port: 80, targetPort: 9000 }]));
  const { w, next } = watcher();
  await w.start();
  try {
    // "web" is no Istio protocol name: the pod is monitored, without ports
    await next((s) => s.length === 1 && s[0]!.ports.length === 0, 'api without ports');
    server.updateService({ ...svc, spec: { ...svc.spec, ports: [{ name: 'web', port: 80, targetPort: 9000, appProtocol: 'kubernetes.io/h2c' }] } });
    const set = await next((s) => s[0]?.ports.length === 1, 'api with an http2 port');
    assert.deepEqual(set[0]!.ports, [{ port: 9000, transport: 'TCP', protocol: 'http2', source: 'api/web' }]);
  } finally {
    await w.stop();
    server.deletePod('default', 'api');
    server.deleteService('default', 'api');
  }
});

test('410 Gone: after the history is compacted and the watch drops, the informer relists and catches up', async () => {
  server.addPod(pod('one', '10.1.0.5'));
  const { w, next } = watcher();
  await w.start();
  try {
    await next((s) => names(s).includes('one'), 'pod one');
    const goneBefore = server.stats().gone;
    const listsBefore = server.stats().lists;
    // changes the open watch never sees: streams closed first, then history compacted
    server.closeWatches();
    server.addPod(pod('two', '10.1.0.6'));
    server.deletePod('default', 'one');
    server.compact();
    const set = await next((s) => names(s).join() === 'two', 'only pod two');
    assert.equal(set.length, 1);
    assert.ok(server.stats().gone > goneBefore, 'the resumed watch was answered with 410');
    assert.ok(server.stats().lists > listsBefore, 'the informer listed again');
  } finally {
    await w.stop();
    server.deletePod('default', 'two');
  }
});

test('an API server error stops a client-node informer; the watcher restarts it', async () => {
  server.addPod(pod('late', '10.1.0.7'));
  const failedBefore = server.stats().failed;
  server.failRequests(4); // both first lists and both first retries fail
  const { w, next } = watcher();
  await w.start();
  try {
    assert.deepEqual(names(await next((s) => s.length === 1, 'pod late')), ['late']);
    assert.equal(server.stats().failed - failedBefore, 4);
  } finally {
    await w.stop();
    server.deletePod('default', 'late');
  }
});

test('stop() is safe twice and without start()', async () => {
  const { w } = watcher();
  await w.stop();
  await w.start();
  await w.stop();
  await w.stop();
  // the aborted requests reach the server a moment later
  const deadline = Date.now() + 2000;
  while (server.stats().watchesOpen > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(server.stats().watchesOpen, 0, 'stop() closed the watch streams');
});
