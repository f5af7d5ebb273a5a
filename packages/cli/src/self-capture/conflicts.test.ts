import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ownTargets, selfCaptureConflicts, targetOf, type RoutedTarget } from './conflicts.js';

test('own targets: brokers, Redis, and the OTLP and self-trace endpoints only when this process uses them', () => {
  assert.deepEqual(ownTargets({ brokers: ['kafka-0:9093', '10.1.2.3'], redisUrl: 'redis://cache', otlpEndpoint: null, selfTraceEndpoint: null }), [
    { what: 'Kafka broker', host: 'kafka-0', port: 9093 },
    { what: 'Kafka broker', host: '10.1.2.3', port: 9092 },
    { what: 'Redis', host: 'cache', port: 6379 },
  ]);
  const all = ownTargets({ brokers: [], redisUrl: 'redis://r:6380/2', otlpEndpoint: 'http://jaeger:4318', selfTraceEndpoint: 'https://collector' });
  assert.deepEqual(all.map((t) => `${t.what} ${t.host}:${t.port}`), ['Redis r:6380', 'OTLP endpoint jaeger:4318', 'self-trace endpoint collector:443']);
  assert.deepEqual(targetOf('x', '[fd00::1]:9092'), { what: 'x', host: 'fd00::1', port: 9092 });
  assert.equal(targetOf('x', 'no-port-no-default'), null);
});

test('conflicts: only a connection routed through a traced interface to a traced port', () => {
  const routed: RoutedTarget[] = [
    { what: 'Kafka broker', host: 'kafka', port: 9092, address: '10.200.1.2', device: 'veth-kafka' },
    { what: 'Kafka broker', host: 'kafka', port: 9092, address: '10.200.1.2', device: 'veth-kafka' }, // resolved twice
    { what: 'OTLP endpoint', host: 'jaeger', port: 4318, address: '10.200.2.2', device: 'veth-jaeger' },
    { what: 'Redis', host: '127.0.0.1', port: 6379, address: '127.0.0.1', device: 'lo' },
  ];
  assert.deepEqual(selfCaptureConflicts(routed, ['veth-kafka', 'veth-app', 'lo'], [9092, 6379]), [
    'Kafka broker kafka:9092 (10.200.1.2 via veth-kafka)',
    'Redis 127.0.0.1:6379 (127.0.0.1 via lo)',
  ]);
  assert.deepEqual(selfCaptureConflicts(routed, ['veth-jaeger'], [9092]), [], 'traced interface, other port');
  assert.deepEqual(selfCaptureConflicts(routed, ['veth-app'], [9092, 4318]), [], 'traced port, other interface');
});
