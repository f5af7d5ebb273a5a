// `clovisor topics create|describe` through the real CLI against the real broker, on topics of
// a unique suffix: what create sets is what describe (and the broker) reports.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { stackUp } from '@clovisor/stack';
import { isolatedTopics, type IsolatedTopics } from '../lab/isolated-topics.js';
import { CLOVISOR_BIN } from '../lab/pipeline-process.js';
import { readTopic } from '../lab/read-topic.js';
import type { TopicDescription } from '../topics/admin.js';

let BROKERS: string;
let plain: IsolatedTopics;
let custom: IsolatedTopics;

before(async () => {
  BROKERS = (await stackUp({ log: () => undefined })).brokers;
  plain = isolatedTopics(BROKERS, 'topics');
  custom = isolatedTopics(BROKERS, 'topics');
});

after(async () => {
  await plain?.remove();
  await custom?.remove();
});

function clovisor(args: string[], env: NodeJS.ProcessEnv) {
  const res = spawnSync(process.execPath, [CLOVISOR_BIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...env, CLOVISOR_BROKERS: BROKERS } });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

function describe(env: NodeJS.ProcessEnv, extra: string[] = []): TopicDescription[] {
  const res = clovisor(['topics', 'describe', '--json', ...extra], env);
  assert.equal(res.code, 0, res.stderr);
  return JSON.parse(res.stdout) as TopicDescription[];
}

const DAY = 86_400_000;

test('topics create: every topic with its defaults, as describe and the broker report them', () => {
  const before = describe(plain.env);
  assert.ok(before.every((d) => !d.exists), 'nothing of this suffix exists yet');
  const res = clovisor(['topics', 'create'], plain.env);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout.trim().split('\n').filter((l) => l.startsWith('created ')).length, 5, res.stdout);
  const expected: Record<string, [number, string]> = {
    segments: [3 * DAY, 'producer'], int: [DAY, 'producer'], transactions: [7 * DAY, 'gzip'], spans: [7 * DAY, 'gzip'], deadletter: [14 * DAY, 'gzip'],
  };
  const described = describe(plain.env);
  assert.deepEqual(described.map((d) => d.topic), Object.keys(expected).map((k) => `clovisor.${k}.v1${plain.suffix}`));
  for (const d of described) {
    const [retention, compression] = expected[d.topic.split('.')[1]!]!;
    assert.ok(d.exists, d.topic);
    assert.equal(d.partitions.length, 3, d.topic);
    for (const p of d.partitions) {
      assert.ok(p.leader >= 0 && p.replicas.includes(p.leader) && p.isr.includes(p.leader), `${d.topic}/${p.partition}: ${JSON.stringify(p)}`);
      assert.equal(p.high, '0');
    }
    assert.equal(d.configs['retention.ms'], String(retention), d.topic);
    assert.equal(d.configs['compression.type'], compression, d.topic);
    assert.equal(d.configs['cleanup.policy'], 'delete', d.topic);
  }
  // a second create leaves them as they are
  const again = clovisor(['topics', 'create', '--retention', '1h'], plain.env);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout.trim().split('\n').filter((l) => l.startsWith('exists ')).length, 5, again.stdout);
  assert.equal(describe(plain.env, ['--topic', 'spans'])[0]!.configs['retention.ms'], String(7 * DAY));
});

test('describe: high-water marks and records held, a replay\'s topic; a gzip topic reads back through KafkaJS', async () => {
  const spans = `clovisor.spans.v1${plain.suffix}`;
  const producer = new Kafka({ clientId: 'clovisor-test', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  const messages = Array.from({ length: 7 }, (_, i) => ({ key: `k${i}`, value: `span ${i} `.repeat(20) }));
  await producer.send({ topic: spans, messages });
  await producer.disconnect();
  const [d] = describe(plain.env, ['--topic', spans]);
  assert.equal(d!.records, 7);
  assert.equal(d!.partitions.reduce((n, p) => n + Number(p.high), 0), 7);
  const text = clovisor(['topics', 'describe', '--topic', 'spans'], plain.env);
  assert.match(text.stdout, new RegExp(`${spans.replace(/\./g, '\\.')}: 3 partitions, 7 records held`));
  assert.match(text.stdout, /retention\.ms=604800000 \(1w\) compression\.type=gzip cleanup\.policy=delete/);
  // a replay's topic too (clovisor replay creates them)
  const replayTopic = `${spans}.replay-t1`;
  const admin = new Kafka({ clientId: 'clovisor-test', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: replayTopic, numPartitions: 2 }] });
  await admin.disconnect();
  const [r] = describe(plain.env, ['--topic', replayTopic]);
  assert.equal(r!.topic, replayTopic);
  assert.equal(r!.partitions.length, 2);
  const back = [...(await readTopic(BROKERS, spans)).values()].flat();
  assert.deepEqual(back.map((r) => r.value!.toString()).sort(), messages.map((m) => m.value).sort());
});

test('topics create with --topic, --partitions, --retention, --compression: the broker has those', () => {
  const res = clovisor(['topics', 'create', '--topic', 'transactions', '--topic', 'clovisor.deadletter.v1' + custom.suffix, '--partitions', '2', '--retention', '36h', '--compression', 'none'], custom.env);
  assert.equal(res.code, 0, res.stderr);
  const dead = clovisor(['topics', 'create', '--topic', 'deadletter', '--compression', 'zstd'], custom.env);
  assert.match(dead.stdout, /^exists /);
  const described = describe(custom.env);
  const byKind = new Map(described.map((d) => [d.topic.split('.')[1], d]));
  for (const kind of ['transactions', 'deadletter']) {
    const d = byKind.get(kind)!;
    assert.ok(d.exists, kind);
    assert.equal(d.partitions.length, 2);
    assert.equal(d.configs['retention.ms'], String(36 * 3_600_000));
    assert.equal(d.configs['compression.type'], 'uncompressed');
  }
  for (const kind of ['segments', 'int', 'spans']) assert.equal(byKind.get(kind)!.exists, false, kind);
});

test('topics: bad flags and settings the broker refuses are one line, exit 2', () => {
  const cases: Array<[string[], RegExp]> = [
    [['create', '--topic', 'segments', '--compression', 'lz4'], /--compression lz4 on clovisor\.segments\.v1.*: Clovisor's stages \(KafkaJS\) read gzip only/],
    [['create', '--compression', 'brotli'], /--compression "brotli": expected gzip, snappy, lz4, zstd or none/],
    [['create', '--retention', '3 fortnights'], /--retention "3 fortnights": expected a duration/],
    [['create', '--partitions', '0'], /--partitions "0": expected an integer from 1 to 1024/],
    [['describe', '--topic', 'metrics'], /--topic "metrics": expected one of segments, int, transactions, spans, deadletter/],
    [['create', '--topic', 'spans', '--replication-factor', '9'], /--replication-factor 9: the cluster has \d+ brokers?, so at most \d+/],
    [['remove'], /unknown subcommand "remove": expected create or describe/],
  ];
  for (const [args, pattern] of cases) {
    const res = clovisor(['topics', ...args], custom.env);
    assert.equal(res.code, 2, `${args.join(' ')}: exit ${res.code}\n${res.stdout}${res.stderr}`);
    const lines = res.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${args.join(' ')}: one line, got:\n${res.stderr}`);
    assert.match(lines[0]!, pattern);
  }
  const help = clovisor(['topics', '--help'], custom.env);
  for (const flag of ['--topic', '--partitions', '--retention', '--compression', '--replication-factor', '--json']) assert.ok(help.stdout.includes(flag), flag);
});
