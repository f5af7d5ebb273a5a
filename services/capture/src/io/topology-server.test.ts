// The topology API over real HTTP on loopback, fed by topologyDocument (the running agent's
// links are checked by the --int e2e test in packages/cli).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { ConfigError, createLogger } from '@clovisor/core';
import { topologyDocument } from '../core/topology.js';
import { TOPOLOGY_PATH, TopologyServer } from './topology-server.js';

const log = createLogger('topology-test', () => undefined);

test('GET /api/v1/topology: int-host-reporter\'s shape, node NICs first, IPv4 only; HEAD; 404 and 405 as JSON', async (t) => {
  const doc = topologyDocument([
    { name: 'veth9', ifindex: 9, role: 'pod', addresses: ['10.1.0.9', 'fd00::9'] },
    { name: 'eth0', ifindex: 2, role: 'node', addresses: ['192.0.2.5', 'fe80::1', '192.0.2.5'] },
    { name: 'veth4', ifindex: 4, role: 'pod', addresses: [] },
  ]);
  const server = new TopologyServer({ port: 0, host: '127.0.0.1', links: async () => doc.links }, log);
  await server.start();
  t.after(() => server.stop());
  const base = `http://127.0.0.1:${server.port()}`;

  const res = await fetch(base + TOPOLOGY_PATH + '?pretty=1');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.deepEqual(JSON.parse(await res.text()), {
    links: [
      { id: 2, name: 'eth0', 'ip-addresses': ['192.0.2.5'], 'is-node-iface': true },
      { id: 4, name: 'veth4', 'ip-addresses': [], 'is-node-iface': false },
      { id: 9, name: 'veth9', 'ip-addresses': ['10.1.0.9'], 'is-node-iface': false },
    ],
  });

  const head = await fetch(base + TOPOLOGY_PATH, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');

  const notFound = await fetch(base + '/api/v1/topology/links');
  assert.equal(notFound.status, 404);
  assert.deepEqual(await notFound.json(), { error: 'not found: the topology is at GET /api/v1/topology' });

  const del = await fetch(base + TOPOLOGY_PATH, { method: 'DELETE' });
  assert.equal(del.status, 405);
  assert.equal(del.headers.get('allow'), 'GET, HEAD');
  assert.deepEqual(await del.json(), { error: 'method DELETE not allowed: use GET' });
  assert.equal(server.stats().requests, 4);
});

test('a failing link lookup is a JSON 500, and the server keeps answering', async (t) => {
  let fail = true;
  const server = new TopologyServer({ port: 0, host: '127.0.0.1', links: async () => { if (fail) throw new Error('ip exploded'); return []; } }, log);
  await server.start();
  t.after(() => server.stop());
  const url = `http://127.0.0.1:${server.port()}${TOPOLOGY_PATH}`;
  const res = await fetch(url);
  assert.equal(res.status, 500);
  assert.deepEqual(await res.json(), { error: 'topology unavailable; see the agent log' });
  fail = false;
  assert.deepEqual(await (await fetch(url)).json(), { links: [] });
});

test('a port in use is a ConfigError naming --topology-port and what to do', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const port = (blocker.address() as { port: number }).port;
  const server = new TopologyServer({ port, host: '127.0.0.1', links: async () => [] }, log);
  await assert.rejects(server.start(), (err: unknown) => err instanceof ConfigError && new RegExp(`--topology-port ${port}: .* already in use .*0 to turn the topology API off`).test(err.message));
});
