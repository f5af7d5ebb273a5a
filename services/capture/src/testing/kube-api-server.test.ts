import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeApiServer } from './kube-api-server.js';
import type { KubeObject } from './kube-selectors.js';

// The wire behaviour informers depend on, checked over plain HTTP.

let server: KubeApiServer;
before(async () => { server = await KubeApiServer.start({ historyLimit: 3, bookmarkIntervalMs: 50 }); });
after(async () => server.stop());

const pod = (name: string, node: string, labels: Record<string, string> = {}): KubeObject =>
  ({ metadata: { name, namespace: 'ns1', labels }, spec: { nodeName: node, containers: [] }, status: { podIP: '10.0.0.1' } });

async function get(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(server.url + path);
  return { status: res.status, body: await res.json() };
}

/** Reads a watch stream until it ends (timeoutSeconds or the server closing it). */
async function watchAll(path: string): Promise<Array<{ type: string; object: any }>> {
  const res = await fetch(server.url + path);
  assert.equal(res.status, 200);
  return (await res.text()).split('\n').filter((l) => l).map((l) => JSON.parse(l));
}

test('list: kind, resourceVersion, items filtered by namespace and selectors', async () => {
  server.addPod(pod('a', 'n1', { app: 'x' }));
  server.addPod(pod('b', 'n2', { app: 'y' }));
  const all = await get('/api/v1/pods');
  assert.equal(all.body.kind, 'PodList');
  assert.equal(all.body.apiVersion, 'v1');
  assert.equal(all.body.metadata.resourceVersion, server.resourceVersion);
  assert.deepEqual(all.body.items.map((p: any) => p.metadata.name), ['a', 'b']);
  assert.ok(all.body.items.every((p: any) => p.metadata.uid && p.metadata.resourceVersion && p.kind === undefined));
  assert.deepEqual((await get('/api/v1/pods?fieldSelector=spec.nodeName%3Dn2')).body.items.map((p: any) => p.metadata.name), ['b']);
  assert.deepEqual((await get('/api/v1/namespaces/ns1/pods?labelSelector=app%3Dx')).body.items.map((p: any) => p.metadata.name), ['a']);
  assert.deepEqual((await get('/api/v1/namespaces/other/pods')).body.items, []);
  assert.equal((await get('/api/v1/pods?fieldSelector=status.phase%3DRunning')).status, 400);
  assert.equal((await get('/api/v1/nodes')).status, 404);
  server.deletePod('ns1', 'a');
  server.deletePod('ns1', 'b');
});

test('watch: resumes after a resourceVersion; leaving a field selection is a DELETED', async () => {
  const start = server.resourceVersion;
  const created = server.addPod(pod('c', 'n1'));
  server.updatePod({ ...created, spec: { nodeName: 'n2', containers: [] } });
  const events = await watchAll(`/api/v1/pods?watch=true&resourceVersion=${start}&fieldSelector=spec.nodeName%3Dn1&timeoutSeconds=1`);
  assert.deepEqual(events.map((e) => [e.type, e.object.metadata.name, e.object.kind]), [['ADDED', 'c', 'Pod'], ['DELETED', 'c', 'Pod']]);
  assert.equal(events[1]!.object.metadata.resourceVersion, server.resourceVersion);
  server.deletePod('ns1', 'c');
});

test('watch: without resourceVersion, the current state comes first as ADDED; bookmarks when asked', async () => {
  server.addPod(pod('d', 'n1'));
  const events = await watchAll('/api/v1/pods?watch=true&allowWatchBookmarks=true&timeoutSeconds=1');
  assert.deepEqual(events[0], { type: 'ADDED', object: events[0]!.object });
  assert.equal(events[0]!.object.metadata.name, 'd');
  const bookmark = events.find((e) => e.type === 'BOOKMARK');
  assert.ok(bookmark, 'a BOOKMARK within the second');
  assert.equal(bookmark.object.metadata.resourceVersion, server.resourceVersion);
  server.deletePod('ns1', 'd');
});

test('watch: a resourceVersion older than the history gets an ERROR event with a 410 Status', async () => {
  const old = server.resourceVersion;
  for (const name of ['e1', 'e2', 'e3', 'e4']) server.addPod(pod(name, 'n1')); // history holds 3
  const events = await watchAll(`/api/v1/pods?watch=true&resourceVersion=${old}`);
  assert.equal(events.length, 1);
  assert.equal(events[0]!.type, 'ERROR');
  assert.equal(events[0]!.object.code, 410);
  assert.equal(events[0]!.object.reason, 'Expired');
  // one step newer is still in history: events, no error
  const recent = await watchAll(`/api/v1/pods?watch=true&resourceVersion=${Number(old) + 1}&timeoutSeconds=1`);
  assert.deepEqual(recent.map((e) => e.object.metadata.name), ['e2', 'e3', 'e4']);
  for (const name of ['e1', 'e2', 'e3', 'e4']) server.deletePod('ns1', name);
});
