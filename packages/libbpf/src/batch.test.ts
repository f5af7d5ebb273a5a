import assert from 'node:assert/strict';
import { test } from 'node:test';
import { frameBatch, splitBatch } from './batch.js';
import { BpfError } from './errors.js';

test('frames are [u32 len][bytes][pad to 8] and split back into views', () => {
  const recs = [Buffer.from('abc'), Buffer.alloc(0), Buffer.from('12345678'), Buffer.from('x')];
  const batch = frameBatch(recs);
  // 4+3 -> 8, 4+0 -> 8, 4+8 -> 16, 4+1 -> 8
  assert.equal(batch.length, 40);
  assert.deepEqual([...batch.subarray(0, 8)], [3, 0, 0, 0, 0x61, 0x62, 0x63, 0]);
  assert.equal(batch.readUInt32LE(8), 0);
  assert.equal(batch.readUInt32LE(16), 8);
  const out = splitBatch(batch);
  assert.deepEqual(out, recs);
  assert.equal(out[0]!.buffer, batch.buffer, 'views, not copies');
  assert.deepEqual(splitBatch(Buffer.alloc(0)), []);
});

test('a frame running past the end is refused', () => {
  const batch = frameBatch([Buffer.from('hello world')]);
  for (const cut of [2, 6, batch.length - 6]) {
    assert.throws(() => splitBatch(batch.subarray(0, cut)), (e: unknown) => e instanceof BpfError && e.code === 'EBADMSG');
  }
  const lying = Buffer.from(batch);
  lying.writeUInt32LE(1000, 0);
  assert.throws(() => splitBatch(lying), /runs past the batch end/);
});
