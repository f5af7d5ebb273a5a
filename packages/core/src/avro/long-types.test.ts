import test from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import { typeOptions } from './long-types.js';

// The long types write through one shared scratch buffer: every value must still encode to the
// same bytes as avsc's own long, and consecutive writes in one record must not disturb each other.
const ours = avro.Type.forSchema({ type: 'record', name: 'L', fields: [
  { name: 'a', type: 'long' },
  { name: 'b', type: 'long' },
  { name: 't', type: { type: 'long', logicalType: 'timestamp-nanos' } },
] }, typeOptions());
const plain = avro.Type.forSchema({ type: 'record', name: 'L', fields: [{ name: 'a', type: 'long' }, { name: 'b', type: 'long' }] });

test('longs encode to the same bytes as plain avsc longs, negative and beyond 2^32 included', () => {
  const values = [0, 1, -1, 63, 64, -64, -65, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, 2 ** 32 + 5, -(2 ** 32) - 7, 2 ** 50 + 1, -(2 ** 50) - 1];
  for (const a of values) {
    const b = a > 0 ? 3 - a : -a - 3;
    const mine = ours.toBuffer({ a, b, t: 0n });
    const theirs = plain.toBuffer({ a, b });
    assert.deepEqual(mine.subarray(0, theirs.length), theirs, `a=${a}`);
    assert.deepEqual({ ...ours.fromBuffer(mine) }, { a, b, t: 0n });
  }
});

test('bigint longs and the largest safe numbers round-trip', () => {
  for (const t of [0n, -1n, 1_763_900_000_123_456_789n, 2n ** 63n - 1n, -(2n ** 63n)]) {
    const back = { ...ours.fromBuffer(ours.toBuffer({ a: -Number.MAX_SAFE_INTEGER, b: Number.MAX_SAFE_INTEGER, t })) };
    assert.deepEqual(back, { a: -Number.MAX_SAFE_INTEGER, b: Number.MAX_SAFE_INTEGER, t });
  }
});
