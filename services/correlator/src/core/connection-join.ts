// Joins the two captures of one request: the CLIENT capture (leaving the client pod) and the
// SERVER capture (entering the server pod). The SERVER span becomes a child of the CLIENT span
// and joins its trace.
//
// Matching: same client address:port, server address:port and requestSeq (the TCP sequence
// number of the request's first byte is the same on both veths). Flow ids differ per
// interface, so they are not part of the key. Addresses must be the same on both sides: a
// request to a Service ClusterIP that is DNAT-ed after it left the client pod shows different
// server addresses and is not joined.
//
// Order: CLIENT spans are emitted at once and remembered (capture time window). A SERVER span
// whose CLIENT is already known is joined at once. A SERVER span seen first (the usual order:
// its response completes first, so the decoder emits it first) is held until its CLIENT
// arrives, or until the capture clock (the newest completion time seen) passes its completion
// time + holdNs, or the held set is full, or two idle ticks pass; then it goes out unjoined.
// Decisions depend only on the input order, except the idle tick (wall clock), which only
// releases spans nothing else would release while traffic is quiet.
//
// Bounded: both maps have a capacity; entries leave oldest first, every one of them counted.
//
// Every held SERVER span carries its origin (the Kafka offset of its transaction) and comes
// out with it, so the Kafka stage never commits past a span still held (kafka-stage.ts).

import { stringAttr, type SpanRecord, type Transaction } from '@clovisor/core';

export interface ConnectionJoinOptions {
  /** how long (capture time) a CLIENT span can be joined by its SERVER span; default 30 s */
  windowMs?: number;
  /** most CLIENT spans remembered; default 50 000 */
  capacity?: number;
  /** how long (capture time) a SERVER span seen first waits for its CLIENT; 0 = not at all; default 2 s */
  holdMs?: number;
  /** most SERVER spans held; default 10 000 */
  holdCapacity?: number;
}

export interface ConnectionJoinStats {
  /** CLIENT spans remembered now / SERVER spans held now */
  clients: number;
  held: number;
  /** SERVER spans made children of their CLIENT span: at once / after being held */
  joined: number;
  joinedAfterHold: number;
  /** SERVER spans emitted without a CLIENT span, by why they stopped waiting */
  unjoinedExpired: number;
  unjoinedFull: number;
  unjoinedIdle: number;
  unjoinedFlush: number;
  unjoinedDuplicate: number;
  /** SERVER spans emitted unjoined because holding is off (holdMs 0) */
  unjoinedNotHeld: number;
  /** CLIENT spans forgotten: window passed / capacity reached / same key seen again (first kept) */
  clientsExpired: number;
  clientsEvictedFull: number;
  clientsDuplicate: number;
}

/** What a SERVER span needs of its CLIENT span (only this is remembered: less memory, less GC). */
export type ClientParent = Pick<SpanRecord, 'traceId' | 'spanId' | 'traceFlags' | 'traceState'>;

interface ClientEntry {
  span: ClientParent;
  atNs: bigint;
}

/** A span and the input position (Kafka offset) of the transaction it was built from; -1n when unknown. */
export interface Emitted {
  span: SpanRecord;
  origin: bigint;
}

interface HeldEntry {
  span: SpanRecord;
  atNs: bigint;
  origin: bigint;
  /** tick generation when held: released by the second tick after it */
  tick: number;
}

type Counter = Exclude<keyof ConnectionJoinStats, 'clients' | 'held'>;

/** Both ends' key: transport, client, server and the request's first TCP sequence number. */
export function connectionKey(tx: Pick<Transaction, 'transport' | 'client' | 'server' | 'requestSeq'>): string {
  return `${tx.transport}|${tx.client.address}|${tx.client.port}|${tx.server.address}|${tx.server.port}|${tx.requestSeq}`;
}

/** The capture clock of a transaction: its last byte, i.e. about when the decoder emitted it. */
export function completionNs(tx: Pick<Transaction, 'requestEndNs' | 'responseEndNs'>): bigint {
  return tx.responseEndNs ?? tx.requestEndNs;
}

/** The SERVER span as a child of the CLIENT span, in the CLIENT span's trace. */
export function childOfClient(server: SpanRecord, client: ClientParent): SpanRecord {
  return {
    ...server,
    traceId: client.traceId,
    parentSpanId: client.spanId,
    traceFlags: client.traceFlags,
    traceState: client.traceState,
    attributes: { ...server.attributes, 'clovisor.trace_source': stringAttr('client-span') },
  };
}

export class ConnectionJoin {
  private readonly windowNs: bigint;
  private readonly holdNs: bigint;
  private readonly capacity: number;
  private readonly holdCapacity: number;
  private readonly clients = new Map<string, ClientEntry>();
  private readonly held = new Map<string, HeldEntry>();
  private newestNs = 0n;
  private ticks = 0;
  private readonly counts: Record<Counter, number> = {
    joined: 0, joinedAfterHold: 0, unjoinedExpired: 0, unjoinedFull: 0, unjoinedIdle: 0, unjoinedFlush: 0,
    unjoinedDuplicate: 0, unjoinedNotHeld: 0, clientsExpired: 0, clientsEvictedFull: 0, clientsDuplicate: 0,
  };

  constructor(opts: ConnectionJoinOptions = {}) {
    const windowMs = opts.windowMs ?? 30_000;
    const holdMs = opts.holdMs ?? 2_000;
    this.capacity = opts.capacity ?? 50_000;
    this.holdCapacity = opts.holdCapacity ?? 10_000;
    if (!(windowMs > 0) || !(holdMs >= 0) || !isPositiveInt(this.capacity) || !isPositiveInt(this.holdCapacity)) {
      throw new RangeError('ConnectionJoin: windowMs must be > 0, holdMs >= 0, capacities positive integers');
    }
    this.windowNs = msToNs(windowMs);
    this.holdNs = msToNs(holdMs);
  }

  /**
   * Moves the capture clock to `atNs`: forgets CLIENT spans older than the window and returns
   * the held SERVER spans whose wait is over (unjoined). Call before client()/server().
   */
  advance(atNs: bigint): Emitted[] {
    if (atNs > this.newestNs) this.newestNs = atNs;
    for (const [key, entry] of this.clients) {
      if (entry.atNs + this.windowNs >= this.newestNs) break;
      this.clients.delete(key);
      this.counts.clientsExpired++;
    }
    const released: Emitted[] = [];
    for (const [key, entry] of this.held) {
      if (entry.atNs + this.holdNs >= this.newestNs) break;
      released.push(this.release(key, entry, 'unjoinedExpired'));
    }
    return released;
  }

  /** A CLIENT span: remembered; returns the held SERVER span it parents, if one waits. */
  client(key: string, span: SpanRecord, atNs: bigint): Emitted | null {
    const existing = this.clients.get(key);
    if (existing !== undefined && !this.isStale(existing.atNs, atNs, this.windowNs)) {
      if (existing.span.spanId !== span.spanId) this.counts.clientsDuplicate++;
    } else {
      this.clients.delete(key);
      this.clients.set(key, { span: { traceId: span.traceId, spanId: span.spanId, traceFlags: span.traceFlags, traceState: span.traceState }, atNs });
      while (this.clients.size > this.capacity) {
        this.clients.delete(this.clients.keys().next().value as string);
        this.counts.clientsEvictedFull++;
      }
    }
    const waiting = this.held.get(key);
    if (waiting === undefined) return null;
    this.held.delete(key);
    this.counts.joinedAfterHold++;
    return { span: childOfClient(waiting.span, this.clients.get(key)?.span ?? span), origin: waiting.origin };
  }

  /** A SERVER span: joined now (returned), held (empty), plus any span a duplicate key displaced. */
  server(key: string, span: SpanRecord, atNs: bigint, origin = -1n): Emitted[] {
    const client = this.clients.get(key);
    if (client !== undefined && !this.isStale(client.atNs, atNs, this.windowNs)) {
      this.counts.joined++;
      return [{ span: childOfClient(span, client.span), origin }];
    }
    if (this.holdNs === 0n) {
      this.counts.unjoinedNotHeld++;
      return [{ span, origin }];
    }
    const out: Emitted[] = [];
    const previous = this.held.get(key);
    if (previous !== undefined) out.push(this.release(key, previous, 'unjoinedDuplicate'));
    this.held.set(key, { span, atNs, origin, tick: this.ticks });
    while (this.held.size > this.holdCapacity) {
      const [oldKey, oldest] = this.held.entries().next().value as [string, HeldEntry];
      out.push(this.release(oldKey, oldest, 'unjoinedFull'));
    }
    return out;
  }

  /** Wall-clock valve while traffic is quiet: releases spans held since before the previous tick. */
  tick(): Emitted[] {
    const released: Emitted[] = [];
    for (const [key, entry] of this.held) {
      if (entry.tick < this.ticks) released.push(this.release(key, entry, 'unjoinedIdle'));
    }
    this.ticks++;
    return released;
  }

  /** Everything still held, unjoined (on stop). */
  flush(): Emitted[] {
    return [...this.held].map(([key, entry]) => this.release(key, entry, 'unjoinedFlush'));
  }

  /** The lowest origin ≥ `from` among the SERVER spans held now, or null. */
  oldestHeldOrigin(from: bigint): bigint | null {
    let oldest: bigint | null = null;
    for (const { origin } of this.held.values()) {
      if (origin >= from && (oldest === null || origin < oldest)) oldest = origin;
    }
    return oldest;
  }

  stats(): ConnectionJoinStats {
    return { clients: this.clients.size, held: this.held.size, ...this.counts };
  }

  private release(key: string, entry: HeldEntry, reason: Counter): Emitted {
    this.held.delete(key);
    this.counts[reason]++;
    return { span: entry.span, origin: entry.origin };
  }

  private isStale(entryNs: bigint, atNs: bigint, windowNs: bigint): boolean {
    return (atNs > entryNs ? atNs - entryNs : entryNs - atNs) > windowNs;
  }
}

function isPositiveInt(n: number): boolean {
  return Number.isInteger(n) && n >= 1;
}

function msToNs(ms: number): bigint {
  return BigInt(Math.round(ms * 1e6));
}
