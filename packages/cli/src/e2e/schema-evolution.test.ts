// Schema evolution on the real Kafka with the real correlator (`clovisor correlate`, isolated
// topics): transactions written with the previous schema version (schemas/history/
// transaction.v1.1.avsc) become spans; a record of a known but incompatible writer and one of an
// unknown writer go to the dead-letter topic with their typed error codes, and the stage goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type avro from 'avsc';
import { Kafka, logLevel } from 'kafkajs';
import { RecordCodec, codecs } from '@clovisor/core';
import { isolatedTopics } from '../lab/isolated-topics.js';
import { startClovisor } from '../lab/pipeline-process.js';
import { readFirstRecords } from '../lab/read-first-records.js';

const BROKERS = process.env['CLOVISOR_BROKERS'] ?? '127.0.0.1:9092';
const SCHEMAS = fileURLToPath(new URL('../../../../schemas/', import.meta.url));

function oldTransaction(id: string, requestId: string): Record<string, unknown> {
  return {
    id, flowId: id.split(':')[0], messageIndex: Number(id.split(':')[1]), protocol: 'http', node: 'node-old', interfaceName: 'veth0',
    podRole: 'SERVER', pod: { service: 'old-backend', namespace: 'default', name: 'old-backend-1', node: 'node-old' }, peer: null,
    client: { address: '10.0.0.1', port: 40000 }, server: { address: '10.0.0.2', port: 8080 }, requestSeq: 1000 + Number(id.split(':')[1]),
    requestStartNs: 1763890000000000000n, requestEndNs: 1763890000000100000n, responseStartNs: 1763890000002000000n, responseEndNs: 1763890000002500000n,
    requestBytes: 120, responseBytes: 300, complete: true, notes: [],
    http: {
      method: 'GET', target: '/old', path: '/old', query: null, version: '1.1', statusCode: 200, reason: 'OK',
      requestHeaders: { 'x-request-id': requestId }, responseHeaders: {}, requestBodyBytes: 0, responseBodyBytes: 12,
    },
  };
}

test('old-schema transactions become spans; incompatible and unknown writers are dead-lettered with typed codes', async () => {
  const topics = isolatedTopics(BROKERS, 'evolution');
  const transactionsTopic = `clovisor.transactions.v1${topics.suffix}`;
  // the correlator knows one more (incompatible) writer than the repository: requestSeq as a string
  const schemasDir = mkdtempSync(join(tmpdir(), 'clovisor-schemas-'));
  cpSync(SCHEMAS, schemasDir, { recursive: true });
  const v11 = JSON.parse(readFileSync(join(SCHEMAS, 'history/transaction.v1.1.avsc'), 'utf8')) as { fields: Array<{ name: string; type: unknown }> };
  const incompatibleSchema = { ...v11, fields: v11.fields.map((f) => (f.name === 'requestSeq' ? { ...f, type: 'string' } : f)) };
  writeFileSync(join(schemasDir, 'history/transaction.v1.0-requestseq-string.avsc'), JSON.stringify(incompatibleSchema));

  const old = new RecordCodec<Record<string, unknown>>(JSON.parse(readFileSync(join(SCHEMAS, 'history/transaction.v1.1.avsc'), 'utf8')) as avro.Schema);
  const incompatible = new RecordCodec<Record<string, unknown>>(incompatibleSchema as avro.Schema);
  const unknownWriter = Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.from('0011223344556677', 'hex'), old.encode(oldTransaction('aaaaaaaaaaaaaaaa:9', 'r-9')).subarray(10)]);
  const ids = ['aaaaaaaaaaaaaaaa:0', 'aaaaaaaaaaaaaaaa:1', 'aaaaaaaaaaaaaaaa:2'];

  const kafka = new Kafka({ clientId: 'clovisor-evolution-test', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: transactionsTopic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: transactionsTopic,
    messages: [
      ...ids.map((id, i) => ({ key: `r-${i}`, value: old.encode(oldTransaction(id, `r-${i}`)) })),
      { key: 'r-bad', value: incompatible.encode({ ...oldTransaction('aaaaaaaaaaaaaaaa:3', 'r-bad'), requestSeq: 'seven' }) },
      { key: 'r-unknown', value: unknownWriter },
    ],
  });
  await producer.disconnect();

  const correlator = await startClovisor(['correlate', '--brokers', BROKERS], { ...topics.env, CLOVISOR_SCHEMAS_DIR: schemasDir });
  try {
    const spans = (await readFirstRecords(BROKERS, `clovisor.spans.v1${topics.suffix}`, 3)).map((r) => codecs().spans.decode(r.value));
    assert.deepEqual(spans.map((s) => s.transactionId).sort(), ids);
    for (const span of spans) {
      assert.equal(span.kind, 'SERVER');
      assert.equal(span.resource['service.name'], 'old-backend');
    }
    const letters = (await readFirstRecords(BROKERS, `clovisor.deadletter.v1${topics.suffix}`, 2)).map((r) => codecs().deadletter.decode(r.value));
    const byOffset = new Map(letters.map((l) => [l.sourceOffset, l]));
    assert.equal(byOffset.get('3')?.errorCode, 'AVRO_INCOMPATIBLE_SCHEMA');
    assert.match(byOffset.get('3')!.errorMessage, /cannot resolve/);
    assert.equal(byOffset.get('4')?.errorCode, 'AVRO_UNKNOWN_SCHEMA');
    assert.match(byOffset.get('4')!.errorMessage, /fingerprint 0011223344556677|unknown schema/);
    for (const l of letters) assert.equal(l.sourceTopic, transactionsTopic);
    assert.ok(byOffset.get('4')!.value!.equals(unknownWriter), 'the original bytes travel with the letter');
    assert.equal(correlator.child.exitCode, null, 'the correlator is still running');
  } finally {
    const code = await correlator.stop();
    await topics.remove();
    assert.equal(code, 0, correlator.log());
  }
});
