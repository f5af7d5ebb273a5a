import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import { RecordCodec, parseSchema } from './codec.js';
import { codecs } from './schemas.js';
import { SEGMENT_BATCH_WRITER_FINGERPRINT, segmentBatchWriter } from './segment-batch-writer.js';
import { DecodeError } from '../errors.js';
import type { IntHop, PodMeta, Segment, SegmentBatch, TcpSocketEvent } from '../records.js';

// The hand-written writer against avsc's generic one, byte for byte. Real captures are compared
// in services/decoder (segment-writer-fixtures.test.ts: the records of every pcap fixture).

const schema = codecs().segments.schema;
const avscType = parseSchema(schema).type;
/**
 * avsc on its own, independent of our varint.ts (which both the codec's long types and the
 * writer use): longs handed to avsc as 8-byte two's complement, which it packs itself.
 */
const packedLong = () => avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (value: number | bigint) => { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(value)); return b; },
  fromJSON: BigInt, toJSON: String, isValid: (v: unknown) => typeof v === 'bigint' || typeof v === 'number', compare: () => 0,
});
const independentType = avro.Type.forSchema(schema, {
  registry: { long: packedLong() },
  typeHook: (s) => (typeof s === 'object' && s !== null && (s as { logicalType?: unknown }).logicalType === 'timestamp-nanos' ? packedLong() : undefined),
});
/** the same schema without the hand-written writer */
const generic = () => new RecordCodec<SegmentBatch>(schema);

test('the writer follows schemas/segment-batch.v1.avsc (else the codec falls back to avsc and this fails)', () => {
  const codec = codecs().segments;
  assert.equal(
    codec.fingerprint, SEGMENT_BATCH_WRITER_FINGERPRINT,
    `schemas/segment-batch.v1.avsc changed (fingerprint ${codec.fingerprint.toString(16)}); the capture now encodes with avsc's slower generic writer: ` +
      'update packages/core/src/avro/segment-batch-writer.ts to the new schema, then SEGMENT_BATCH_WRITER_FINGERPRINT',
  );
  assert.equal(codec.usesBodyWriter, true);
});

test('a codec of another schema does not use the writer, and encodes with avsc', () => {
  const changed = JSON.parse(JSON.stringify(schema)) as { fields: Array<{ name: string; type: unknown; default?: unknown }> };
  changed.fields.push({ name: 'extra', type: 'int', default: 0 });
  const codec = new RecordCodec<SegmentBatch>(changed as avro.Schema);
  assert.equal(codec.useBodyWriter(segmentBatchWriter), false);
  assert.equal(codec.usesBodyWriter, false);
  const batch = randomBatch(rng(7));
  const other = parseSchema(changed as avro.Schema).type;
  assert.deepEqual(codec.encode(batch).subarray(10), other.toBuffer(batch));
});

// a deterministic PRNG (xorshift32): a failure names its seed and can be replayed
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, n: number) => Math.floor(r() * n);

const INTS = [0, -0, 1, -1, 63, 64, -64, -65, 127, 128, 8191, 8192, 2 ** 30 - 1, 2 ** 30, -(2 ** 30), -(2 ** 30) - 1, 2 ** 31 - 1, -(2 ** 31)];
function randomInt(r: Rand): number {
  return r() < 0.5 ? pick(r, INTS) : (int(r, 2 ** 32) | 0) >> int(r, 32);
}

const LONG_NUMBERS = [...INTS, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 52 - 1, 2 ** 52, 2 ** 52 + 1, -(2 ** 52), -(2 ** 52) - 1, -(2 ** 53) + 2, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
const LONG_BIGINTS = [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 62n, -(2n ** 62n) - 1n, 2n ** 32n, 2n ** 31n, -(2n ** 31n), 1763890000123456789n, -1763890000123456789n];
function randomLong(r: Rand): number | bigint {
  const k = r();
  if (k < 0.3) return pick(r, LONG_NUMBERS);
  if (k < 0.6) return pick(r, LONG_BIGINTS);
  if (k < 0.8) return Math.floor((r() - 0.5) * 2 ** int(r, 54));
  return BigInt.asIntN(64, (BigInt(int(r, 2 ** 32)) << 32n) | BigInt(int(r, 2 ** 32))) >> BigInt(int(r, 64));
}
const randomNs = (r: Rand): bigint => BigInt(randomLong(r));

/** ASCII, Latin-1, BMP, astral (surrogate pairs) and lone surrogates; lengths around avsc's 64-byte switch */
const PIECES = ['a', 'Z', '0', '-', '.', ':', 'é', 'ß', '€', '日本', '😀', '\ud800', '\udfff', '\u0000', '\u007f', '\u0080', '\u07ff', '\u0800', '\uffff'];
function randomString(r: Rand): string {
  const k = r();
  if (k < 0.1) return '';
  const length = pick(r, [1, 5, 16, 21, 22, 32, 63, 64, 65, 66, 100, 300]);
  const asciiOnly = k < 0.5;
  let s = '';
  while (s.length < length) s += asciiOnly ? String.fromCharCode(32 + int(r, 95)) : pick(r, PIECES);
  return s;
}
const maybe = <T>(r: Rand, value: () => T): T | null => (r() < 0.3 ? null : value());

function randomPayload(r: Rand): Buffer {
  const length = pick(r, [0, 0, 1, 31, 32, 33, 127, 128, 1460, 16_384, 70_000]);
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) b[i] = int(r, 256);
  // a view into a larger buffer, as capture payloads are
  return r() < 0.5 ? b : Buffer.concat([Buffer.from([1, 2, 3]), b]).subarray(3);
}

function randomSegment(r: Rand): Segment {
  const s: Segment = {
    timestampNs: randomNs(r), fromClient: r() < 0.5, seq: Number(randomLong(r) as number) || 0, ack: int(r, 2 ** 32),
    flags: randomInt(r), wireLength: randomInt(r), payload: randomPayload(r),
  };
  const k = r();
  if (k < 0.3) s.nodeTimestampNs = null;
  else if (k < 0.6) s.nodeTimestampNs = randomNs(r);
  // else absent: the default, null
  if (typeof s.seq === 'number' && !Number.isSafeInteger(s.seq)) s.seq = 0;
  return s;
}

function randomTcpEvent(r: Rand): TcpSocketEvent {
  return {
    timestampNs: randomNs(r), kind: pick(r, ['STATE', 'RETRANSMIT', 'RESET_SENT', 'RESET_RECEIVED'] as const), fromClient: r() < 0.5,
    oldState: maybe(r, () => randomString(r)), newState: randomString(r), seq: pick(r, LONG_NUMBERS),
  };
}

function randomHop(r: Rand): IntHop {
  return { ingressIfindex: randomInt(r), egressIfindex: randomInt(r), ingressTimeNs: randomNs(r), egressTimeNs: randomNs(r), fromClient: r() < 0.5 };
}

function randomPod(r: Rand): PodMeta | null {
  if (r() < 0.3) return null;
  return { service: maybe(r, () => randomString(r)), namespace: maybe(r, () => randomString(r)), name: maybe(r, () => randomString(r)), node: maybe(r, () => randomString(r)) };
}

function randomBatch(r: Rand): SegmentBatch {
  const count = pick(r, [0, 1, 2, 63, 64, 65, 200]);
  const batch: SegmentBatch = {
    flowId: randomString(r), node: randomString(r), interfaceName: randomString(r), ifindex: randomInt(r),
    transport: r() < 0.5 ? 'TCP' : 'UDP',
    client: { address: randomString(r), port: randomInt(r) }, server: { address: randomString(r), port: randomInt(r) },
    podRole: r() < 0.5 ? 'SERVER' : 'CLIENT', pod: randomPod(r), protocolHint: maybe(r, () => randomString(r)),
    segments: Array.from({ length: count }, () => randomSegment(r)),
    lostEventsBefore: pick(r, LONG_NUMBERS) as number,
  };
  // optional fields: absent (their defaults), null, or set
  if (r() < 0.6) batch.nodeInterfaceName = maybe(r, () => randomString(r));
  if (r() < 0.7) batch.tcpEvents = Array.from({ length: pick(r, [0, 1, 3, 70]) }, () => randomTcpEvent(r));
  if (r() < 0.7) batch.intHops = Array.from({ length: pick(r, [0, 1, 5, 70]) }, () => randomHop(r));
  if (r() < 0.1) (batch as unknown as Record<string, unknown>)['notInTheSchema'] = 'ignored';
  return batch;
}

const normalize = (value: unknown) => JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))) as unknown;

test('random batches with edge values: the same bytes as avsc, single-object and registry framing; they decode back', () => {
  const codec = codecs().segments;
  const reference = generic();
  const registryCodec = new RecordCodec<SegmentBatch>(schema);
  assert.equal(registryCodec.useBodyWriter(segmentBatchWriter), true);
  const registryReference = generic();
  registryCodec.useRegistry('http://registry.invalid', 4242);
  registryReference.useRegistry('http://registry.invalid', 4242);
  for (let seed = 1; seed <= 400; seed++) {
    const batch = randomBatch(rng(seed));
    const expectedBody = avscType.toBuffer(batch);
    assert.ok(independentType.toBuffer(batch).equals(expectedBody), `seed ${seed}: avsc packing the longs itself writes other bytes`);
    const direct = Buffer.alloc(16 + 3 * expectedBody.length + 65_536); // room for its upper bound
    assert.equal(segmentBatchWriter.write(batch, direct, 16), 16 + expectedBody.length, `seed ${seed}: the writer itself writes it (no fallback)`);
    assert.ok(direct.subarray(16, 16 + expectedBody.length).equals(expectedBody), `seed ${seed}: the writer's own bytes`);
    const bytes = codec.encode(batch);
    assert.ok(bytes.subarray(10).equals(expectedBody), `seed ${seed}: body differs from avsc's`);
    assert.ok(bytes.equals(reference.encode(batch)), `seed ${seed}: single-object value differs`);
    const framed = registryCodec.encode(batch);
    assert.ok(framed.equals(registryReference.encode(batch)), `seed ${seed}: Confluent value differs`);
    assert.deepEqual([...framed.subarray(0, 5)], [0, 0, 0, 0x10, 0x92]);
    // what avsc reads back: strings with lone surrogates read as U+FFFD, so compare with avsc's own round trip
    assert.deepEqual(normalize(codec.decode(bytes)), normalize(avscType.fromBuffer(expectedBody)), `seed ${seed}: decodes differently`);
  }
});

test('real-looking HTTP batches (the bench\'s shape) are identical too, as the buffer grows past its kept size', () => {
  const codec = codecs().segments;
  const reference = generic();
  const request = Buffer.from('GET /items/42 HTTP/1.1\r\nHost: backend:8080\r\nConnection: keep-alive\r\n\r\n');
  const segments: Segment[] = Array.from({ length: 64 }, (_, i) => ({
    timestampNs: 1763890000123456789n + BigInt(i * 31_000), fromClient: i % 2 === 0, seq: 4294967000 + i, ack: 123456 + i,
    flags: 0x18, wireLength: request.length, payload: i % 4 === 3 ? Buffer.alloc(0) : request, nodeTimestampNs: i % 3 === 0 ? 1763890000123456000n + BigInt(i) : null,
  }));
  const small: SegmentBatch = {
    flowId: '0123456789abcdef', node: 'node-1', interfaceName: 'veth1a2b3c', ifindex: 7, transport: 'TCP',
    client: { address: '10.0.0.1', port: 40000 }, server: { address: 'fd00::2', port: 8080 }, podRole: 'SERVER',
    pod: { service: 'backend', namespace: 'default', name: 'backend-0', node: 'node-1' }, protocolHint: 'http', segments, lostEventsBefore: 0,
    nodeInterfaceName: 'eth0', tcpEvents: [], intHops: [],
  };
  // 2 MiB of payload: past the codec's scratch buffer and its kept limit (1 MiB)
  const big: SegmentBatch = { ...small, segments: segments.map((s) => ({ ...s, payload: Buffer.alloc(32 * 1024, 7) })) };
  for (const batch of [small, big, small]) {
    assert.ok(codec.encode(batch).equals(reference.encode(batch)));
  }
});

test('invalid values: the writer declines and the codec names the field as before', () => {
  const codec = codecs().segments;
  const reference = generic();
  const base = randomBatch(rng(3));
  const seg: Segment = { timestampNs: 1n, fromClient: true, seq: 1, ack: 1, flags: 0, wireLength: 0, payload: Buffer.alloc(0) };
  const bad: unknown[] = [
    { ...base, ifindex: 1.5 }, { ...base, ifindex: 2 ** 31 }, { ...base, transport: 'SCTP' },
    { ...base, client: { address: 7, port: 1 } }, { ...base, client: null }, { ...base, pod: [] }, { ...base, pod: { service: 3 } },
    { ...base, protocolHint: 5 }, { ...base, segments: null }, { ...base, segments: [{ ...seg, timestampNs: 'now' }] },
    { ...base, segments: [{ ...seg, seq: 2 ** 64 }] }, { ...base, segments: [{ ...seg, seq: 2n ** 63n }] }, { ...base, segments: [{ ...seg, ack: 0.5 }] },
    { ...base, segments: [{ ...seg, payload: 'GET' }] }, { ...base, segments: [{ ...seg, payload: new Uint8Array(2) }] },
    { ...base, segments: [{ ...seg, fromClient: 1 }] }, { ...base, segments: [{ ...seg, nodeTimestampNs: 'x' }] }, { ...base, segments: [null] },
    { ...base, lostEventsBefore: null }, { ...base, tcpEvents: null }, { ...base, intHops: {} },
    { ...base, tcpEvents: [{ timestampNs: 1n, kind: 'CLOSED', fromClient: true, oldState: null, newState: 'X', seq: 0 }] },
    { ...base, intHops: [{ ingressIfindex: 1, egressIfindex: 2, ingressTimeNs: 1n, egressTimeNs: -(2n ** 63n) - 1n, fromClient: true }] },
    { ...base, flowId: undefined },
  ];
  for (const [i, record] of bad.entries()) {
    assert.equal(segmentBatchWriter.write(record as SegmentBatch, Buffer.alloc(1 << 21), 10), null, `case ${i}: the writer declines`);
    const expected = catchError(() => reference.encode(record as SegmentBatch));
    const got = catchError(() => codec.encode(record as SegmentBatch));
    assert.ok(got instanceof DecodeError && got.code === 'AVRO_INVALID_RECORD', `case ${i}: ${String(got)}`);
    assert.equal(got.message, (expected as Error).message, `case ${i}`);
  }
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
