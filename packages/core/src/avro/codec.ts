import avro from 'avsc';
import { DecodeError } from '../errors.js';
import { crc64Avro, fingerprintBytes } from './crc64-avro.js';
import { typeOptions } from './long-types.js';

// Avro framing of Kafka values.
//   single-object encoding: C3 01 | CRC-64-AVRO fingerprint (8 bytes, little-endian) | body
//   Confluent wire format:  00 | schema id (4 bytes, big-endian) | body   (needs a registry)
// Writers use single-object encoding; readers resolve any writer schema they know (the current
// one and older versions) into the reader schema, so records written before a compatible change
// stay readable.

// avsc encodes into one shared 1 KiB buffer and, when a value does not fit, encodes it a second
// time into a buffer of the right size. Spans (~1.3 KiB) and segment batches (up to 256 KiB) do
// not fit: a 1 MiB shared buffer halves the cost of encoding them.
(avro.Type as unknown as { __reset(size: number): void }).__reset(1024 * 1024);

const SINGLE_OBJECT_MAGIC = Buffer.from([0xc3, 0x01]);
const CONFLUENT_MAGIC = 0x00;

export interface WriterSchema {
  type: avro.Type;
  fingerprint: bigint;
}

export function parseSchema(schema: avro.Schema): WriterSchema {
  const type = avro.Type.forSchema(schema, typeOptions());
  const canonical = JSON.stringify(type.schema());
  return { type, fingerprint: crc64Avro(Buffer.from(canonical, 'utf8')) };
}

export class RecordCodec<T> {
  readonly name: string;
  private readonly reader: WriterSchema;
  private readonly header: Buffer;
  private readonly writers = new Map<bigint, WriterSchema>();
  private readonly resolvers = new Map<bigint, avro.Resolver>();

  /** `olderSchemas` are previous versions this reader must still read. */
  constructor(schema: avro.Schema, olderSchemas: avro.Schema[] = []) {
    this.reader = parseSchema(schema);
    this.name = (this.reader.type as unknown as { name?: string }).name ?? 'record';
    this.header = Buffer.concat([SINGLE_OBJECT_MAGIC, fingerprintBytes(this.reader.fingerprint)]);
    this.writers.set(this.reader.fingerprint, this.reader);
    for (const older of olderSchemas) {
      const writer = parseSchema(older);
      this.writers.set(writer.fingerprint, writer);
    }
  }

  get fingerprint(): bigint {
    return this.reader.fingerprint;
  }

  encode(record: T): Buffer {
    const errors: string[] = [];
    const valid = this.reader.type.isValid(record, {
      errorHook: (path: string[]) => errors.push(path.join('.') || '(root)'),
    });
    if (!valid) {
      throw new DecodeError('AVRO_INVALID_RECORD', `${this.name}: invalid value at ${errors.join(', ')}`);
    }
    return Buffer.concat([this.header, this.reader.type.toBuffer(record)]);
  }

  decode(value: Buffer | null): T {
    if (value === null || value.length === 0) {
      throw new DecodeError('AVRO_EMPTY', `${this.name}: empty record value`);
    }
    if (value[0] === CONFLUENT_MAGIC) {
      throw new DecodeError(
        'AVRO_CONFLUENT_WITHOUT_REGISTRY',
        `${this.name}: value is in Confluent wire format (schema id ${value.length >= 5 ? value.readUInt32BE(1) : '?'}) but no schema registry is configured`,
      );
    }
    if (value.length < 10 || value[0] !== 0xc3 || value[1] !== 0x01) {
      throw new DecodeError('AVRO_BAD_MAGIC', `${this.name}: value is not Avro single-object encoded (no C3 01 header)`);
    }
    const fingerprint = value.readBigUInt64LE(2);
    const body = value.subarray(10);
    try {
      if (fingerprint === this.reader.fingerprint) return this.reader.type.fromBuffer(body) as T;
      const resolver = this.resolverFor(fingerprint);
      return this.reader.type.fromBuffer(body, resolver) as T;
    } catch (err) {
      if (err instanceof DecodeError) throw err;
      throw new DecodeError('AVRO_CORRUPT', `${this.name}: cannot decode body: ${(err as Error).message}`, { cause: err });
    }
  }

  private resolverFor(fingerprint: bigint): avro.Resolver {
    let resolver = this.resolvers.get(fingerprint);
    if (resolver) return resolver;
    const writer = this.writers.get(fingerprint);
    if (!writer) {
      throw new DecodeError(
        'AVRO_UNKNOWN_SCHEMA',
        `${this.name}: written with an unknown schema (fingerprint ${fingerprint.toString(16).padStart(16, '0')}); upgrade this reader or add the schema to schemas/`,
      );
    }
    resolver = this.reader.type.createResolver(writer.type);
    this.resolvers.set(fingerprint, resolver);
    return resolver;
  }
}
