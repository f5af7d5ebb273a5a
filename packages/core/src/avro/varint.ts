// Avro's long encoding, zigzag then base-128 varint (least significant group first), for the
// long types of long-types.ts: numbers with plain float arithmetic while exact, bigints
// through two 32-bit halves, so a long costs no 8-byte buffer and no BigInt for small values.

/** |value| below this: zigzag (2|value| at most) stays an exact double */
const FLOAT_EXACT = 2 ** 52;
const scratch = Buffer.alloc(10);

/** The encoded bytes of a long. A view of a buffer reused by the next call: avsc copies it at once. */
export function zigzagVarint(value: number | bigint): Buffer {
  let n = 0;
  if (typeof value === 'number' && value > -FLOAT_EXACT && value < FLOAT_EXACT) {
    let f = value >= 0 ? value * 2 : -value * 2 - 1;
    while (f >= 128) {
      scratch[n++] = (f % 128) | 0x80;
      f = Math.floor(f / 128);
    }
    scratch[n++] = f;
    return scratch.subarray(0, n);
  }
  const v = BigInt(value);
  const z = BigInt.asUintN(64, v >= 0n ? v << 1n : ((-v) << 1n) - 1n);
  let lo = Number(z & 0xffffffffn);
  let hi = Number(z >> 32n);
  while (hi > 0 || lo >= 128) {
    scratch[n++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | ((hi & 0x7f) << 25)) >>> 0;
    hi >>>= 7;
  }
  scratch[n++] = lo;
  return scratch.subarray(0, n);
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
