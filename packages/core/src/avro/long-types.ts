import avro from 'avsc';
import { zigzagVarint, zigzagVarintValue } from './varint.js';

// Avro longs decode to a JS number when it is exact and to a bigint beyond 2^53, and accept
// either on encode. Epoch-nanosecond timestamps (logicalType timestamp-nanos, Avro 1.12) always
// decode to bigint, so record types say `bigint` for every time and `number` for counts.
// Both types hand avsc the encoded bytes (noUnpack): avsc's own route (an 8-byte two's
// complement buffer per long, then re-packed) was a fifth of a replay's encoding time.

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_LONG = -(2n ** 63n);
const MAX_LONG = 2n ** 63n;

function isLong(value: unknown): boolean {
  return (typeof value === 'bigint' && value >= MIN_LONG && value < MAX_LONG) || Number.isSafeInteger(value);
}

const compare = (a: number | bigint, b: number | bigint) => (a === b ? 0 : a < b ? -1 : 1);

function exactLongType(): avro.types.LongType {
  return avro.types.LongType.__with({
    fromBuffer: (buf: Buffer) => {
      const value = zigzagVarintValue(buf);
      return typeof value === 'number' || value > MAX_SAFE || value < -MAX_SAFE ? value : Number(value);
    },
    toBuffer: zigzagVarint,
    fromJSON: (value: number | string) => (typeof value === 'string' ? BigInt(value) : value),
    toJSON: (value: number | bigint) => (typeof value === 'bigint' ? value.toString() : value),
    isValid: isLong,
    compare,
  }, true);
}

function bigintLongType(): avro.types.LongType {
  return avro.types.LongType.__with({
    fromBuffer: (buf: Buffer) => BigInt(zigzagVarintValue(buf)),
    toBuffer: zigzagVarint,
    fromJSON: (value: number | string) => BigInt(value),
    toJSON: (value: bigint) => value.toString(),
    isValid: isLong,
    compare,
  }, true);
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
