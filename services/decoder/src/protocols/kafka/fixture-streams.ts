// Test support (imported by the *.test.ts files only): the Kafka fixtures' byte streams, cut
// into messages by their size prefixes, and a minimal stand-in for the driver's buffer
// handling so a parser can be fed the real bytes in arbitrary pieces.
import { fixtureBatches } from '../../test-support/fixtures.js';
import type { Segment } from '@clovisor/core';
import { allSegments } from '../../test-support/streams.js';
import type { ParseResult, Direction } from '../protocol.js';
import { parseFrame } from './parse.js';
import type { KafkaMessage, KafkaState } from './types.js';

/** One direction's bytes in sequence order; retransmitted bytes (kafka-java.pcap has one
 * retransmitted Fetch) are taken once. */
function streamOf(segments: Segment[], fromClient: boolean): Buffer {
  const parts: Buffer[] = [];
  let next: number | null = null;
  for (const s of segments) {
    if (s.fromClient !== fromClient || s.payload.length === 0) continue;
    const behind: number = next === null ? 0 : -((s.seq - next) | 0);
    if (behind >= s.payload.length) continue;
    parts.push(s.payload.subarray(Math.max(0, behind)));
    next = (s.seq + s.payload.length) >>> 0;
  }
  return Buffer.concat(parts);
}

export interface FixtureFlow { clientPort: number; requests: Buffer; responses: Buffer }

export function fixtureFlows(name: string): FixtureFlow[] {
  const batches = fixtureBatches(name);
  return [...new Set(batches.map((b) => b.flowId))].map((id) => {
    const own = batches.filter((b) => b.flowId === id);
    const segments = allSegments(own);
    return { clientPort: (own[0] as (typeof own)[0]).client.port, requests: streamOf(segments, true), responses: streamOf(segments, false) };
  });
}

/** A stream cut at its size prefixes (INT32 size, then that many bytes). */
export function messagesOf(stream: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at + 4 <= stream.length;) {
    const end = at + 4 + stream.readInt32BE(at);
    out.push(stream.subarray(at, end));
    at = end;
  }
  return out;
}

/** Feed `chunks` in order as the driver would: keep what is not consumed, drop what is. */
export function drive(direction: Direction, chunks: Buffer[], state: KafkaState): { frames: KafkaMessage[]; results: ParseResult<KafkaMessage>[] } {
  const frames: KafkaMessage[] = [];
  const results: ParseResult<KafkaMessage>[] = [];
  let buf = Buffer.alloc(0);
  let inFrame = false;
  for (const chunk of chunks) {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf.length === 0 && !inFrame) break;
      const r = parseFrame(direction, buf, state, false);
      results.push(r);
      if (r.kind === 'success') { frames.push(r.frame); buf = buf.subarray(r.consumed); inFrame = false; continue; }
      if (r.kind === 'needs-more-data') {
        if (r.absorbed > 0) { buf = buf.subarray(r.absorbed); inFrame = true; }
        break;
      }
      return { frames, results };
    }
  }
  return { frames, results };
}

/** Pieces of at most `size` bytes. */
export function pieces(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}
