/*
 * A whole private stack on free ports and a temp state dir: cold start of all three, concurrent
 * stackUp, reuse of external servers, env endpoints, and stackDown. Never touches the default stack.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { StackError, probeJaeger, probeKafka, probeRedis, stackDown, stackStatus, stackUp } from './index.js';
import { isAlive } from './proc.js';
import { readState } from './state.js';
import { freePort, isolated, quiet } from './testing.js';
import { portOpen } from './tcp.js';

test('full private stack: up (cold), concurrent up, status, down', { timeout: 10 * 60_000 }, async (t) => {
  const o = await isolated(t);
  const t0 = performance.now();
  // Two at once, as parallel test files would do: the lock makes the second one reuse the first's servers.
  const [a, b] = await Promise.all([stackUp({ ...o, log: quiet }), stackUp({ ...o, log: quiet })]);
  const coldMs = performance.now() - t0;
  assert.deepEqual(a, b);
  assert.equal(a.brokers, `127.0.0.1:${o.ports.kafka}`);
  assert.equal(a.otlpGrpc, `127.0.0.1:${o.ports.otlpGrpc}`);
  assert.ok((await probeKafka(a.brokers)).ok);
  assert.ok((await probeRedis(a.redis)).ok);
  assert.ok((await probeJaeger(a)).ok);

  const st = await stackStatus(o);
  const pids = Object.values(st.components).map((c) => c.pid);
  for (const c of Object.values(st.components)) {
    assert.equal(c.up, true, `${c.name} up`);
    assert.equal(c.ours, true, `${c.name} ours`);
    assert.ok(c.pid !== null && isAlive(c.pid));
  }
  assert.equal(new Set(pids).size, 3, 'exactly one process per component');
  process.stderr.write(`# private stack cold up: ${coldMs.toFixed(0)} ms\n`);

  const t1 = performance.now();
  await stackDown({ ...o, log: quiet });
  process.stderr.write(`# private stack down: ${(performance.now() - t1).toFixed(0)} ms\n`);
  for (const pid of pids) assert.equal(isAlive(pid!), false, `pid ${pid} stopped`);
  assert.deepEqual(readState(o.stateDir).components, {});
  for (const port of [o.ports.kafka, o.ports.kafkaController, o.ports.redis, o.ports.otlpHttp, o.ports.jaegerQuery]) {
    assert.equal(await portOpen('127.0.0.1', port), false, `port ${port} released`);
  }
  const after = await stackStatus(o);
  assert.equal(after.components.kafka.up, false);
  assert.equal(after.components.kafka.pid, null);
  // The formatted Kafka storage survives a down, so the next up skips StorageTool.
  assert.ok(existsSync(`${o.stateDir}/kafka/data/meta.properties`));
});

async function startForeignRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if ((await probeRedis(`redis://127.0.0.1:${port}`, 500)).ok) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('test redis did not start');
}

test('a Redis already on the port is reused, not recorded, and survives stackDown', { timeout: 60_000 }, async (t) => {
  const o = await isolated(t);
  const foreign = await startForeignRedis(o.ports.redis);
  try {
    const lines: string[] = [];
    const ep = await stackUp({ ...o, only: ['redis'], log: (l) => lines.push(l) });
    assert.equal(ep.redis, `redis://127.0.0.1:${o.ports.redis}`);
    assert.ok(lines.some((l) => l.includes('already answers')), lines.join(' | '));
    assert.deepEqual(readState(o.stateDir).components, {});
    const st = await stackStatus(o);
    assert.equal(st.components.redis.up, true);
    assert.equal(st.components.redis.ours, false);
    assert.equal(st.components.redis.pid, null);
    await stackDown({ ...o, log: quiet });
    assert.ok(isAlive(foreign.pid!), 'external redis left alone');
    assert.ok((await probeRedis(ep.redis)).ok);
  } finally {
    foreign.kill('SIGKILL');
  }
});

test('CLOVISOR_REDIS_URL wins: used when it answers, a clear error when it does not', { timeout: 60_000 }, async (t) => {
  const o = await isolated(t);
  const foreignPort = await freePort();
  const foreign = await startForeignRedis(foreignPort);
  try {
    const ep = await stackUp({ ...o, env: { CLOVISOR_REDIS_URL: `redis://127.0.0.1:${foreignPort}` }, only: ['redis'], log: quiet });
    assert.equal(ep.redis, `redis://127.0.0.1:${foreignPort}`);
    assert.equal(await portOpen('127.0.0.1', o.ports.redis), false, 'our default redis port was not used');
    const st = await stackStatus({ ...o, env: { CLOVISOR_REDIS_URL: `redis://127.0.0.1:${foreignPort}` } });
    assert.equal(st.components.redis.source, 'env');
    assert.equal(st.components.redis.up, true);
  } finally {
    foreign.kill('SIGKILL');
  }
  const deadPort = await freePort();
  await assert.rejects(
    stackUp({ ...o, env: { CLOVISOR_REDIS_URL: `redis://127.0.0.1:${deadPort}` }, only: ['redis'], log: quiet }),
    (e: unknown) => e instanceof StackError && e.code === 'ENDPOINT_UNREACHABLE' && e.message.startsWith(`CLOVISOR_REDIS_URL points at redis://127.0.0.1:${deadPort} but nothing listens`),
  );
});

test('a recorded server that died is forgotten and started again', { timeout: 60_000 }, async (t) => {
  const o = await isolated(t);
  await stackUp({ ...o, only: ['redis'], log: quiet });
  const first = readState(o.stateDir).components.redis!;
  process.kill(first.pid, 'SIGKILL');
  for (let i = 0; i < 50 && isAlive(first.pid); i++) await new Promise((r) => setTimeout(r, 100));
  await stackUp({ ...o, only: ['redis'], log: quiet });
  const second = readState(o.stateDir).components.redis!;
  assert.notEqual(second.pid, first.pid);
  assert.ok((await probeRedis(`redis://127.0.0.1:${o.ports.redis}`)).ok);
  await stackDown({ ...o, log: quiet });
  assert.equal(isAlive(second.pid), false);
});
