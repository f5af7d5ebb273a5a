import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import { zigzagVarint, zigzagVarintValue } from './varint.js';
import { typeOptions } from './long-types.js';

// The reference: avsc packing an 8-byte two's complement long (how the long types encoded
// before they wrote the varint themselves); the bytes must not change.
const reference = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (value: number | bigint) => { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(value)); return b; },
  fromJSON: BigInt, toJSON: String, isValid: () => true, compare: () => 0,
});

function samples(): Array<number | bigint> {
  const out: Array<number | bigint> = [];
  for (let bits = 0; bits <= 63; bits++) {
    const p = 2n ** BigInt(bits);
    for (const v of [p - 1n, p, p + 1n, -p, -p + 1n, -p - 1n]) if (v >= -(2n ** 63n) && v < 2n ** 63n) out.push(v);
  }
  let x = 0x9e3779b97f4a7c15n;
  for (let i = 0; i < 2000; i++) {
    x = BigInt.asUintN(64, x * 6364136223846793005n + 1442695040888963407n);
    out.push(BigInt.asIntN(64, x >> BigInt(i % 64)));
  }
  const numbers = out.filter((v) => v >= -BigInt(Number.MAX_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)).map(Number);
  return [...out, ...numbers, 0, -0];
}

test('zigzag varint bytes equal avsc\'s packed long for every magnitude, and read back exactly', () => {
  for (const v of samples()) {
    const expected = reference.toBuffer(v);
    const got = Buffer.from(zigzagVarint(v));
    assert.deepEqual(got, expected, `bytes of ${v}`);
    assert.equal(BigInt(zigzagVarintValue(got)), BigInt(v), `value of ${v}`);
  }
});

test('the long types: numbers while exact, bigints beyond and for timestamp-nanos', () => {
  const type = avro.Type.forSchema({
    type: 'record', name: 'L', fields: [
      { name: 'count', type: 'long' },
      { name: 'atNs', type: { type: 'long', logicalType: 'timestamp-nanos' } },
      { name: 'maybe', type: ['null', 'long'] },
    ],
  }, typeOptions());
  const plain = avro.Type.forSchema({ type: 'record', name: 'L', fields: [{ name: 'count', type: 'long' }, { name: 'atNs', type: 'long' }, { name: 'maybe', type: ['null', 'long'] }] });
  for (const [count, atNs, maybe] of [[5, 1763890000123456789n, null], [-1, 0n, 2 ** 40], [2 ** 51, -5n, -(2 ** 50)]] as const) {
    const bytes = type.toBuffer({ count, atNs, maybe });
    const back = type.fromBuffer(bytes) as { count: unknown; atNs: unknown; maybe: unknown };
    assert.deepEqual({ ...back }, { count, atNs, maybe });
    // readable by any Avro long reader (exact below 2^53)
    if (atNs < 2n ** 53n && atNs > -(2n ** 53n)) assert.deepEqual({ ...(plain.fromBuffer(bytes) as object) }, { count, atNs: Number(atNs), maybe });
  }
  const big = type.fromBuffer(type.toBuffer({ count: 2n ** 62n, atNs: 1n, maybe: -(2n ** 63n) })) as { count: unknown; maybe: unknown };
  assert.equal(big.count, 2n ** 62n);
  assert.equal(big.maybe, -(2n ** 63n));
  assert.throws(() => type.toBuffer({ count: 2n ** 63n, atNs: 1n, maybe: null }));
});
