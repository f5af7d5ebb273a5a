// INT hop fields added to SegmentBatch (intHops, default []) and Transaction (intHop, default
// null): they survive the codec, records without them encode with the defaults, and records
// written with every earlier schema kept in schemas/history/ still decode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type avro from 'avsc';
import { RecordCodec } from './codec.js';
import { codecs } from './schemas.js';
import type { SegmentBatch, Transaction } from '../records.js';
import { noProtocolFields } from '../records.js';

const historyDir = fileURLToPath(new URL('../../../../schemas/history/', import.meta.url));
const olderSchemas = (base: string) => readdirSync(historyDir).filter((f) => f.startsWith(`${base}.`)).sort();
const schemaOf = (file: string) => JSON.parse(readFileSync(historyDir + file, 'utf8')) as avro.Schema;

const batch: SegmentBatch = {
  flowId: '0123456789abcdef', node: 'node-1', interfaceName: 'veth1', ifindex: 7, transport: 'TCP',
  client: { address: '10.0.0.1', port: 40000 }, server: { address: '10.0.0.2', port: 8080 },
  podRole: 'SERVER', pod: null, protocolHint: 'http',
  segments: [{ timestampNs: 1763890000123456789n, fromClient: true, seq: 4294967295, ack: 1, flags: 0x18, wireLength: 16, payload: Buffer.from('GET / HTTP/1.1\r\n') }],
  lostEventsBefore: 0,
};

const transaction: Transaction = {
  id: '0123456789abcdef:0', flowId: '0123456789abcdef', messageIndex: 0, protocol: 'http', transport: 'TCP', node: 'node-1',
  interfaceName: 'veth1', podRole: 'SERVER', pod: null, peer: null,
  client: { address: '10.0.0.1', port: 40000 }, server: { address: '10.0.0.2', port: 8080 }, requestSeq: 1,
  requestStartNs: 1763890000000000000n, requestEndNs: 1763890000000100000n, responseStartNs: 1763890000002000000n, responseEndNs: 1763890000002500000n,
  requestBytes: 16, responseBytes: 40, complete: true, notes: [], ...noProtocolFields(),
};

test('SegmentBatch.intHops round-trips; a batch without them reads as []; every older schema\'s records read as []', () => {
  const codec = codecs().segments;
  const withHops: SegmentBatch = {
    ...batch,
    intHops: [
      { ingressIfindex: 7, egressIfindex: 9, ingressTimeNs: 1763890000123450000n, egressTimeNs: 1763890000123473000n, fromClient: true },
      { ingressIfindex: 9, egressIfindex: 7, ingressTimeNs: 1763890000124000000n, egressTimeNs: 1763890000124008500n, fromClient: false },
    ],
  };
  assert.deepEqual(codec.decode(codec.encode(withHops)).intHops!.map((h) => ({ ...h })), withHops.intHops);
  assert.deepEqual(codec.decode(codec.encode(batch)).intHops, []);
  const files = olderSchemas('segment-batch.v1');
  assert.ok(files.includes('segment-batch.v1.3.avsc'), 'the schema before intHops is kept');
  for (const file of files) {
    const old = codec.decode(new RecordCodec<SegmentBatch>(schemaOf(file)).encode(batch));
    assert.deepEqual(old.intHops, [], file);
    assert.equal(old.segments[0]!.seq, 4294967295, file);
  }
});

test('Transaction.intHop round-trips; a transaction without it reads as null; every older schema\'s records read as null', () => {
  const codec = codecs().transactions;
  const hop = { ingressIfindex: 7, egressIfindex: 9, latencyNs: 23_000, timeNs: 1763890000000050000n, fromClient: true };
  assert.deepEqual({ ...codec.decode(codec.encode({ ...transaction, intHop: hop })).intHop }, hop);
  assert.equal(codec.decode(codec.encode(transaction)).intHop, null);
  const files = olderSchemas('transaction.v1');
  assert.ok(files.includes('transaction.v1.3.avsc'), 'the schema before intHop is kept');
  for (const file of files) {
    const { transport: _t, grpc: _g, dns: _d, redis: _r, postgres: _p, kafka: _k, attributes: _a, ...v11Fields } = transaction;
    // the oldest schema predates transport and the non-HTTP fields: write only what it knows
    const record = file === 'transaction.v1.1.avsc' ? v11Fields : transaction;
    const old = codec.decode(new RecordCodec<Record<string, unknown>>(schemaOf(file)).encode(record));
    assert.equal(old.intHop, null, file);
    assert.equal(old.responseEndNs, transaction.responseEndNs, file);
  }
});
