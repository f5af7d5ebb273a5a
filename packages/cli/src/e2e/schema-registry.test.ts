// --schema-registry against a real Confluent-API registry (Apicurio Registry, the managed one of
// `stack up --registry`, on a private state dir and free port) and the real Kafka: `pcap import` with and without the registry into one
// isolated segments topic, then the decode and correlate stages in registry mode over both.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { DecodeError, codecs, loadRegistrySchemas, useSchemaRegistry } from '@clovisor/core';
import { readCaptureFile } from '@clovisor/decoder';
import { resolveConfig, stackDown, stackUp, type StackEndpoints, type StackOptions } from '@clovisor/stack';
import { freePort } from '@clovisor/stack/testing';
import { isolatedTopics, type IsolatedTopics } from '../lab/isolated-topics.js';
import { CLOVISOR_BIN, startClovisor } from '../lab/pipeline-process.js';
import { readTopic } from '../lab/read-topic.js';

const FIXTURES = fileURLToPath(new URL('../../../../services/decoder/test-fixtures/', import.meta.url));
const WITH_REGISTRY = 'python-http-server.pcap'; // HTTP
const WITHOUT_REGISTRY = 'dns-udp.pcap'; // DNS
let stack: StackEndpoints;
let topics: IsolatedTopics;
let registry: { url: string };
let registryStack: StackOptions;
const topic = (base: string) => `clovisor.${base}.v1${topics.suffix}`;

function clovisor(args: string[], timeout = 120_000) {
  const res = spawnSync(process.execPath, [CLOVISOR_BIN, ...args], { encoding: 'utf8', timeout, env: { ...topics.env, CLOVISOR_BROKERS: stack.brokers } });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

async function registryGet(path: string): Promise<unknown> {
  const res = await fetch(`${registry.url}${path}`);
  assert.equal(res.status, 200, `GET ${path}: ${res.status}`);
  return res.json();
}

/** The id the registry gave the subject's latest version, and that version's schema name. */
async function latest(subject: string): Promise<{ id: number; name: string }> {
  const v = (await registryGet(`/subjects/${encodeURIComponent(subject)}/versions/latest`)) as { id: number; schema: string };
  const s = JSON.parse(v.schema) as { name: string; namespace?: string };
  return { id: v.id, name: s.name.includes('.') || s.namespace === undefined ? s.name : `${s.namespace}.${s.name}` };
}

const confluentId = (value: Buffer) => (value[0] === 0 ? value.readUInt32BE(1) : null);
const isSingleObject = (value: Buffer) => value[0] === 0xc3 && value[1] === 0x01;

let imported = 0;

before(async () => {
  stack = await stackUp({ log: () => undefined });
  topics = isolatedTopics(stack.brokers, 'sreg');
  registryStack = { stateDir: mkdtempSync(join(tmpdir(), 'clovisor-sreg-')), cacheDir: resolveConfig().cacheDir, ports: { registry: await freePort() }, env: {} };
  registry = { url: (await stackUp({ ...registryStack, only: ['registry'], log: () => undefined })).schemaRegistry! };
  const res = clovisor(['pcap', 'import', FIXTURES + WITH_REGISTRY, '--topic', topic('segments'), '--node', 'n1', '--schema-registry', registry.url]);
  assert.equal(res.code, 0, res.stderr);
  imported = Number(/published (\d+) batches/.exec(res.stdout)![1]);
  const plain = clovisor(['pcap', 'import', FIXTURES + WITHOUT_REGISTRY, '--topic', topic('segments'), '--node', 'n1']);
  assert.equal(plain.code, 0, plain.stderr);
});

after(async () => {
  if (registryStack) {
    await stackDown({ ...registryStack, log: () => undefined });
    rmSync(registryStack.stateDir!, { recursive: true, force: true });
  }
  await topics?.remove();
});

test('pcap import registers <topic>-value and writes the Confluent wire format with the registry\'s id', async () => {
  const subjects = (await registryGet('/subjects')) as string[];
  assert.ok(subjects.includes(`${topic('segments')}-value`), `subjects: ${subjects.join(', ')}`);
  const { id, name } = await latest(`${topic('segments')}-value`);
  assert.equal(name, codecs().segments.schemaName);
  const values = [...(await readTopic(stack.brokers, topic('segments'))).values()].flat().map((r) => r.value!);
  const framed = values.filter((v) => confluentId(v) !== null);
  assert.equal(framed.length, imported, 'every record of the registry import is Confluent-framed');
  for (const v of framed) assert.equal(confluentId(v), id);
  assert.ok(values.length > framed.length && values.filter((v) => confluentId(v) === null).every(isSingleObject), 'the other import is single-object');
});

test('a reader without registry decodes single-object records only; with the registry, both', async () => {
  const values = [...(await readTopic(stack.brokers, topic('segments'))).values()].flat().map((r) => r.value!);
  const codec = codecs().segments;
  const plainFlows = new Set(values.filter(isSingleObject).map((v) => codec.decode(v).flowId));
  const wantPlain = new Set(readCaptureFile(readFileSync(FIXTURES + WITHOUT_REGISTRY), { node: 'n1' }).batches.map((b) => b.flowId));
  assert.deepEqual(plainFlows, wantPlain);
  const framed = values.filter((v) => confluentId(v) !== null);
  assert.throws(() => codec.decode(framed[0]!), (err: unknown) => err instanceof DecodeError && err.code === 'AVRO_CONFLUENT_WITHOUT_REGISTRY');

  await useSchemaRegistry(registry.url, []);
  await loadRegistrySchemas(values);
  const want = readCaptureFile(readFileSync(FIXTURES + WITH_REGISTRY), { node: 'n1' }).batches;
  const got = framed.map((v) => codec.decode(v));
  assert.deepEqual(new Set(got.map((b) => b.flowId)), new Set(want.map((b) => b.flowId)));
  const payload = (batches: typeof want) => batches.flatMap((b) => b.segments.map((s) => s.payload.length)).reduce((a, b) => a + b, 0);
  assert.equal(payload(got), payload(want), 'every payload byte comes back');
  for (const v of values.filter(isSingleObject)) codec.decode(v); // still readable in registry mode
});

test('decode and correlate with --schema-registry read both framings and write Confluent records of registered subjects', async () => {
  const env = { ...topics.env, CLOVISOR_BROKERS: stack.brokers, CLOVISOR_SCHEMA_REGISTRY: registry.url };
  const decode = await startClovisor(['decode', '--redis', `${stack.redis}/14`], env);
  const correlate = await startClovisor(['correlate'], env);
  const kafka = new Kafka({ clientId: 'clovisor-test', brokers: stack.brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const high = await admin.fetchTopicOffsets(topic('segments'));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [committed] = await admin.fetchOffsets({ groupId: `clovisor-decoder${topics.suffix}`, topics: [topic('segments')] });
      const done = high.every((h) => committed!.partitions.find((p) => p.partition === h.partition)?.offset === h.high);
      if (done) break;
      assert.ok(Date.now() < deadline, `the decoder did not commit every segment record: ${decode.log().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await admin.disconnect();
  }
  await decode.stop(); // flushes the open flows
  await new Promise((r) => setTimeout(r, 3000));
  await correlate.stop();
  assert.doesNotMatch(decode.log() + correlate.log(), /SCHEMA_REGISTRY|AVRO_/);

  for (const [base, codec] of [['transactions', codecs().transactions], ['spans', codecs().spans]] as const) {
    const { id, name } = await latest(`${topic(base)}-value`);
    assert.equal(name, codec.schemaName, `${base}: the registered schema`);
    const values = [...(await readTopic(stack.brokers, topic(base))).values()].flat().map((r) => r.value!);
    assert.ok(values.length > 0, `${base}: records`);
    for (const v of values) assert.equal(confluentId(v), id, `${base}: Confluent framing with the registry's id`);
    await loadRegistrySchemas(values);
    const decoded = values.map((v) => codec.decode(v) as { protocol?: string });
    if (base === 'transactions') {
      assert.deepEqual(new Set(decoded.map((t) => t.protocol)), new Set(['http', 'dns']), 'transactions of both imports');
    }
  }
  const deadletters = [...(await readTopic(stack.brokers, topic('deadletter')).catch(() => new Map())).values()].flat();
  assert.equal(deadletters.length, 0, 'nothing dead-lettered');
});

test('an unreachable registry: pcap import and a stage fail at start with a message that says what to do', async () => {
  const nobody = `http://127.0.0.1:${await freePort()}/apis/ccompat/v7`;
  const res = clovisor(['pcap', 'import', FIXTURES + WITH_REGISTRY, '--topic', topic('segments'), '--schema-registry', nobody]);
  assert.equal(res.code, 1);
  assert.match(res.stderr, new RegExp(`schema registry unreachable at ${nobody.replaceAll('.', '\\.')}: .*\\(start it or fix --schema-registry\\)`));
  const decode = clovisor(['decode', '--redis', `${stack.redis}/14`, '--schema-registry', nobody, '--metrics-port', '0'], 60_000);
  assert.equal(decode.code, 1, decode.stderr);
  assert.match(decode.stderr, /schema registry unreachable at .*\(start it or fix --schema-registry\)/);
});

test('a schema the registry refuses as incompatible stops pcap import with the registry\'s reason', async () => {
  const subject = `clovisor.segments.v1${topics.suffix}.refused-value`;
  // an earlier "version" whose flowId is an int: today's string flowId cannot read it (BACKWARD)
  const earlier = JSON.stringify({ type: 'record', name: 'SegmentBatch', namespace: 'io.clovisor.v1', fields: [{ name: 'flowId', type: 'int' }] });
  const headers = { 'content-type': 'application/vnd.schemaregistry.v1+json' };
  const reg = await fetch(`${registry.url}/subjects/${subject}/versions`, { method: 'POST', headers, body: JSON.stringify({ schema: earlier }) });
  assert.equal(reg.status, 200, await reg.text());
  const cfg = await fetch(`${registry.url}/config/${subject}`, { method: 'PUT', headers, body: JSON.stringify({ compatibility: 'BACKWARD' }) });
  assert.equal(cfg.status, 200, await cfg.text());
  const res = clovisor(['pcap', 'import', FIXTURES + WITH_REGISTRY, '--topic', subject.replace(/-value$/, ''), '--schema-registry', registry.url]);
  assert.equal(res.code, 2, res.stderr);
  assert.match(res.stderr, new RegExp(`refused the schema for ${subject.replaceAll('.', '\\.')} as incompatible with its earlier versions: Incompatible artifact: `));
  assert.match(res.stderr, /check the subject's compatibility level/);
});

test('a Confluent record whose id the registry does not have is AVRO_UNKNOWN_SCHEMA_ID', async () => {
  const body = codecs().segments.encode(readCaptureFile(readFileSync(FIXTURES + WITH_REGISTRY), { node: 'n1' }).batches[0]!).subarray(10);
  const unknown = Buffer.concat([Buffer.from([0, 0, 0, 0x27, 0x0f]), body]); // id 9999
  await useSchemaRegistry(registry.url, []);
  await loadRegistrySchemas([unknown]);
  assert.throws(() => codecs().segments.decode(unknown), (err: unknown) => err instanceof DecodeError && err.code === 'AVRO_UNKNOWN_SCHEMA_ID' && /9999 is not in the schema registry at/.test(err.message));
});
