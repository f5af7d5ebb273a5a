import { test } from 'node:test';
import assert from 'node:assert/strict';
import type avro from 'avsc';
import { RecordCodec, parseSchema } from './codec.js';
import { crc64Avro } from './crc64-avro.js';
import { codecs } from './schemas.js';
import { DecodeError } from '../errors.js';
import type { SegmentBatch, SpanRecord } from '../records.js';
import { intAttr, stringAttr } from '../records.js';

test('CRC-64-AVRO matches the Avro specification test vectors', () => {
  // from the Avro project's schema normalization test data
  assert.equal(crc64Avro(Buffer.from('"null"')), 7195948357588979594n);
  assert.equal(BigInt.asIntN(64, crc64Avro(Buffer.from('"int"'))), 8247732601305521295n);
});

const batch: SegmentBatch = {
  flowId: '0123456789abcdef', node: 'node-1', interfaceName: 'veth1', ifindex: 7, transport: 'TCP',
  client: { address: '10.0.0.1', port: 40000 }, server: { address: 'fd00::2', port: 8080 },
  podRole: 'SERVER', pod: { service: 'backend', namespace: null, name: null, node: 'node-1' }, protocolHint: 'http',
  segments: [{ timestampNs: 1763890000123456789n, fromClient: true, seq: 4294967295, ack: 1, flags: 0x18, wireLength: 5000, payload: Buffer.from('GET / HTTP/1.1\r\n') }],
  lostEventsBefore: 3,
};

test('records of any size encode to the same bytes as avsc, and each result is its own copy', () => {
  const codec = codecs().segments;
  const seg = batch.segments[0]!;
  const small = codec.encode(batch);
  const smallCopy = Buffer.from(small);
  // 64 segments of 4 KiB: past the codec's initial buffer, which then grows
  const big: SegmentBatch = { ...batch, segments: Array.from({ length: 64 }, (_, i) => ({ ...seg, seq: i, payload: Buffer.alloc(4096, i) })) };
  const bigBytes = codec.encode(big);
  assert.deepEqual(small, smallCopy, 'the first result is not overwritten by the next encode');
  for (const [record, bytes] of [[batch, small], [big, bigBytes]] as const) {
    assert.deepEqual(bytes.subarray(10), parseSchema(codec.schema).type.toBuffer(record), 'the body avsc writes');
    const back = codec.decode(bytes);
    assert.equal(back.segments.length, record.segments.length);
    assert.deepEqual(back.segments.at(-1)!.payload, record.segments.at(-1)!.payload);
  }
  assert.ok(bigBytes.length > 64 * 4096);
  assert.deepEqual(codec.encode(batch), small, 'the same record again after the buffer grew');
});

test('an invalid record is refused with the path of what is wrong, and nothing is encoded', () => {
  const codec = codecs().segments;
  const seg = batch.segments[0]!;
  const bad: Array<[unknown, RegExp]> = [
    [{ ...batch, ifindex: 1.5 }, /invalid value at ifindex/],
    [{ ...batch, transport: 'SCTP' }, /invalid value at transport/],
    [{ ...batch, client: { address: 7, port: 1 } }, /invalid value at client\.address/],
    [{ ...batch, segments: [{ ...seg, timestampNs: 'now' }] }, /invalid value at segments\.0\.timestampNs/],
    [{ ...batch, segments: [{ ...seg, seq: 2 ** 64 }] }, /invalid value at segments\.0\.seq/],
    [{ ...batch, segments: [{ ...seg, payload: 'GET' }] }, /invalid value at segments\.0\.payload/],
    [{ ...batch, flowId: undefined }, /invalid value at flowId/],
  ];
  for (const [record, pattern] of bad) {
    assert.throws(() => codec.encode(record as SegmentBatch), (e: unknown) => e instanceof DecodeError && e.code === 'AVRO_INVALID_RECORD' && pattern.test(e.message), String(pattern));
  }
});

test('single-object encoding: C3 01, fingerprint, body; round trip keeps bigint ns and u32 seq', () => {
  const codec = codecs().segments;
  const bytes = codec.encode(batch);
  assert.deepEqual([...bytes.subarray(0, 2)], [0xc3, 0x01]);
  assert.equal(bytes.readBigUInt64LE(2), codec.fingerprint);
  const back = codec.decode(bytes);
  assert.equal(back.segments[0]!.timestampNs, 1763890000123456789n);
  assert.equal(typeof back.segments[0]!.timestampNs, 'bigint');
  assert.equal(back.segments[0]!.seq, 4294967295);
  assert.equal(back.lostEventsBefore, 3);
  assert.deepEqual(back.segments[0]!.payload, batch.segments[0]!.payload);
  assert.deepEqual({ ...back.server }, batch.server);
});

test('a span with every attribute kind survives the round trip', () => {
  const span: SpanRecord = {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', parentSpanId: null, traceState: 'a=b', traceFlags: 1,
    name: 'GET /x', kind: 'SERVER', startNs: 1n, endNs: 2n ** 62n, status: 'ERROR', statusMessage: null,
    attributes: { 'http.request.method': stringAttr('GET'), 'http.response.status_code': intAttr(503) },
    resource: { 'service.name': 'svc' }, transactionId: 'f:0',
  };
  const back = codecs().spans.decode(codecs().spans.encode(span));
  assert.equal(back.endNs, 2n ** 62n);
  assert.equal(back.attributes['http.response.status_code']!.intValue, 503);
  assert.equal(back.attributes['http.request.method']!.stringValue, 'GET');
});

test('invalid records are refused on encode with the field named', () => {
  const bad = { ...batch, ifindex: 'seven' } as unknown as SegmentBatch;
  assert.throws(() => codecs().segments.encode(bad), (err: unknown) => err instanceof DecodeError && /ifindex/.test(err.message));
});

test('undecodable values are typed errors that say what is wrong', () => {
  const codec = codecs().segments;
  const cases: Array<[Buffer | null, string]> = [
    [null, 'AVRO_EMPTY'],
    [Buffer.from('hello world, not avro'), 'AVRO_BAD_MAGIC'],
    [Buffer.from([0, 0, 0, 0, 42, 1, 2]), 'AVRO_CONFLUENT_WITHOUT_REGISTRY'],
    [Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.alloc(8, 0xab), Buffer.from([1, 2])]), 'AVRO_UNKNOWN_SCHEMA'],
    [codec.encode(batch).subarray(0, 30), 'AVRO_CORRUPT'],
  ];
  for (const [value, code] of cases) {
    assert.throws(() => codec.decode(value), (err: unknown) => err instanceof DecodeError && err.code === code, code);
  }
});

test('schema evolution: records written with an older schema are read with the new one', () => {
  const v1: avro.Schema = { type: 'record', name: 'Thing', namespace: 't', fields: [{ name: 'id', type: 'string' }] };
  const v2: avro.Schema = {
    type: 'record', name: 'Thing', namespace: 't',
    fields: [{ name: 'id', type: 'string' }, { name: 'note', type: ['null', 'string'], default: null }],
  };
  const written = new RecordCodec<{ id: string }>(v1).encode({ id: 'a' });
  const reader = new RecordCodec<{ id: string; note: string | null }>(v2, [v1]);
  assert.deepEqual({ ...reader.decode(written) }, { id: 'a', note: null });
  const withoutHistory = new RecordCodec<{ id: string; note: string | null }>(v2);
  assert.throws(() => withoutHistory.decode(written), /unknown schema/);
});

test('SegmentBatch node-interface fields: optional on write, read back, and defaulted for older records', async () => {
  const { readFileSync } = await import('node:fs');
  const codec = codecs().segments;
  // without the fields (writers that do not trace node interfaces): they read back as null
  const plain = codec.decode(codec.encode(batch));
  assert.equal(plain.nodeInterfaceName, null);
  assert.equal(plain.segments[0]!.nodeTimestampNs, null);
  // with them
  const traced: SegmentBatch = { ...batch, nodeInterfaceName: 'eth0', segments: [{ ...batch.segments[0]!, nodeTimestampNs: 1763890000123459999n }] };
  const back = codec.decode(codec.encode(traced));
  assert.equal(back.nodeInterfaceName, 'eth0');
  assert.equal(back.segments[0]!.nodeTimestampNs, 1763890000123459999n);
  // a record written with the previous schema (schemas/history/segment-batch.v1.1.avsc)
  const dir = new URL('../../../../schemas/history/segment-batch.v1.1.avsc', import.meta.url);
  const older = new RecordCodec<SegmentBatch>(JSON.parse(readFileSync(dir, 'utf8')) as avro.Schema);
  const old = codec.decode(older.encode(batch));
  assert.equal(old.nodeInterfaceName, null);
  assert.equal(old.segments[0]!.nodeTimestampNs, null);
  assert.equal(old.segments[0]!.timestampNs, batch.segments[0]!.timestampNs);
});

test('segment batches carry TCP socket events; batches written before them read as having none', async () => {
  const codec = codecs().segments;
  const withEvents: SegmentBatch = {
    ...batch,
    tcpEvents: [
      { timestampNs: 1763890000123456000n, kind: 'STATE', fromClient: false, oldState: 'SYN_RECV', newState: 'ESTABLISHED', seq: 0 },
      { timestampNs: 1763890000223456000n, kind: 'RETRANSMIT', fromClient: false, oldState: null, newState: 'ESTABLISHED', seq: 4294967295 },
    ],
  };
  const back = codec.decode(codec.encode(withEvents));
  assert.deepEqual(back.tcpEvents!.map((e) => ({ ...e })), withEvents.tcpEvents);
  // a record without the field is encoded with the default
  assert.deepEqual(codec.decode(codec.encode(batch)).tcpEvents, []);

  // written by an agent that predates the field (the schema kept in schemas/history)
  const { readFileSync } = await import('node:fs');
  const older = JSON.parse(readFileSync(new URL('../../../../schemas/history/segment-batch.v1.1.avsc', import.meta.url), 'utf8')) as avro.Schema;
  const oldWriter = new RecordCodec<SegmentBatch>(older);
  const fromOld = codec.decode(oldWriter.encode(batch));
  assert.deepEqual(fromOld.tcpEvents, []);
  assert.equal(fromOld.segments[0]!.seq, 4294967295);
});
