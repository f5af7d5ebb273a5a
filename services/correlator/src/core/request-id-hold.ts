// Hops that carry only an x-request-id, seen before any hop of the same request that carries
// trace context, wait here for a while: when such a hop arrives they join its trace
// (x-request-id-learned) instead of a trace derived from the request id alone.
//
// Why it happens: the decoder publishes the captures of different connections in no guaranteed
// order (and an inner call completes before the outer call that carries the context), so the
// x-request-id-only hop is often seen first.
//
// Waiting ends like the connection join's SERVER hold (connection-join.ts): when a hop with
// context and the same request id arrives (take), when the capture clock (newest completion
// time seen) passes the first waiting hop's completion + holdMs, when the hold is full (oldest
// request first), on the second idle tick, or on flush. Decisions depend only on the input
// order, except the idle tick. Bounded by the number of hops held; every release is counted.

export interface RequestIdHoldOptions {
  /** how long (capture time) a hop waits for a hop with context; default 2 s */
  holdMs?: number;
  /** most hops held; default 10 000 */
  capacity?: number;
}

export interface RequestIdHoldStats {
  /** hops held now */
  held: number;
  /** hops released because a hop with context and the same request id arrived */
  resolved: number;
  /** hops released without: wait over / hold full / idle ticks / stop */
  expired: number;
  evictedFull: number;
  idle: number;
  flushed: number;
}

interface Waiting<T> {
  items: T[];
  /** completion time of the first hop held for this request id */
  atNs: bigint;
  tick: number;
}

type Counter = Exclude<keyof RequestIdHoldStats, 'held'>;

export class RequestIdHold<T> {
  private readonly holdNs: bigint;
  private readonly capacity: number;
  private readonly waiting = new Map<string, Waiting<T>>();
  private size = 0;
  private newestNs = 0n;
  private ticks = 0;
  private readonly counts: Record<Counter, number> = { resolved: 0, expired: 0, evictedFull: 0, idle: 0, flushed: 0 };

  constructor(opts: RequestIdHoldOptions = {}) {
    const holdMs = opts.holdMs ?? 2_000;
    this.capacity = opts.capacity ?? 10_000;
    if (!(holdMs > 0) || !Number.isInteger(this.capacity) || this.capacity < 1) {
      throw new RangeError('RequestIdHold: holdMs must be > 0 and capacity a positive integer');
    }
    this.holdNs = BigInt(Math.round(holdMs * 1e6));
  }

  /** Holds a hop; returns the hops it pushed out (oldest requests first) when the hold is full. */
  hold(requestId: string, item: T, atNs: bigint): T[] {
    const entry = this.waiting.get(requestId);
    if (entry === undefined) this.waiting.set(requestId, { items: [item], atNs, tick: this.ticks });
    else entry.items.push(item);
    this.size++;
    const out: T[] = [];
    while (this.size > this.capacity) {
      const [oldest] = this.waiting.keys();
      out.push(...this.release(oldest!, 'evictedFull'));
    }
    return out;
  }

  /** The hops waiting for this request id, in arrival order (its context is now known). */
  take(requestId: string): T[] {
    return this.waiting.has(requestId) ? this.release(requestId, 'resolved') : [];
  }

  /** Moves the capture clock; returns the hops whose wait is over. */
  advance(atNs: bigint): T[] {
    if (atNs > this.newestNs) this.newestNs = atNs;
    const out: T[] = [];
    for (const [requestId, entry] of this.waiting) {
      if (entry.atNs + this.holdNs >= this.newestNs) break;
      out.push(...this.release(requestId, 'expired'));
    }
    return out;
  }

  /** Wall-clock valve while traffic is quiet: releases hops held since before the previous tick. */
  tick(): T[] {
    const out: T[] = [];
    for (const [requestId, entry] of this.waiting) {
      if (entry.tick < this.ticks) out.push(...this.release(requestId, 'idle'));
    }
    this.ticks++;
    return out;
  }

  flush(): T[] {
    return [...this.waiting.keys()].flatMap((requestId) => this.release(requestId, 'flushed'));
  }

  /** Every hop waiting now (to find the oldest input not yet out). */
  *held(): IterableIterator<T> {
    for (const entry of this.waiting.values()) yield* entry.items;
  }

  stats(): RequestIdHoldStats {
    return { held: this.size, ...this.counts };
  }

  private release(requestId: string, reason: Counter): T[] {
    const items = this.waiting.get(requestId)?.items ?? [];
    this.waiting.delete(requestId);
    this.size -= items.length;
    this.counts[reason] += items.length;
    return items;
  }
}
