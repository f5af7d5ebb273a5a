import avro from 'avsc';

// Avro longs decode to a JS number when it is exact and to a bigint beyond 2^53, and accept
// either on encode. Epoch-nanosecond timestamps (logicalType timestamp-nanos, Avro 1.12) always
// decode to bigint, so record types say `bigint` for every time and `number` for counts.

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_LONG = -(2n ** 63n);
const MAX_LONG = 2n ** 63n;

function isLong(value: unknown): boolean {
  return (typeof value === 'bigint' && value >= MIN_LONG && value < MAX_LONG) || Number.isSafeInteger(value);
}

/**
 * avsc packs the returned 8 bytes into the output at once (and may invert them in place), so one
 * scratch buffer serves every write: a fresh buffer and a BigInt per long were ~15% of the capture
 * agent's CPU (a segment batch has a timestamp and several longs per segment).
 */
const scratch = Buffer.alloc(8);

function toBuffer(value: number | bigint): Buffer {
  if (typeof value === 'bigint') {
    scratch.writeBigInt64LE(value);
  } else {
    // a safe integer: low 32 bits (ToUint32 is exact modulo 2^32) and the signed high part
    scratch.writeUInt32LE(value >>> 0, 0);
    scratch.writeInt32LE(Math.floor(value / 4294967296), 4);
  }
  return scratch;
}

const compare = (a: number | bigint, b: number | bigint) => (a === b ? 0 : a < b ? -1 : 1);

function exactLongType(): avro.types.LongType {
  return avro.types.LongType.__with({
    fromBuffer: (buf: Buffer) => {
      const value = buf.readBigInt64LE();
      return value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : value;
    },
    toBuffer,
    fromJSON: (value: number | string) => (typeof value === 'string' ? BigInt(value) : value),
    toJSON: (value: number | bigint) => (typeof value === 'bigint' ? value.toString() : value),
    isValid: isLong,
    compare,
  });
}

function bigintLongType(): avro.types.LongType {
  return avro.types.LongType.__with({
    fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
    toBuffer,
    fromJSON: (value: number | string) => BigInt(value),
    toJSON: (value: bigint) => value.toString(),
    isValid: isLong,
    compare,
  });
}

function isTimestampNanos(schema: avro.Schema): boolean {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return false;
  const s = schema as { type?: unknown; logicalType?: unknown };
  return s.type === 'long' && s.logicalType === 'timestamp-nanos';
}

/** Options for Type.forSchema; fresh each call because avsc adds named types to the registry. */
export function typeOptions(): Partial<avro.ForSchemaOptions> {
  return {
    registry: { long: exactLongType() },
    typeHook: (schema) => (isTimestampNanos(schema) ? bigintLongType() : undefined),
  };
}
