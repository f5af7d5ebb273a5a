/* Something that is not our server sits on our port: refuse with one clear line, start nothing. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { StackError, stackUp } from './index.js';
import { readState } from './state.js';
import { closeServer, impostor, isolated, quiet } from './testing.js';

function assertStackError(code: string, message: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof StackError, `expected StackError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.message, message);
    return true;
  };
}

test('a plain TCP server on the Kafka port yields the "not Kafka" error', { timeout: 30_000 }, async (t) => {
  const o = await isolated(t);
  const srv = await impostor(o.ports.kafka);
  try {
    await assert.rejects(
      stackUp({ ...o, only: ['kafka'], log: quiet }),
      assertStackError('PORT_IN_USE', `port ${o.ports.kafka} is in use by something that is not Kafka; stop it or set CLOVISOR_BROKERS=<host:port> to use another broker`),
    );
  } finally {
    await closeServer(srv);
  }
  assert.deepEqual(readState(o.stateDir).components, {}, 'nothing recorded as ours');
});

test('a silent TCP server on the Kafka port is refused too (probe times out, no hang)', { timeout: 30_000 }, async (t) => {
  const o = await isolated(t);
  const srv = createServer(); // node:http server: accepts, then waits for an HTTP request that never parses
  await new Promise<void>((r) => srv.listen(o.ports.kafka, '127.0.0.1', r));
  try {
    await assert.rejects(stackUp({ ...o, only: ['kafka'], log: quiet }), (e: unknown) => e instanceof StackError && e.code === 'PORT_IN_USE');
  } finally {
    srv.closeAllConnections();
    await new Promise<void>((r) => srv.close(() => r()));
  }
});

test('something else on the Kafka controller port is named with the variable that moves it', { timeout: 30_000 }, async (t) => {
  const o = await isolated(t);
  const srv = await impostor(o.ports.kafkaController);
  try {
    await assert.rejects(
      stackUp({ ...o, only: ['kafka'], log: quiet }),
      assertStackError(
        'PORT_IN_USE',
        `port ${o.ports.kafkaController} is in use by something that is not Kafka; stop it or set CLOVISOR_BROKERS=<host:port> to use another broker (or move ours with CLOVISOR_KAFKA_CONTROLLER_PORT)`,
      ),
    );
  } finally {
    await closeServer(srv);
  }
});

test('a TCP server on the Redis port yields the "not Redis" error', { timeout: 30_000 }, async (t) => {
  const o = await isolated(t);
  const srv = await impostor(o.ports.redis, 'hello\r\n');
  try {
    await assert.rejects(
      stackUp({ ...o, only: ['redis'], log: quiet }),
      assertStackError('PORT_IN_USE', `port ${o.ports.redis} is in use by something that is not Redis; stop it or set CLOVISOR_REDIS_URL=redis://<host:port> to use another Redis`),
    );
  } finally {
    await closeServer(srv);
  }
});

test('an HTTP server that is not Jaeger on the query port yields the "not Jaeger" error', { timeout: 30_000 }, async (t) => {
  const o = await isolated(t);
  const srv = createServer((_req, res) => res.writeHead(404).end('not here'));
  await new Promise<void>((r) => srv.listen(o.ports.jaegerQuery, '127.0.0.1', r));
  try {
    await assert.rejects(
      stackUp({ ...o, only: ['jaeger'], log: quiet }),
      assertStackError(
        'PORT_IN_USE',
        `port ${o.ports.jaegerQuery} is in use by something that is not Jaeger; stop it or set CLOVISOR_OTLP_ENDPOINT=http://<host:4318> and CLOVISOR_JAEGER_QUERY=http://<host:16686> to use another Jaeger`,
      ),
    );
  } finally {
    srv.closeAllConnections();
    await new Promise<void>((r) => srv.close(() => r()));
  }
});
