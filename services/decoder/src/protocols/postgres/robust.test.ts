// Damaged input never throws: mutated real messages through the parser, and real captures with
// pieces dropped through the whole decoder (resync, partial frames, gaps).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Segment } from '@clovisor/core';
import { decodeBatches, fixtureBatches } from '../../test-support/fixtures.js';
import { allSegments, rebatch, rng, splitSegments, streamBytes } from '../../test-support/streams.js';
import type { Direction } from '../protocol.js';
import { postgres } from './index.js';
import { newPgState } from './types.js';

const KINDS = new Set(['success', 'needs-more-data', 'invalid', 'ignored', 'end-of-stream']);

test('mutated real bytes: the parser answers, never throws, never consumes beyond the buffer', () => {
  const segments = allSegments(fixtureBatches('postgres-node-extended.pcap'));
  const streams: [Direction, Buffer][] = [['request', streamBytes(segments, true)], ['response', streamBytes(segments, false)]];
  const rand = rng(5432);
  let invalid = 0;
  for (let round = 0; round < 400; round++) {
    for (const [d, real] of streams) {
      const buf = Buffer.from(real.subarray(Math.floor(rand() * real.length)));
      for (let k = 0; k < 4; k++) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
      const state = newPgState();
      state.startupDone = rand() < 0.5;
      let rest = buf;
      for (let steps = 0; steps < 64 && rest.length > 0; steps++) {
        const r = postgres.parseFrame(d, rest, state, rand() < 0.2);
        assert.ok(KINDS.has(r.kind));
        if (r.kind === 'invalid') { invalid++; postgres.abandon(d, rest, state); break; }
        if (r.kind === 'end-of-stream') break;
        const n = r.kind === 'needs-more-data' ? r.absorbed : r.consumed;
        assert.ok(n >= 0 && n <= rest.length);
        if (r.kind === 'needs-more-data') break;
        rest = rest.subarray(n);
      }
      assert.ok(postgres.findFrameBoundary(d, buf, 0) < buf.length);
    }
  }
  assert.ok(invalid > 100, `${invalid}`); // the mutations are noticed
});

test('pieces dropped from real captures: the decoder resyncs and keeps decoding', () => {
  for (const name of ['postgres-psql.pcap', 'postgres-large-result.pcap']) {
    const batches = fixtureBatches(name);
    for (const id of new Set(batches.map((b) => b.flowId))) {
      const mine = batches.filter((b) => b.flowId === id);
      const pieces = splitSegments(allSegments(mine), 300);
      const rand = rng(id.length + pieces.length);
      const kept = pieces.filter((s: Segment) => s.payload.length === 0 || rand() > 0.05);
      const { transactions, stats } = decodeBatches(rebatch(mine[0] as (typeof mine)[number], kept, 16));
      assert.equal(stats.flowsActive, 0);
      for (const t of transactions) {
        assert.equal(t.protocol, 'postgres');
        assert.equal(typeof t.postgres?.query, 'string');
        if (t.postgres?.tag === 'SELECT 20000') assert.ok(t.responseBytes > 200_000);
      }
    }
  }
});
