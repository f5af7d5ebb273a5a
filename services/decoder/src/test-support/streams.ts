// Test support: derive damaged variants of real captures (split, reorder, duplicate, drop, cut).
import type { Segment, SegmentBatch } from '@clovisor/core';

/** Deterministic PRNG (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function allSegments(batches: SegmentBatch[]): Segment[] {
  return batches.flatMap((b) => b.segments);
}

/** The bytes one direction carried, in sequence order (the capture is clean). */
export function streamBytes(segments: Segment[], fromClient: boolean): Buffer {
  return Buffer.concat(segments.filter((s) => s.fromClient === fromClient).map((s) => s.payload));
}

/** Split each payload segment into pieces of at most `size` bytes (same seq space). */
export function splitSegments(segments: Segment[], size: number): Segment[] {
  const out: Segment[] = [];
  for (const s of segments) {
    if (s.payload.length <= size) { out.push(s); continue; }
    for (let off = 0; off < s.payload.length; off += size) {
      const piece = s.payload.subarray(off, off + size);
      const last = off + size >= s.payload.length;
      out.push({ ...s, seq: (s.seq + off) >>> 0, payload: piece, wireLength: piece.length, flags: last ? s.flags : s.flags & ~0x01 });
    }
  }
  return out;
}

/** One batch per flow again, with the given segments. */
export function rebatch(template: SegmentBatch, segments: Segment[], perBatch = 64): SegmentBatch[] {
  const out: SegmentBatch[] = [];
  for (let i = 0; i < segments.length; i += perBatch) out.push({ ...template, segments: segments.slice(i, i + perBatch) });
  return out;
}

/** Cut every payload to `snap` bytes, keeping wireLength (what a snaplen does). */
export function snap(segments: Segment[], snapLen: number, only: (s: Segment) => boolean = () => true): Segment[] {
  return segments.map((s) => (only(s) && s.payload.length > snapLen ? { ...s, payload: s.payload.subarray(0, snapLen) } : s));
}

/** A run of consecutive payload segments of one direction, as captured. */
export interface Run { fromClient: boolean; bytes: Buffer; seq: number; startNs: bigint; endNs: bigint }

/**
 * Consecutive payload segments of one direction, concatenated: on a non-pipelined connection
 * each run is one message (or, with 100-continue, one part of it). Boundaries, sequence numbers
 * and timestamps come from the capture, not from the code under test.
 */
export function runs(segments: Segment[]): Run[] {
  const out: Run[] = [];
  for (const s of segments) {
    if (s.payload.length === 0) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last.fromClient === s.fromClient) {
      last.bytes = Buffer.concat([last.bytes, s.payload]);
      last.endNs = s.timestampNs;
    } else {
      out.push({ fromClient: s.fromClient, bytes: Buffer.from(s.payload), seq: s.seq, startNs: s.timestampNs, endNs: s.timestampNs });
    }
  }
  return out;
}

/**
 * A retransmission repacketized across two adjacent segments of one direction: from `skip`
 * bytes into `a` to the end of `b` (TCP may resend unacknowledged bytes in different cuts).
 */
export function spanning(a: Segment, b: Segment, skip: number): Segment {
  const payload = Buffer.concat([a.payload.subarray(skip), b.payload]);
  return { ...b, seq: (a.seq + skip) >>> 0, payload, wireLength: payload.length, timestampNs: b.timestampNs };
}
