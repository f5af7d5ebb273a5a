// Test support for the PostgreSQL tests (not used by the parser): the message runs of the real
// captures and a small stand-in for the driver that feeds them to parseFrame.
import assert from 'node:assert/strict';
import type { Segment } from '@clovisor/core';
import { fixtureBatches } from '../../test-support/fixtures.js';
import { allSegments, runs, type Run } from '../../test-support/streams.js';
import type { Direction } from '../protocol.js';
import { postgres } from './index.js';
import { newPgState, type PgFrame, type PgState } from './types.js';

export const dir = (fromClient: boolean): Direction => (fromClient ? 'request' : 'response');

/** Payload segments without retransmissions (the large capture has one; the decoder's
 * reassembler drops it, this test reads the bytes directly). */
export function once(segments: Segment[]): Segment[] {
  const next = new Map<boolean, number>();
  return segments.filter((s) => {
    if (s.payload.length === 0) return false;
    const want = next.get(s.fromClient);
    if (want !== undefined && s.seq !== want) return false;
    next.set(s.fromClient, (s.seq + s.payload.length) >>> 0);
    return true;
  });
}

/** Message runs of every flow of a fixture, in capture order per flow. */
export function flowRuns(name: string): Run[][] {
  const batches = fixtureBatches(name);
  return [...new Set(batches.map((b) => b.flowId))].map((id) => runs(once(allSegments(batches.filter((b) => b.flowId === id)))));
}

/** What the driver does with results: drop consumed/absorbed bytes, keep the rest, collect frames. */
export class Feeder {
  buf: Record<Direction, Buffer> = { request: Buffer.alloc(0), response: Buffer.alloc(0) };
  frames: Record<Direction, PgFrame[]> = { request: [], response: [] };
  ignored = 0;
  maxHeld = 0;
  constructor(readonly state: PgState = newPgState()) {}
  push(d: Direction, bytes: Buffer): void {
    let buf = Buffer.concat([this.buf[d], bytes]);
    for (;;) {
      const r = postgres.parseFrame(d, buf, this.state, false);
      if (r.kind === 'success') { this.frames[d].push(r.frame); buf = buf.subarray(r.consumed); }
      else if (r.kind === 'ignored') { this.ignored++; buf = buf.subarray(r.consumed); }
      else if (r.kind === 'needs-more-data') { buf = buf.subarray(r.absorbed); break; }
      else assert.fail(`${d}: ${JSON.stringify(r)}`);
      if (buf.length === 0) break;
    }
    this.buf[d] = buf;
    this.maxHeld = Math.max(this.maxHeld, buf.length);
  }
}

export function feedFlow(rs: Run[], pieceSize = Infinity): Feeder {
  const f = new Feeder();
  for (const r of rs) for (let i = 0; i < r.bytes.length; i += Math.min(pieceSize, r.bytes.length)) f.push(dir(r.fromClient), r.bytes.subarray(i, i + pieceSize));
  return f;
}
