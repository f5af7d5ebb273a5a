// x-request-id → the trace a hop with real trace context belonged to, kept for a window of
// *capture* time (transaction timestamps, not the wall clock), so a replay of the same
// records makes the same decisions. Bounded: the oldest entry goes first when full.
//
// Entries are expired in insertion order against the newest timestamp seen; out-of-order
// input can keep an entry up to one window too long, never unboundedly.

import type { LearnedTrace } from './trace-resolution.js';

export interface RequestIdWindowOptions {
  windowMs?: number;
  capacity?: number;
}

export interface RequestIdWindowStats {
  size: number;
  learned: number;
  hits: number;
  misses: number;
  expired: number;
  evictedFull: number;
}

interface Entry {
  trace: LearnedTrace;
  atNs: bigint;
}

export class RequestIdWindow {
  private readonly windowNs: bigint;
  private readonly capacity: number;
  private readonly entries = new Map<string, Entry>();
  private newestNs = 0n;
  private readonly counts = { learned: 0, hits: 0, misses: 0, expired: 0, evictedFull: 0 };

  constructor(opts: RequestIdWindowOptions = {}) {
    const windowMs = opts.windowMs ?? 30_000;
    this.capacity = opts.capacity ?? 50_000;
    if (!(windowMs > 0) || !Number.isInteger(this.capacity) || this.capacity < 1) {
      throw new RangeError('RequestIdWindow: windowMs must be > 0 and capacity a positive integer');
    }
    this.windowNs = BigInt(Math.round(windowMs * 1e6));
  }

  /** Remembers the first trace seen for a request id; later hops do not overwrite it. */
  learn(requestId: string, trace: LearnedTrace, atNs: bigint): void {
    this.advance(atNs);
    const existing = this.entries.get(requestId);
    if (existing !== undefined && !this.isStale(existing, atNs)) return;
    this.entries.delete(requestId);
    this.entries.set(requestId, { trace, atNs });
    this.counts.learned++;
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.counts.evictedFull++;
    }
  }

  lookup(requestId: string, atNs: bigint): LearnedTrace | null {
    this.advance(atNs);
    const entry = this.entries.get(requestId);
    if (entry === undefined || this.isStale(entry, atNs)) {
      this.counts.misses++;
      return null;
    }
    this.counts.hits++;
    return entry.trace;
  }

  stats(): RequestIdWindowStats {
    return { size: this.entries.size, ...this.counts };
  }

  private isStale(entry: Entry, atNs: bigint): boolean {
    const delta = atNs > entry.atNs ? atNs - entry.atNs : entry.atNs - atNs;
    return delta > this.windowNs;
  }

  private advance(atNs: bigint): void {
    if (atNs > this.newestNs) this.newestNs = atNs;
    const horizon = this.newestNs - this.windowNs;
    for (const [key, entry] of this.entries) {
      if (entry.atNs >= horizon) break;
      this.entries.delete(key);
      this.counts.expired++;
    }
  }
}
