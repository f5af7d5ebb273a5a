// Damaged real traffic through the whole decoder: bytes flipped, segments dropped. Whatever the
// damage, the parser answers (never throws), frames stay bounded, and undamaged flows still decode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SegmentBatch } from '@clovisor/core';
import { decodeBatches, fixtureBatches } from '../../test-support/fixtures.js';
import { allSegments, rebatch, rng } from '../../test-support/streams.js';
import type { Direction } from '../protocol.js';
import { redis } from './index.js';
import { newRedisState } from './types.js';

const FIXTURES = ['redis-basic.pcap', 'redis-resp3.pcap', 'redis-pipelined.pcap', 'redis-pubsub.pcap', 'redis-pipe.pcap'];

test('flipped bytes and dropped segments: transactions still come out, nothing throws', () => {
  const rand = rng(6379);
  for (const name of FIXTURES) {
    const batches = fixtureBatches(name, { protocolHint: 'redis' });
    for (let round = 0; round < 8; round++) {
      const damaged: SegmentBatch[] = [];
      for (const b of batches) {
        const segs = allSegments([b]).filter(() => rand() > 0.05).map((s) => {
          if (s.payload.length === 0 || rand() > 0.3) return s;
          const payload = Buffer.from(s.payload);
          payload[Math.floor(rand() * payload.length)] = Math.floor(rand() * 256);
          return { ...s, payload };
        });
        damaged.push(...rebatch(b, segs));
      }
      const { transactions } = decodeBatches(damaged);
      assert.ok(transactions.length > 0, `${name} round ${round}`);
      for (const t of transactions) {
        assert.equal(t.protocol, 'redis');
        assert.ok((t.redis?.command.length ?? 0) <= 2 * 64 + 1, t.redis?.command);
        assert.ok((t.redis?.error?.length ?? 0) <= 512);
        assert.ok((t.redis?.argumentCount ?? 0) >= 0);
      }
    }
  }
});

test('random bytes: every answer is one of the contract kinds with sane sizes', () => {
  const rand = rng(42);
  for (let i = 0; i < 3000; i++) {
    const len = 1 + Math.floor(rand() * 64);
    // Mostly RESP-looking alphabet so the walker gets deep before failing.
    const alphabet = '*$:+-_,#!=(%~>|\r\n0123456789-?abcXYZ ';
    const buf = Buffer.from(Array.from({ length: len }, () => alphabet.charCodeAt(Math.floor(rand() * alphabet.length))));
    for (const d of ['request', 'response'] as Direction[]) {
      const r = redis.parseFrame(d, buf, newRedisState(), rand() < 0.5);
      if (r.kind === 'success' || r.kind === 'ignored') assert.ok(r.consumed > 0 && r.consumed <= buf.length);
      else if (r.kind === 'needs-more-data') assert.ok(r.absorbed >= 0 && r.absorbed <= buf.length);
      else assert.equal(r.kind, 'invalid');
      const at = redis.findFrameBoundary(d, buf, Math.floor(rand() * len));
      assert.ok(at >= -1 && at < buf.length);
    }
  }
});
