// Registry mode's wire format against bytes computed by hand from Confluent's documentation
// (magic byte 0, then the schema id as 4 bytes in network byte order, then the Avro binary
// body), and the typed errors of the cases a registry leaves open. No registry runs here: the
// HTTP client is only checked against a port where nothing listens (the client against a real
// registry: packages/cli/src/e2e/schema-registry.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type avro from 'avsc';
import { RecordCodec, confluentFrame, confluentSchemaId } from './codec.js';
import { codecs } from './schemas.js';
import { SchemaRegistryClient, errorBody } from './registry.js';
import { ConfigError, DecodeError, UnavailableError } from '../errors.js';
import { intAttr, type SpanRecord } from '../records.js';

const V1: avro.Schema = { type: 'record', name: 'T', namespace: 'ex', fields: [{ name: 'f', type: 'string' }] };
const V2: avro.Schema = { type: 'record', name: 'T', namespace: 'ex', fields: [{ name: 'f', type: 'string' }, { name: 'n', type: 'int', default: 7 }] };
const isCode = (code: string) => (err: unknown) => err instanceof DecodeError && err.code === code;

test('encode in registry mode: 00 | id 257 big-endian | Avro body, byte for byte', () => {
  const codec = new RecordCodec<{ f: string }>(V1);
  codec.useRegistry('http://registry.invalid:8081', 257);
  // "hi": zigzag length 2 = 0x04, then 68 69
  assert.equal(codec.encode({ f: 'hi' }).toString('hex'), '00' + '00000101' + '046869');
  assert.equal(confluentFrame(0x01020304, Buffer.from([0xaa])).toString('hex'), '0001020304aa');
  assert.equal(confluentSchemaId(Buffer.from('00000001010468', 'hex')), 257);
  assert.equal(confluentSchemaId(Buffer.from('c301', 'hex')), null);
});

test('decode hand-written Confluent bytes once the registry schema of their id is loaded; resolution applies', () => {
  const reader = new RecordCodec<{ f: string; n: number }>(V2);
  reader.useRegistry('http://registry.invalid:8081', null);
  const written = Buffer.from('00' + '0000002a' + '046869', 'hex'); // id 42, written with V1
  assert.throws(() => reader.decode(written), isCode('AVRO_SCHEMA_ID_NOT_LOADED'));
  reader.addRegistrySchema(42, V1);
  assert.deepEqual({ ...reader.decode(written) }, { f: 'hi', n: 7 }, 'V1 writer resolved into the V2 reader, default filled');
  // single-object encoding stays readable in registry mode, on the same topic
  assert.deepEqual({ ...reader.decode(new RecordCodec<{ f: string }>(V1).encode({ f: 'so' }).subarray(0)) }, { f: 'so', n: 7 });
  reader.markRegistryIdUnusable(43, 'is not in the schema registry at http://registry.invalid:8081');
  assert.throws(() => reader.decode(Buffer.from('000000002b046869', 'hex')), (err: unknown) => isCode('AVRO_UNKNOWN_SCHEMA_ID')(err) && /43 is not in the schema registry/.test((err as Error).message));
  const incompatible: avro.Schema = { type: 'record', name: 'T', namespace: 'ex', fields: [{ name: 'f', type: 'boolean' }] };
  reader.addRegistrySchema(44, incompatible);
  assert.throws(() => reader.decode(Buffer.from('000000002c01', 'hex')), isCode('AVRO_INCOMPATIBLE_SCHEMA'));
});

test('without a registry a Confluent value is a typed error that names the flag', () => {
  const codec = new RecordCodec<{ f: string }>(V1);
  assert.throws(() => codec.decode(Buffer.from('0000000101046869', 'hex')), (err: unknown) => isCode('AVRO_CONFLUENT_WITHOUT_REGISTRY')(err) && /--schema-registry/.test((err as Error).message));
});

test('a real record type: the Confluent body is the single-object body, only the header differs', () => {
  const span: SpanRecord = {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', parentSpanId: null, traceState: null, traceFlags: 1,
    name: 'GET /x', kind: 'SERVER', startNs: 1763890000123456789n, endNs: 1763890000223456789n, status: 'OK', statusMessage: null,
    attributes: { 'http.response.status_code': intAttr(200) }, resource: { 'service.name': 'svc' }, transactionId: 'f:0',
  };
  const singleObject = codecs().spans.encode(span);
  const registry = new RecordCodec<SpanRecord>(codecs().spans.schema);
  registry.useRegistry('http://registry.invalid:8081', 0x0100);
  const confluent = registry.encode(span);
  assert.equal(confluent.subarray(0, 5).toString('hex'), '0000000100');
  assert.ok(confluent.subarray(5).equals(singleObject.subarray(10)));
  registry.addRegistrySchema(0x0100, codecs().spans.schema);
  assert.equal(registry.decode(confluent).endNs, 1763890000223456789n);
  assert.equal(registry.schemaName, 'io.clovisor.v1.Span');
});

test('registry client: a URL is checked, an unreachable registry is a retryable UnavailableError', async () => {
  assert.throws(() => new SchemaRegistryClient('registry:8081'), ConfigError);
  assert.throws(() => new SchemaRegistryClient('ftp://x'), ConfigError);
  // a port that was free a moment ago: nothing listens there
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = server.address() as { port: number };
      server.close(() => resolve(p));
    });
  });
  const client = new SchemaRegistryClient(`http://127.0.0.1:${port}/`, 2000);
  assert.equal(client.url, `http://127.0.0.1:${port}`);
  await assert.rejects(client.schemaById(1), (err: unknown) => err instanceof UnavailableError && err.code === 'SCHEMA_REGISTRY_UNREACHABLE' && err.retryable);
  await assert.rejects(client.register('clovisor.spans.v1-value', V1), (err: unknown) => err instanceof UnavailableError && /unreachable at http:\/\/127\.0\.0\.1/.test(err.message));
});

test('registry error bodies: the message of Confluent\'s {error_code, message}, else the start of the text', () => {
  assert.equal(errorBody('{"error_code":40403,"message":"Schema not found"}'), 'Schema not found (error 40403)');
  // Apicurio answers an incompatible schema with error_code 0
  assert.equal(errorBody('{"message":"Incompatible artifact: t-value [AVRO]","error_code":0}'), 'Incompatible artifact: t-value [AVRO]');
  assert.equal(errorBody('<html>502 Bad Gateway</html>'), '<html>502 Bad Gateway</html>');
  assert.equal(errorBody('x'.repeat(300)).length, 200);
});
