// Against a real redis-server of our own on a spare port: the watcher starts while Redis is down
// (defaults), picks up keys within 2 s once Redis runs, logs invalid entries and applies the
// valid ones, keeps the last configuration through an outage (logged once) and recovers after
// Redis restarts. One test, because the steps follow one server's life.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createClient } from 'redis';
import { createLogger } from '@clovisor/core';
import { RedisConfigKeys as K, type CaptureRedisConfig } from '../core/redis-config.js';
import { RedisConfigWatcher } from './redis-config-watcher.js';

const PORT = 6392;
const URL_ = `redis://127.0.0.1:${PORT}`;

async function until(what: string, check: () => boolean | Promise<boolean>, ms: number): Promise<number> {
  const began = Date.now();
  while (!(await check())) {
    if (Date.now() - began > ms) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - began;
}

function startRedis(): ChildProcess {
  return spawn('redis-server', ['--port', String(PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
}

async function stopRedis(server: ChildProcess | null): Promise<void> {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGKILL');
  await exited;
}

test('the watcher follows Redis: defaults while down, changes within 2 s, outage kept, recovery', { timeout: 60_000 }, async () => {
  const lines: string[] = [];
  const log = createLogger('redis-config-test', (l) => lines.push(l));
  const delivered: CaptureRedisConfig[] = [];
  const watcher = new RedisConfigWatcher({ url: URL_, startWaitMs: 300, onConfig: (c) => void delivered.push(c) }, log);
  // the same, polling only (a Redis that forbids CONFIG SET gets this)
  const polled: CaptureRedisConfig[] = [];
  const poller = new RedisConfigWatcher({ url: URL_, startWaitMs: 300, keyspaceEvents: false, onConfig: (c) => void polled.push(c) }, createLogger('poller', () => undefined));
  const admin = createClient({ url: URL_, socket: { reconnectStrategy: 100 } });
  admin.on('error', () => undefined);
  let server: ChildProcess | null = null;
  const count = (text: string) => lines.filter((l) => l.includes(text)).length;
  const last = () => delivered.at(-1)!;
  try {
    // 1. Redis down: start() returns with the defaults and says so once
    await watcher.start();
    await poller.start();
    assert.deepEqual(delivered, [{ selectors: [{ namespace: 'default', label: null }], egress: [], otlp: null }]);
    assert.equal(watcher.stats().connected, false);
    await until('the outage to be logged', () => count('unreachable') > 0, 2000);
    await new Promise((r) => setTimeout(r, 1500)); // several reconnect attempts
    assert.equal(count('unreachable'), 1, lines.join('\n'));

    // 2. Redis up, keys set: the new configuration within 2 s; the invalid entry is logged, the rest applies
    server = startRedis();
    await until('redis-server to listen', () => admin.connect().then(() => true, () => false), 10_000);
    await until('the watcher to connect', () => watcher.stats().connected, 5000);
    await admin.rPush(K.labels, ['shop', 'prod:app:web', 'BAD!']);
    await admin.rPush(K.egressLegacy, ['[fd00::/64]:443:api-', '10.0.0.1']);
    await admin.set(K.jaegerCollector, 'jaeger-collector.tracing:14268');
    const tookMs = await until('the configuration from Redis', () => last().otlp !== null && last().egress.length === 1 && last().selectors.length === 2, 2000);
    assert.deepEqual(last(), {
      selectors: [{ namespace: 'shop', label: null }, { namespace: 'prod', label: { key: 'app', value: 'web' } }],
      egress: [{ network: { family: 6, address: 'fd00::', prefixLength: 64 }, port: 443, podPrefix: 'api-', key: K.egressLegacy }],
      otlp: { endpoint: 'http://jaeger-collector.tracing:4318', from: K.jaegerCollector },
    });
    assert.ok(tookMs <= 2000);
    const invalid = lines.filter((l) => l.includes('invalid Redis configuration entry'));
    assert.ok(invalid.some((l) => l.includes('clovisor_labels') && l.includes('BAD!')), lines.join('\n'));
    assert.ok(invalid.some((l) => l.includes('clovior_egress_match') && l.includes('10.0.0.1')), lines.join('\n'));
    assert.ok(count('is back') >= 1, 'the end of the outage is logged');
    await until('the poller too', () => polled.at(-1)!.selectors.length === 2, 2000);

    // keyspace notifications were switched on (without dropping flags set by others) and make changes fast
    assert.equal(watcher.stats().mode, 'keyspace');
    assert.equal(poller.stats().mode, 'polling');
    const flags = (await admin.configGet('notify-keyspace-events'))['notify-keyspace-events']!;
    for (const f of 'Kg$ls') assert.ok(flags.includes(f), flags);
    await admin.del(K.jaegerCollector);
    await until('the removal to apply', () => last().otlp === null, 2000);
    assert.ok(watcher.stats().keyspaceEvents > 0);
    const reloads = watcher.stats().reloads;
    assert.ok(reloads >= 2, String(reloads));
    // unchanged keys: polling goes on, but nothing is delivered again and issues are not re-logged
    const invalidLogged = count('invalid Redis configuration entry');
    const deliveries = delivered.length;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(delivered.length, deliveries);
    assert.equal(count('invalid Redis configuration entry'), invalidLogged);
    assert.equal(watcher.stats().reloads, reloads);

    // 3. Redis dies: the last configuration stays, the outage is logged once
    const before = last();
    await stopRedis(server);
    await until('the second outage to be logged', () => count('unreachable') === 2, 5000);
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(count('unreachable'), 2, lines.join('\n'));
    assert.equal(last(), before);
    assert.deepEqual(watcher.current(), before);

    // 4. Redis restarts (empty: --save ''): the watcher reconnects, re-enables notifications and follows new keys
    server = startRedis();
    await until('the watcher to reconnect', () => watcher.stats().connected, 10_000);
    await until('admin to reconnect', () => admin.isReady, 10_000);
    await admin.rPush(K.labels, 'payments');
    await until('the configuration after restart', () => last().selectors[0]?.namespace === 'payments', 2000);
    await until('notifications re-enabled', async () => ((await admin.configGet('notify-keyspace-events'))['notify-keyspace-events'] ?? '').includes('K'), 2000);
    assert.equal(count('is back'), 2);
  } finally {
    await watcher.stop();
    await poller.stop();
    await admin.disconnect().catch(() => undefined);
    await stopRedis(server);
  }
});
