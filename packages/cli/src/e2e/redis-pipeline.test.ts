// A non-HTTP protocol through the whole pipeline: redis-server in one pod, redis-cli in another,
// `clovisor run --port 6379=redis` on both host-side veths, spans read back from Jaeger.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { stackUp, type StackEndpoints } from '@clovisor/stack';
import { Lab, type Pod } from '../lab/pods.js';
import { startClovisor, type PipelineProcess } from '../lab/pipeline-process.js';
import { isolatedTopics, type IsolatedTopics } from '../lab/isolated-topics.js';
import { tag, serviceOf, type JaegerTrace } from '../lab/jaeger-query.js';

let stack: StackEndpoints;
let lab: Lab;
let client: Pod;
let server: Pod;
let pipeline: PipelineProcess;
let topics: IsolatedTopics;
const startedUs = Date.now() * 1000;

before(async () => {
  stack = await stackUp({ log: () => undefined });
  topics = isolatedTopics(stack.brokers, 'e2e-redis');
  lab = new Lab();
  client = await lab.addPod('app');
  server = await lab.addPod('cache');
  const redis = server.spawn('redis-server', ['--port', '6379', '--bind', '0.0.0.0', '--protected-mode', 'no', '--save', '', '--appendonly', 'no']);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    redis.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/Ready to accept connections/.test(out)) resolve();
    });
    redis.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
  });
  pipeline = await startClovisor(
    ['run', '--interface', `${client.hostInterface}=app`, '--interface', `${server.hostInterface}=cache`, '--port', '6379=redis'],
    { ...topics.env, CLOVISOR_BROKERS: stack.brokers, CLOVISOR_OTLP_ENDPOINT: stack.otlpHttp },
  );
});

after(async () => {
  await pipeline?.stop();
  await lab?.destroy();
  await topics?.remove();
});

async function findTraces(service: string, operation: string, timeoutMs: number): Promise<JaegerTrace[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const url = `${stack.jaegerQuery}/api/traces?service=${service}&operation=${encodeURIComponent(operation)}&start=${startedUs}&limit=50`;
    const res = await fetch(url);
    const body = (await res.json()) as { data: JaegerTrace[] | null };
    if ((body.data?.length ?? 0) > 0 || Date.now() > deadline) return body.data ?? [];
    await new Promise((r) => setTimeout(r, 500));
  }
}

test('redis-cli commands become db spans on both ends, errors included', async () => {
  const key = `k${Date.now()}`;
  // one connection, three commands, the last one fails (WRONGTYPE)
  const { stdout } = await client.exec('sh', ['-c', `printf 'SET ${key} v\\nGET ${key}\\nLPUSH ${key} x\\n' | redis-cli -h ${server.address}`]);
  assert.match(stdout, /OK[\s\S]*v[\s\S]*WRONGTYPE/);

  const lpush = await findTraces('cache', 'LPUSH', 60_000);
  assert.ok(lpush.length > 0, `no LPUSH span for service cache; pipeline log:\n${pipeline.log().slice(-2000)}`);
  const span = lpush.flatMap((t) => t.spans).find((s) => tag(s, 'span.kind') === 'server')!;
  assert.ok(span, 'a SERVER span for LPUSH');
  assert.equal(tag(span, 'db.system.name'), 'redis');
  assert.equal(tag(span, 'db.operation.name'), 'LPUSH');
  assert.equal(tag(span, 'error'), true);
  assert.equal(tag(span, 'error.type'), 'WRONGTYPE');
  assert.equal(tag(span, 'server.port'), undefined, 'HTTP attributes are not invented for Redis');

  for (const [service, kind] of [['cache', 'server'], ['app', 'client']] as const) {
    const traces = await findTraces(service, 'GET', 30_000);
    const get = traces.flatMap((t) => t.spans.map((s) => ({ s, svc: serviceOf(t, s) }))).find(({ s }) => tag(s, 'span.kind') === kind);
    assert.ok(get, `a ${kind} GET span for ${service}`);
    assert.equal(get.svc, service);
    assert.equal(tag(get.s, 'clovisor.redis.reply_type'), 'bulk-string');
  }
});
