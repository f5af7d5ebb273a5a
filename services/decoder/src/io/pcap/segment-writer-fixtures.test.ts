import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { codecs, RecordCodec, type SegmentBatch } from '@clovisor/core';
import { readCaptureFile } from './index.js';

// The capture's hand-written SegmentBatch writer (packages/core/src/avro/segment-batch-writer.ts)
// on the records of every real recording in test-fixtures: the same bytes as avsc's generic
// writer, and they decode back to the records.

const FIXTURES = new URL('../../../test-fixtures/', import.meta.url);

test('segment batches of every pcap fixture encode byte for byte as avsc does, and decode back', () => {
  const codec = codecs().segments;
  assert.equal(codec.usesBodyWriter, true, 'the hand-written writer is in use (see segment-batch-writer.test.ts)');
  const generic = new RecordCodec<SegmentBatch>(codec.schema);
  const files = readdirSync(FIXTURES).filter((f) => /\.pcap(ng)?$/.test(f));
  assert.ok(files.length >= 30, `fixtures found: ${files.length}`);
  let batches = 0;
  let segments = 0;
  for (const file of files) {
    for (const [variant, options] of [['plain', {}], ['pod metadata', { podRole: 'CLIENT' as const, protocolHint: 'http', node: 'nöde-1', maxSegmentsPerBatch: 7 }]] as const) {
      const { batches: records } = readCaptureFile(readFileSync(new URL(file, FIXTURES)), options);
      for (const [i, batch] of records.entries()) {
        const withPod: SegmentBatch = variant === 'plain' ? batch : { ...batch, pod: { service: 'svc', namespace: null, name: 'pod-ü', node: 'node-1' }, lostEventsBefore: i };
        const bytes = codec.encode(withPod);
        assert.ok(bytes.equals(generic.encode(withPod)), `${file} (${variant}) batch ${i}: bytes differ from avsc's`);
        const back = codec.decode(bytes);
        assert.equal(back.flowId, withPod.flowId);
        assert.equal(back.segments.length, withPod.segments.length);
        for (const [k, s] of withPod.segments.entries()) {
          assert.ok(back.segments[k]!.payload.equals(s.payload), `${file} batch ${i} segment ${k} payload`);
          assert.equal(back.segments[k]!.timestampNs, s.timestampNs);
          assert.equal(back.segments[k]!.seq, s.seq);
        }
        batches += 1;
        segments += withPod.segments.length;
      }
    }
  }
  assert.ok(batches > 100 && segments > 1000, `${batches} batches, ${segments} segments`);
});
