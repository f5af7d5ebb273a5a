// Schema evolution with the repository's own schema files: a Transaction written with the
// previous version (schemas/history/transaction.v1.1.avsc, before transport and the non-HTTP
// protocol fields were added with defaults) is read with today's schema; a writer whose change
// was not compatible is a typed error, not a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type avro from 'avsc';
import { RecordCodec } from './codec.js';
import { codecs } from './schemas.js';
import { DecodeError } from '../errors.js';
import type { Transaction } from '../records.js';

const schemaFile = (path: string): avro.Schema => JSON.parse(readFileSync(fileURLToPath(new URL(`../../../../schemas/${path}`, import.meta.url)), 'utf8')) as avro.Schema;

/** A transaction as the v1.1 writer knew it: no transport, grpc, dns, redis, postgres, kafka, attributes. */
function transactionV11(id: string): Record<string, unknown> {
  return {
    id, flowId: id.split(':')[0], messageIndex: 0, protocol: 'http', node: 'node-old', interfaceName: 'veth0',
    podRole: 'SERVER', pod: { service: 'backend', namespace: 'default', name: 'backend-1', node: 'node-old' }, peer: null,
    client: { address: '10.0.0.1', port: 40000 }, server: { address: '10.0.0.2', port: 8080 }, requestSeq: 4294967295,
    requestStartNs: 1763890000000000000n, requestEndNs: 1763890000000100000n, responseStartNs: 1763890000002000000n, responseEndNs: 1763890000002500000n,
    requestBytes: 120, responseBytes: 300, complete: true, notes: [],
    http: {
      method: 'GET', target: '/old?x=1', path: '/old', query: 'x=1', version: '1.1', statusCode: 200, reason: 'OK',
      requestHeaders: { 'x-request-id': 'r-1' }, responseHeaders: {}, requestBodyBytes: 0, responseBodyBytes: 12,
    },
  };
}

test('a Transaction written with schemas/history/transaction.v1.1 is read with the current schema, defaults filled', () => {
  const old = new RecordCodec<Record<string, unknown>>(schemaFile('history/transaction.v1.1.avsc'));
  const current = codecs().transactions;
  assert.notEqual(old.fingerprint, current.fingerprint, 'the two versions differ');
  const bytes = old.encode(transactionV11('0123456789abcdef:0'));
  assert.equal(bytes.readBigUInt64LE(2), old.fingerprint, 'the record names its writer schema');
  const tx: Transaction = current.decode(bytes);
  assert.equal(tx.transport, 'TCP', 'field added with default TCP');
  assert.deepEqual([tx.grpc, tx.dns, tx.redis, tx.postgres, tx.kafka], [null, null, null, null, null]);
  assert.deepEqual({ ...tx.attributes }, {});
  assert.equal(tx.http!.path, '/old');
  assert.equal(tx.http!.requestHeaders['x-request-id'], 'r-1');
  assert.equal(tx.requestSeq, 4294967295);
  assert.equal(tx.responseEndNs, 1763890000002500000n);
  // and what the current writer writes is read by the current reader directly
  assert.deepEqual(current.decode(current.encode(tx)), tx);
});

test('an incompatible writer the reader knows: AVRO_INCOMPATIBLE_SCHEMA, every time, naming the problem', () => {
  const v11 = schemaFile('history/transaction.v1.1.avsc') as { fields: Array<{ name: string; type: unknown }> };
  // requestSeq became a string: no Avro resolution turns a string into a long
  const incompatible = { ...v11, fields: v11.fields.map((f) => (f.name === 'requestSeq' ? { ...f, type: 'string' } : f)) } as avro.Schema;
  const writer = new RecordCodec<Record<string, unknown>>(incompatible);
  const reader = new RecordCodec<Transaction>(schemaFile('transaction.v1.avsc'), [incompatible]);
  const bytes = writer.encode({ ...transactionV11('0123456789abcdef:1'), requestSeq: 'seven' });
  for (let i = 0; i < 2; i++) {
    assert.throws(() => reader.decode(bytes), (err: unknown) => err instanceof DecodeError && err.code === 'AVRO_INCOMPATIBLE_SCHEMA' && /cannot resolve/.test(err.message));
  }
  // without that schema among its known writers it is an unknown one
  assert.throws(() => codecs().transactions.decode(bytes), (err: unknown) => err instanceof DecodeError && err.code === 'AVRO_UNKNOWN_SCHEMA');
});
