// examples/consumer (kafkajs + avsc, none of Clovisor's code) against the real Kafka, isolated
// topics: it prints exactly the spans written with today's schema and the transactions written
// with the previous one (defaults filled), naming each record's writer schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type avro from 'avsc';
import { Kafka, logLevel } from 'kafkajs';
import { RecordCodec, codecs, intAttr, stringAttr, type SpanRecord } from '@clovisor/core';
import { isolatedTopics } from '../lab/isolated-topics.js';

const BROKERS = process.env['CLOVISOR_BROKERS'] ?? '127.0.0.1:9092';
const CONSUMER = fileURLToPath(new URL('../../../../examples/consumer/dist/consume.js', import.meta.url));
const SCHEMAS = fileURLToPath(new URL('../../../../schemas/', import.meta.url));

interface Line { topic: string; partition: number; offset: string; key: string | null; writer: string; record: Record<string, unknown> }

/** Runs the example until it printed `max` records; its stdout lines and stderr. */
function runExample(args: string[]): Promise<{ lines: Line[]; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CONSUMER, '--brokers', BROKERS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { out += c; });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { err += c; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`example consumer did not finish in 60 s:\n${out}\n${err}`)); }, 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ lines: out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line), stderr: err, code });
    });
  });
}

function span(i: number): SpanRecord {
  return {
    traceId: `4bf92f3577b34da6a3ce929d0e0e47${String(i).padStart(2, '0')}`, spanId: `00f067aa0ba902b${i}`, parentSpanId: null, traceState: null, traceFlags: 1,
    name: `GET /item/${i}`, kind: 'SERVER', startNs: 1763890000123456789n + BigInt(i), endNs: 1763890000223456789n + BigInt(i), status: i === 2 ? 'ERROR' : 'UNSET', statusMessage: null,
    attributes: { 'http.request.method': stringAttr('GET'), 'http.response.status_code': intAttr(i === 2 ? 503 : 200) },
    resource: { 'service.name': 'shop' }, transactionId: `f${i}:0`,
  };
}

test('the example consumer prints the spans and old-schema transactions of an isolated topic', async () => {
  const topics = isolatedTopics(BROKERS, 'example');
  const spansTopic = `clovisor.spans.v1${topics.suffix}`;
  const txTopic = `clovisor.transactions.v1${topics.suffix}`;
  const kafka = new Kafka({ clientId: 'clovisor-example-test', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING });
  try {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: spansTopic, numPartitions: 1 }, { topic: txTopic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const spans = [0, 1, 2].map(span);
    const oldSchema = JSON.parse(readFileSync(`${SCHEMAS}history/transaction.v1.1.avsc`, 'utf8')) as avro.Schema;
    const old = new RecordCodec<Record<string, unknown>>(oldSchema);
    const oldTx = {
      id: 'abcdefabcdefabcd:0', flowId: 'abcdefabcdefabcd', messageIndex: 0, protocol: 'http', node: 'n', interfaceName: 'veth0', podRole: 'CLIENT',
      pod: null, peer: null, client: { address: 'fd00::1', port: 5000 }, server: { address: 'fd00::2', port: 80 }, requestSeq: 7,
      requestStartNs: 1763890000000000001n, requestEndNs: 1763890000000000002n, responseStartNs: null, responseEndNs: null,
      requestBytes: 10, responseBytes: 0, complete: false, notes: ['no response'], http: null,
    };
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: spansTopic, messages: spans.map((s) => ({ key: s.traceId, value: codecs().spans.encode(s) })) });
    await producer.send({ topic: txTopic, messages: [{ key: 'abcdefabcdefabcd', value: old.encode(oldTx) }, { key: 'junk', value: Buffer.from('not avro at all') }] });
    await producer.disconnect();

    const printed = await runExample(['--topic', spansTopic, '--from-beginning', '--max', '3', '--group', `example-${topics.suffix}`]);
    assert.equal(printed.code, 0, printed.stderr);
    assert.equal(printed.lines.length, 3);
    const fp = codecs().spans.fingerprint.toString(16).padStart(16, '0');
    printed.lines.forEach((line, i) => {
      const s = spans[i]!;
      assert.deepEqual([line.topic, line.partition, line.offset, line.key, line.writer], [spansTopic, 0, String(i), s.traceId, `fingerprint ${fp}`]);
      // the example prints every Avro long (times, intValue) as a string of digits
      const longsAsStrings = (k: string, v: unknown) => (typeof v === 'bigint' || (k === 'intValue' && typeof v === 'number') ? String(v) : v);
      assert.deepEqual(line.record, JSON.parse(JSON.stringify(s, longsAsStrings)), `span ${i} field by field`);
    });

    const txs = await runExample(['--topic', txTopic, '--from-beginning', '--max', '2', '--group', `example-tx-${topics.suffix}`]);
    assert.equal(txs.code, 0, txs.stderr);
    assert.equal(txs.lines.length, 1);
    const tx = txs.lines[0]!;
    assert.equal(tx.writer, `fingerprint ${old.fingerprint.toString(16).padStart(16, '0')}`, 'the old writer is named');
    assert.equal(tx.record['transport'], 'TCP', 'field added since, with its default');
    assert.deepEqual(tx.record['notes'], ['no response']);
    assert.equal(tx.record['requestStartNs'], '1763890000000000001');
    assert.match(txs.stderr, /skipped clovisor\.transactions\.v1\S+\/0@1: neither Avro single-object encoding/);
  } finally {
    await topics.remove();
  }
});
