/* The probes tell "nothing there" from "something else there", against real sockets. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { probeJaeger, probeKafka, probeRedis, parseRedisUrl } from './index.js';
import { closeServer, freePort, impostor } from './testing.js';

test('closed port: not ok, not reachable', async () => {
  const port = await freePort();
  for (const r of [
    await probeKafka(`127.0.0.1:${port}`),
    await probeRedis(`redis://127.0.0.1:${port}`),
    await probeJaeger({ otlpHttp: `http://127.0.0.1:${port}`, jaegerQuery: `http://127.0.0.1:${port}` }),
  ]) {
    assert.equal(r.ok, false);
    assert.equal(r.reachable, false, r.detail);
  }
});

test('an HTTP server is reachable but is neither Kafka, Redis nor Jaeger', async () => {
  const port = await freePort();
  const srv = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello":1}'));
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
  try {
    const k = await probeKafka(`127.0.0.1:${port}`, 1500);
    assert.equal(k.ok, false);
    assert.equal(k.reachable, true);
    assert.equal(k.starting, undefined);
    const r = await probeRedis(`redis://127.0.0.1:${port}`, 1500);
    assert.equal(r.ok, false);
    assert.equal(r.reachable, true);
    const j = await probeJaeger({ otlpHttp: `http://127.0.0.1:${port}`, jaegerQuery: `http://127.0.0.1:${port}` }, 1500);
    assert.equal(j.ok, false);
    assert.equal(j.reachable, true);
  } finally {
    srv.closeAllConnections();
    await new Promise<void>((r) => srv.close(() => r()));
  }
});

test('a server replying with a plausible-length but wrong Kafka frame is not Kafka', async () => {
  const port = await freePort();
  // 4-byte length 8, then a correlation id that does not match ours.
  const srv = await impostor(port, '\u0000\u0000\u0000\u0008\u0000\u0000\u0000\u0001\u0000\u0000\u0000\u0000');
  try {
    const k = await probeKafka(`127.0.0.1:${port}`, 1500);
    assert.equal(k.ok, false);
    assert.equal(k.reachable, true);
    assert.match(k.detail, /not Kafka/);
  } finally {
    await closeServer(srv);
  }
});

test('probeKafka takes a bootstrap list and rejects malformed entries', async () => {
  const r = await probeKafka('no-port-here');
  assert.equal(r.ok, false);
  assert.match(r.detail, /not host:port/);
});

test('parseRedisUrl understands password and default port', () => {
  assert.deepEqual(parseRedisUrl('redis://:s%40cret@10.0.0.1'), { host: '10.0.0.1', port: 6379, password: 's@cret' });
  assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6380/2'), { host: '127.0.0.1', port: 6380 });
  assert.equal(parseRedisUrl('http://x'), undefined);
});
