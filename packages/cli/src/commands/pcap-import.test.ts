// Batches cut to fit Kafka's record size limit keep every segment, in order, once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readCaptureFile } from '@clovisor/decoder';
import { splitBatch } from './pcap-import.js';

const FIXTURE = fileURLToPath(new URL('../../../../services/decoder/test-fixtures/postgres-large-result.pcap', import.meta.url));

test('splitBatch: parts of at most 512 KiB of payload, same segments in the same order', () => {
  const [batch] = readCaptureFile(readFileSync(FIXTURE), { maxSegmentsPerBatch: 1000 }).batches;
  assert.ok(batch);
  // Four copies of the fixture's segments: well over one record's worth.
  const big = { ...batch, lostEventsBefore: 3, segments: [...batch.segments, ...batch.segments, ...batch.segments, ...batch.segments] };
  const total = big.segments.reduce((n, s) => n + s.payload.length, 0);
  assert.ok(total > 1024 * 1024, `fixture payload ${total}`);
  const parts = splitBatch(big);
  assert.ok(parts.length >= 3, `${parts.length} parts`);
  for (const p of parts) {
    assert.ok(p.segments.reduce((n, s) => n + s.payload.length, 0) <= 512 * 1024);
    assert.equal(p.flowId, big.flowId);
  }
  assert.deepEqual(parts.flatMap((p) => p.segments), big.segments);
  assert.deepEqual(parts.map((p) => p.lostEventsBefore), [3, ...parts.slice(1).map(() => 0)], 'capture loss reported once');
  assert.deepEqual(splitBatch(batch).flatMap((p) => p.segments), batch.segments);
});
