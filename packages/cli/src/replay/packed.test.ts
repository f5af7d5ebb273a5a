import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pack, unpack } from './packed.js';

test('pack/unpack: the same byte strings back, empty ones included, from views into bigger buffers', () => {
  const big = Buffer.from('0123456789abcdef');
  const values = [big.subarray(2, 5), Buffer.alloc(0), Buffer.from('xyz'), big.subarray(10)];
  const packed = pack(values);
  assert.equal(packed.bytes.byteLength, 3 + 0 + 3 + 6, 'only the bytes of each view are copied');
  assert.deepEqual(unpack(packed).map((b) => b.toString()), ['234', '', 'xyz', 'abcdef']);
  assert.deepEqual(unpack(pack([])), []);
});
