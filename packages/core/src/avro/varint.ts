// Avro's long encoding, zigzag then base-128 varint (least significant group first), for the
// long types of long-types.ts and the hand-written SegmentBatch writer: numbers with integer or
// plain float arithmetic while exact, bigints through two 32-bit halves, so a long costs no
// 8-byte buffer and no BigInt for small values.

/** |value| below this: zigzag (2|value| at most) stays an exact double */
const FLOAT_EXACT = 2 ** 52;
const scratch = Buffer.alloc(10);
const MIN_LONG = -(2n ** 63n);
const MAX_LONG = 2n ** 63n;
const halves64 = new BigInt64Array(1);
const halves32 = new Uint32Array(halves64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LOW = LITTLE_ENDIAN ? 0 : 1;
const HIGH = 1 - LOW;

/** The encoded bytes of a long. A view of a buffer reused by the next call: avsc copies it at once. */
export function zigzagVarint(value: number | bigint): Buffer {
  return scratch.subarray(0, writeZigzagLong(scratch, 0, value));
}

/**
 * Writes a long (a safe-integer number, or a bigint in the signed 64-bit range) at `pos` of
 * `out` (10 bytes at most): the position after it, or -1 for any other value (nothing written).
 */
export function writeZigzagLong(out: Uint8Array, pos: number, value: number | bigint): number {
  if (typeof value === 'number') {
    if (value >= -0x40000000 && value < 0x40000000 && value === (value | 0)) {
      // the zigzag fits 31 bits: integer arithmetic
      let m = value >= 0 ? value << 1 : (~value << 1) | 1;
      while (m >= 128) {
        out[pos++] = (m & 0x7f) | 0x80;
        m >>>= 7;
      }
      out[pos++] = m;
      return pos;
    }
    if (!(value > -FLOAT_EXACT && value < FLOAT_EXACT)) {
      return Number.isSafeInteger(value) ? writeZigzagLong(out, pos, BigInt(value)) : -1;
    }
    if (value % 1 !== 0) return -1;
    let f = value >= 0 ? value * 2 : -value * 2 - 1;
    while (f >= 128) {
      out[pos++] = (f % 128) | 0x80;
      f = Math.floor(f / 128);
    }
    out[pos++] = f;
    return pos;
  }
  if (typeof value !== 'bigint' || value < MIN_LONG || value >= MAX_LONG) return -1;
  // the two 32-bit halves of the two's complement through a typed array: no BigInt arithmetic
  // (each BigInt operation allocates; they were most of a segment's encoding time)
  halves64[0] = value;
  const lo = halves32[LOW]!;
  const hi = halves32[HIGH]! | 0;
  const sign = hi >> 31; // 0 or -1: zigzag = (v << 1) ^ (v >> 63)
  let zhi = (((hi << 1) | (lo >>> 31)) ^ sign) >>> 0;
  let zlo = ((lo << 1) ^ sign) >>> 0;
  while (zhi !== 0 || zlo >= 128) {
    out[pos++] = (zlo & 0x7f) | 0x80;
    zlo = ((zlo >>> 7) | ((zhi & 0x7f) << 25)) >>> 0;
    zhi >>>= 7;
  }
  out[pos++] = zlo;
  return pos;
}

/** The long that `bytes` (one whole varint) encode: a number up to 7 bytes (|value| < 2^48), else a bigint. */
export function zigzagVarintValue(bytes: Uint8Array): number | bigint {
  if (bytes.length <= 7) {
    let f = 0;
    let scale = 1;
    for (let i = 0; i < bytes.length; i++) {
      f += (bytes[i]! & 0x7f) * scale;
      scale *= 128;
    }
    return f % 2 === 0 ? f / 2 : -(f + 1) / 2;
  }
  let z = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) z = (z << 7n) | BigInt(bytes[i]! & 0x7f);
  z = BigInt.asUintN(64, z);
  return (z >> 1n) ^ -(z & 1n);
}
