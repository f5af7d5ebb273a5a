// The real flows the fuzzer mutates: every recorded fixture (all protocols), one entry per flow
// with its segments in capture order.
import { readdirSync, readFileSync } from 'node:fs';
import type { Segment, SegmentBatch } from '@clovisor/core';
import { readCaptureFile } from '../io/pcap/index.js';

export interface CorpusFlow {
  file: string;
  /** the flow's first batch, segments emptied: endpoints, transport, ids */
  meta: SegmentBatch;
  segments: Segment[];
}

const DIR = new URL('../../test-fixtures/', import.meta.url);

export function loadCorpus(): CorpusFlow[] {
  const flows = new Map<string, CorpusFlow>();
  const files = readdirSync(DIR).filter((f) => /\.pcap(ng)?$/.test(f)).sort();
  for (const file of files) {
    for (const batch of readCaptureFile(readFileSync(new URL(file, DIR))).batches) {
      const key = `${file}|${batch.flowId}`;
      const known = flows.get(key);
      if (known !== undefined) known.segments.push(...batch.segments);
      else flows.set(key, { file, meta: { ...batch, segments: [] }, segments: [...batch.segments] });
    }
  }
  return [...flows.values()].filter((f) => f.segments.some((s) => s.payload.length > 0));
}
