import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attrValue, noProtocolFields, type Transaction } from '@clovisor/core';
import { httpTransaction } from '../testing/transactions.js';
import { buildSpan } from './span-builder.js';

// Transactions shaped as the decoder emits them for each protocol (fields as in its fixtures).
function tx(fields: Partial<Transaction>, podRole: 'SERVER' | 'CLIENT' = 'SERVER'): Transaction {
  return { ...httpTransaction(), ...noProtocolFields(), podRole, ...fields };
}
const attr = (span: ReturnType<typeof buildSpan>, key: string) => (span.attributes[key] ? attrValue(span.attributes[key]!) : undefined);

test('gRPC: service/method name, rpc.* attributes, server vs client error rules', () => {
  const grpc = { service: 'echo.Echo', method: 'Get', grpcStatus: 5, grpcMessage: 'no such key', requestMessages: 1, responseMessages: 0 };
  const http = { ...httpTransaction().http!, method: 'POST', path: '/echo.Echo/Get', version: '2', statusCode: 200 };
  const server = buildSpan(tx({ protocol: 'http2', http, grpc }, 'SERVER'));
  assert.equal(server.name, 'echo.Echo/Get');
  assert.equal(attr(server, 'rpc.system'), 'grpc');
  assert.equal(attr(server, 'rpc.grpc.status_code'), 5);
  assert.equal(server.status, 'UNSET', 'NOT_FOUND is not a server error');
  const client = buildSpan(tx({ protocol: 'http2', http, grpc }, 'CLIENT'));
  assert.equal(client.status, 'ERROR');
  assert.equal(client.statusMessage, 'no such key');
  assert.equal(attr(client, 'http.request.method'), 'POST', 'the HTTP/2 attributes stay');
});

test('Redis, PostgreSQL: db.* attributes, errors', () => {
  const redis = buildSpan(tx({ protocol: 'redis', http: null, redis: { command: 'LPUSH', argumentCount: 2, replyType: 'error', error: 'WRONGTYPE Operation against a key holding the wrong kind of value' } }));
  assert.equal(redis.name, 'LPUSH');
  assert.equal(attr(redis, 'db.system.name'), 'redis');
  assert.equal(redis.status, 'ERROR');
  assert.equal(attr(redis, 'error.type'), 'WRONGTYPE');
  const pg = buildSpan(tx({ protocol: 'postgres', http: null, postgres: { query: 'select * from nope', tag: null, error: '42P01 relation "nope" does not exist', extended: false } }));
  assert.equal(pg.name, 'SELECT');
  assert.equal(attr(pg, 'db.query.text'), 'select * from nope');
  assert.equal(attr(pg, 'db.response.status_code'), '42P01');
  assert.equal(pg.status, 'ERROR');
  const ok = buildSpan(tx({ protocol: 'postgres', http: null, postgres: { query: 'insert into t values ($1)', tag: 'INSERT 0 1', error: null, extended: true } }));
  assert.equal(ok.name, 'INSERT');
  assert.equal(ok.status, 'UNSET');
});

test('DNS and Kafka', () => {
  const dns = buildSpan(tx({ protocol: 'dns', transport: 'UDP', http: null, dns: { id: 7, name: 'svc.test', type: 'A', rcode: 'NXDOMAIN', answers: [] } }));
  assert.equal(dns.name, 'DNS A');
  assert.equal(attr(dns, 'dns.question.name'), 'svc.test');
  assert.equal(dns.status, 'UNSET', 'NXDOMAIN is an answer');
  const kafka = buildSpan(tx({ protocol: 'kafka', http: null, kafka: { apiKey: 0, apiName: 'Produce', apiVersion: 7, correlationId: 12, clientId: 'app', topics: ['orders'], errorCode: 0 } }));
  assert.equal(kafka.name, 'Produce orders');
  assert.equal(attr(kafka, 'messaging.destination.name'), 'orders');
  assert.equal(kafka.status, 'UNSET');
});

test('plugin protocols: attributes under clovisor.<protocol>.*, no response is an error', () => {
  const span = buildSpan(tx({ protocol: 'memcached', http: null, attributes: { command: 'get', result: 'END' }, responseStartNs: null, responseEndNs: null }));
  assert.equal(span.name, 'memcached');
  assert.equal(attr(span, 'clovisor.memcached.command'), 'get');
  assert.equal(span.status, 'ERROR');
});
