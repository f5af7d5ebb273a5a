import avro from 'avsc';
import { DecodeError } from '../errors.js';
import { crc64Avro, fingerprintBytes } from './crc64-avro.js';
import { typeOptions } from './long-types.js';

// Avro framing of Kafka values.
//   single-object encoding: C3 01 | CRC-64-AVRO fingerprint (8 bytes, little-endian) | body
//   Confluent wire format:  00 | schema id (4 bytes, big-endian) | body   (needs a registry)
// Writers use single-object encoding, or the Confluent format once a registry gave them an id
// (registry-mode.ts). Readers accept both: they resolve any writer schema they know (the current
// one, older versions, schemas the registry sent) into the reader schema, so records written
// before a compatible change stay readable.

const SINGLE_OBJECT_MAGIC = Buffer.from([0xc3, 0x01]);
const CONFLUENT_MAGIC = 0x00;
/** a larger record gets a buffer of its own instead of keeping one this big per codec */
const MAX_KEPT_SCRATCH_BYTES = 1024 * 1024;

export interface WriterSchema {
  type: avro.Type;
  fingerprint: bigint;
}

/** 00 | id (u32 BE) | body: the Confluent Schema Registry wire format. */
export function confluentFrame(id: number, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = CONFLUENT_MAGIC;
  head.writeUInt32BE(id, 1);
  return Buffer.concat([head, body]);
}

/** The registry schema id of a Confluent-framed value, or null for anything else. */
export function confluentSchemaId(value: Buffer | null): number | null {
  return value !== null && value.length >= 5 && value[0] === CONFLUENT_MAGIC ? value.readUInt32BE(1) : null;
}

/**
 * A hand-written writer of one schema's record bodies, byte for byte what avsc writes (see
 * segment-batch-writer.ts). write() returns the end, a negative number when `out` is too small
 * (as avsc's Type.encode: out.length - result bytes are enough), or null for a value it does
 * not write (the generic writer then writes it, or explains why it is invalid).
 */
export interface RecordBodyWriter<T> {
  /** the CRC-64-AVRO fingerprint of the schema it was written for */
  readonly fingerprint: bigint;
  write(record: T, out: Buffer, pos: number): number | null;
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
  /** known writers that cannot be resolved: the error, built once */
  private readonly incompatible = new Map<bigint, DecodeError>();
  /** registry schema id → fingerprint of that schema (its writer is in `writers`) */
  private readonly registryIds = new Map<number, bigint>();
  /** ids this codec cannot read (the registry lacks them, or they are another record type): why */
  private readonly unusableIds = new Map<number, string>();
  private registry: { url: string; writeId: number | null } | null = null;
  private bodyWriter: RecordBodyWriter<T> | null = null;
  /** encode()'s output buffer, grown to the largest record (up to MAX_KEPT_SCRATCH_BYTES) */
  private scratch = Buffer.allocUnsafe(16 * 1024);

  /** `olderSchemas` are previous versions this reader must still read. */
  constructor(readonly schema: avro.Schema, olderSchemas: avro.Schema[] = []) {
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

  /** This codec's record type's full name, e.g. io.clovisor.v1.Transaction. */
  get schemaName(): string {
    return this.name;
  }

  /**
   * Writes bodies with `writer` instead of avsc's generic writers, when it was written for this
   * codec's schema (same fingerprint); else keeps the generic ones. Returns whether it is used.
   */
  useBodyWriter(writer: RecordBodyWriter<T>): boolean {
    this.bodyWriter = writer.fingerprint === this.reader.fingerprint ? writer : null;
    return this.bodyWriter !== null;
  }

  get usesBodyWriter(): boolean {
    return this.bodyWriter !== null;
  }

  /** Registry mode: read Confluent-framed values (schemas loaded with addRegistrySchema); write them with `writeId` when given. */
  useRegistry(url: string, writeId: number | null): void {
    this.registry = { url, writeId };
  }

  /** The registry's schema `id` (fetched by the caller): a writer this codec now reads. */
  addRegistrySchema(id: number, schema: avro.Schema): void {
    const writer = parseSchema(schema);
    if (!this.writers.has(writer.fingerprint)) this.writers.set(writer.fingerprint, writer);
    this.registryIds.set(id, writer.fingerprint);
  }

  /** The registry's schema `id` is of no use to this codec, for `reason`. */
  markRegistryIdUnusable(id: number, reason: string): void {
    this.unusableIds.set(id, reason);
  }

  hasRegistrySchema(id: number): boolean {
    return this.registryIds.has(id) || this.unusableIds.has(id);
  }

  encode(record: T): Buffer {
    const id = this.registry?.writeId ?? null;
    let out = this.scratch;
    const headLength = id === null ? this.header.length : 5;
    let end = this.writeBody(record, out, headLength);
    if (end < 0) {
      const needed = out.length - end;
      out = Buffer.allocUnsafe(Math.max(needed, 2 * out.length));
      if (out.length <= MAX_KEPT_SCRATCH_BYTES) this.scratch = out;
      end = this.writeBody(record, out, headLength);
    }
    if (id === null) {
      this.header.copy(out, 0);
    } else {
      out[0] = CONFLUENT_MAGIC;
      out.writeUInt32BE(id, 1);
    }
    return Buffer.from(out.subarray(0, end)); // a copy: `out` is reused by the next encode
  }

  private writeBody(record: T, out: Buffer, pos: number): number {
    if (this.bodyWriter !== null) {
      const end = this.bodyWriter.write(record, out, pos);
      if (end !== null) return end;
    }
    try {
      // avsc's writers check every value they write, so a separate isValid() pass first would
      // walk each record twice (measured ~5% of the capture agent's CPU); it runs only to
      // explain a failure. Type.encode into our own buffer, not toBuffer(): toBuffer's shared
      // buffer is 1 KiB, and a larger record (most segment batches) is written twice.
      return this.reader.type.encode(record, out, pos);
    } catch (err) {
      const errors: string[] = [];
      const valid = this.reader.type.isValid(record, {
        errorHook: (path: string[]) => errors.push(path.join('.') || '(root)'),
      });
      if (valid) throw err;
      throw new DecodeError('AVRO_INVALID_RECORD', `${this.name}: invalid value at ${errors.join(', ')}`, { cause: err });
    }
  }

  decode(value: Buffer | null): T {
    if (value === null || value.length === 0) {
      throw new DecodeError('AVRO_EMPTY', `${this.name}: empty record value`);
    }
    let fingerprint: bigint;
    let body: Buffer;
    if (value[0] === CONFLUENT_MAGIC) {
      const id = value.length >= 5 ? value.readUInt32BE(1) : -1;
      const known = this.registryIds.get(id);
      if (known === undefined) throw this.unknownRegistryId(id);
      fingerprint = known;
      body = value.subarray(5);
    } else {
      if (value.length < 10 || value[0] !== 0xc3 || value[1] !== 0x01) {
        throw new DecodeError('AVRO_BAD_MAGIC', `${this.name}: value is neither Avro single-object encoded (C3 01) nor in Confluent wire format (00)`);
      }
      fingerprint = value.readBigUInt64LE(2);
      body = value.subarray(10);
    }
    try {
      if (fingerprint === this.reader.fingerprint) return this.reader.type.fromBuffer(body) as T;
      const resolver = this.resolverFor(fingerprint);
      return this.reader.type.fromBuffer(body, resolver) as T;
    } catch (err) {
      if (err instanceof DecodeError) throw err;
      throw new DecodeError('AVRO_CORRUPT', `${this.name}: cannot decode body: ${(err as Error).message}`, { cause: err });
    }
  }

  private unknownRegistryId(id: number): DecodeError {
    if (this.registry === null) {
      return new DecodeError(
        'AVRO_CONFLUENT_WITHOUT_REGISTRY',
        `${this.name}: value is in Confluent wire format (schema id ${id < 0 ? '?' : id}) but no schema registry is configured; give --schema-registry <url> (CLOVISOR_SCHEMA_REGISTRY)`,
      );
    }
    const unusable = this.unusableIds.get(id);
    if (unusable !== undefined) return new DecodeError('AVRO_UNKNOWN_SCHEMA_ID', `${this.name}: schema id ${id} ${unusable}`);
    // the shell loads the ids of a batch before decoding it (loadRegistrySchemas)
    return new DecodeError('AVRO_SCHEMA_ID_NOT_LOADED', `${this.name}: schema id ${id} was not fetched from ${this.registry.url} before decoding`);
  }

  private resolverFor(fingerprint: bigint): avro.Resolver {
    let resolver = this.resolvers.get(fingerprint);
    if (resolver) return resolver;
    const known = this.incompatible.get(fingerprint);
    if (known) throw known;
    const writer = this.writers.get(fingerprint);
    if (!writer) {
      throw new DecodeError(
        'AVRO_UNKNOWN_SCHEMA',
        `${this.name}: written with an unknown schema (fingerprint ${fingerprint.toString(16).padStart(16, '0')}); upgrade this reader or add the schema to schemas/`,
      );
    }
    try {
      resolver = this.reader.type.createResolver(writer.type);
    } catch (err) {
      // a known writer whose change was not compatible (e.g. a field's type changed, a field
      // without default added): no record of it can be read, say so once per record
      const error = new DecodeError(
        'AVRO_INCOMPATIBLE_SCHEMA',
        `${this.name}: written with schema ${fingerprint.toString(16).padStart(16, '0')}, which this reader's schema cannot resolve (${(err as Error).message}); read it with the writer's own schema version`,
        { cause: err },
      );
      this.incompatible.set(fingerprint, error);
      throw error;
    }
    this.resolvers.set(fingerprint, resolver);
    return resolver;
  }
}
