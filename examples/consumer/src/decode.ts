// Decoding Clovisor's Kafka values with avsc alone: everything a consumer needs is the .avsc
// files of schemas/ (docs/topics.md).
//   Avro single-object encoding: C3 01 | CRC-64-AVRO fingerprint of the writer schema (8 bytes, LE) | body
//   Confluent wire format:       00 | schema id in the registry (4 bytes, BE) | body
// The writer schema is found by fingerprint among the schemas (current and schemas/history/), or
// fetched from the registry by id, and resolved into the reader schema: records written by an
// older Clovisor read as the current version, added fields taking their defaults.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';

/** Epoch-nanosecond times exceed 2^53: every Avro long decodes to a bigint here. */
const BigLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (v: number | string) => BigInt(v),
  toJSON: (n: bigint) => n.toString(),
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

const isLong = (schema: avro.Schema): boolean => schema === 'long' || (typeof schema === 'object' && (schema as { type?: unknown }).type === 'long');
// typeHook also catches {"type": "long", "logicalType": "timestamp-nanos"}, which avsc would otherwise build its own long for
const parse = (schema: avro.Schema): avro.Type => avro.Type.forSchema(schema, { typeHook: (s) => (isLong(s) ? BigLong : undefined) });

/** CRC-64-AVRO (Rabin), the fingerprint of single-object encoding, over the Parsing Canonical Form. */
const EMPTY = 0xc15d213aa4d7a795n;
const TABLE = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n) & 0xffffffffffffffffn);
  return fp;
});
export function fingerprint(type: avro.Type): bigint {
  let fp = EMPTY;
  // avsc's schema() without attributes is the Parsing Canonical Form
  for (const b of Buffer.from(JSON.stringify(type.schema()), 'utf8')) fp = (fp >> 8n) ^ TABLE[Number((fp ^ BigInt(b)) & 0xffn)]!;
  return fp;
}

/** The record type a topic carries: clovisor.spans.v1[.suffix] → span.v1.avsc, ... */
const SCHEMA_OF_TOPIC: Record<string, string> = {
  'clovisor.segments.v1': 'segment-batch.v1',
  'clovisor.transactions.v1': 'transaction.v1',
  'clovisor.spans.v1': 'span.v1',
  'clovisor.deadletter.v1': 'deadletter.v1',
};

export function schemaNameOf(topic: string): string {
  const base = Object.keys(SCHEMA_OF_TOPIC).find((t) => topic === t || topic.startsWith(`${t}.`));
  if (base === undefined) throw new Error(`${topic}: not a Clovisor topic with an Avro schema (${Object.keys(SCHEMA_OF_TOPIC).join(', ')}, or one of them with a suffix)`);
  return SCHEMA_OF_TOPIC[base]!;
}

export interface Decoded {
  record: unknown;
  /** which schema wrote it: "fingerprint <16 hex>" or "registry id <n>" */
  writer: string;
}

export class TopicDecoder {
  private readonly reader: avro.Type;
  private readonly readerFingerprint: bigint;
  private readonly byFingerprint = new Map<bigint, avro.Type>();
  private readonly byRegistryId = new Map<number, avro.Type>();
  private readonly resolvers = new Map<avro.Type, avro.Resolver>();

  /** schemasDir: the repository's schemas/ folder; registryUrl: for Confluent-framed values. */
  constructor(schemasDir: string, schemaName: string, private readonly registryUrl: string | null = null) {
    this.reader = parse(JSON.parse(readFileSync(join(schemasDir, `${schemaName}.avsc`), 'utf8')) as avro.Schema);
    this.readerFingerprint = fingerprint(this.reader);
    this.byFingerprint.set(this.readerFingerprint, this.reader);
    const history = join(schemasDir, 'history');
    for (const file of existsSync(history) ? readdirSync(history) : []) {
      if (!file.startsWith(`${schemaName}.`) || !file.endsWith('.avsc')) continue;
      const older = parse(JSON.parse(readFileSync(join(history, file), 'utf8')) as avro.Schema);
      this.byFingerprint.set(fingerprint(older), older);
    }
  }

  async decode(value: Buffer | null): Promise<Decoded> {
    if (value === null || value.length < 5) throw new Error('empty or too short to be an Avro record');
    if (value[0] === 0xc3 && value[1] === 0x01 && value.length >= 10) {
      const fp = value.readBigUInt64LE(2);
      const writer = this.byFingerprint.get(fp);
      const name = `fingerprint ${fp.toString(16).padStart(16, '0')}`;
      if (writer === undefined) throw new Error(`written with an unknown schema (${name}): update schemas/`);
      return { record: this.read(writer, value.subarray(10)), writer: name };
    }
    if (value[0] === 0x00) {
      const id = value.readUInt32BE(1);
      return { record: this.read(await this.registrySchema(id), value.subarray(5)), writer: `registry id ${id}` };
    }
    throw new Error('neither Avro single-object encoding (C3 01) nor Confluent wire format (00)');
  }

  private read(writer: avro.Type, body: Buffer): unknown {
    if (writer === this.reader) return this.reader.fromBuffer(body);
    let resolver = this.resolvers.get(writer);
    if (resolver === undefined) {
      resolver = this.reader.createResolver(writer);
      this.resolvers.set(writer, resolver);
    }
    return this.reader.fromBuffer(body, resolver);
  }

  private async registrySchema(id: number): Promise<avro.Type> {
    const known = this.byRegistryId.get(id);
    if (known) return known;
    if (this.registryUrl === null) throw new Error(`Confluent wire format (schema id ${id}): give --schema-registry <url>`);
    const res = await fetch(`${this.registryUrl.replace(/\/$/, '')}/schemas/ids/${id}`);
    if (!res.ok) throw new Error(`schema registry: GET /schemas/ids/${id} answered ${res.status}`);
    const type = parse(JSON.parse(((await res.json()) as { schema: string }).schema) as avro.Schema);
    this.byRegistryId.set(id, type);
    return type;
  }
}

/** JSON with bigints as strings of digits and bytes as base64. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v !== null && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
      return Buffer.from((v as { data: number[] }).data).toString('base64');
    }
    return v;
  });
}
