// The correlator's pure core: transactions in, spans out, with bounded state and counters.
//
// One transaction gives one span, but not always in the same call: the state of the joins
// sits here, the x-request-id window (trace ids for hops that carry only a request id), which
// holds such a hop seen before any hop with context for a short while (request-id-hold.ts), and
// the connection join (the SERVER capture of a request becomes the child of its CLIENT capture,
// connection-join.ts), which holds a SERVER span seen first for a short while. So process()
// returns zero or more spans, and tick()/flush() return the held spans whose wait is over.
// The *From variants also say which input (Kafka offset, `origin`) each span was built from:
// the Kafka stage needs it to commit only inputs whose spans have left (partitioned.ts).

import type { SpanRecord, Transaction } from '@clovisor/core';
import { ConnectionJoin, completionNs, connectionKey, type ConnectionJoinStats, type Emitted } from './connection-join.js';
import { RequestIdHold, type RequestIdHoldStats } from './request-id-hold.js';
import { RequestIdWindow, type RequestIdWindowStats } from './request-id-window.js';
import { buildSpanWithTrace } from './span-builder.js';
import { extractTraceContext, type TraceContext } from './trace-context/extract.js';
import { HEADER_FORMATS, type HeaderFormat } from './trace-context/types.js';
import { TRACE_SOURCES, type LearnedTrace, type TraceSource } from './trace-resolution.js';

export interface CorrelatorOptions {
  /** how long (capture time) a learned x-request-id → trace mapping is used; default 30 s */
  requestIdWindowMs?: number;
  /** most request ids remembered; default 50 000 */
  requestIdCapacity?: number;
  /** derive a shared trace id from x-request-id when nothing better is known; default true */
  deriveTraceFromRequestId?: boolean;
  /**
   * how long (capture time) a hop with only x-request-id, seen before any hop of its request
   * with context, waits for one; 0 = not at all (the request id alone decides); default 2 s
   */
  requestIdHoldMs?: number;
  /** most such hops waiting; default 10 000 */
  requestIdHoldCapacity?: number;
  /** make SERVER spans children of the CLIENT span of the same request (TCP); default true */
  joinConnections?: boolean;
  /** how long (capture time) a CLIENT span can be joined by its SERVER span; default 30 s */
  connectionWindowMs?: number;
  /** most CLIENT spans remembered for the join; default 50 000 */
  connectionCapacity?: number;
  /** how long (capture time) a SERVER span seen before its CLIENT waits; 0 = no wait; default 2 s */
  serverHoldMs?: number;
  /** most SERVER spans waiting; default 10 000 */
  serverHoldCapacity?: number;
  /** add Clovisor's original tag names (reqmethod, srcip, ...) to HTTP spans; default false */
  legacyTags?: boolean;
}

export interface CorrelatorStats {
  transactions: number;
  spans: number;
  malformedHeaders: Record<HeaderFormat, number>;
  traceSources: Record<TraceSource, number>;
  requestIdWindow: RequestIdWindowStats;
  requestIdHold: RequestIdHoldStats;
  connectionJoin: ConnectionJoinStats;
}

interface HeldHop {
  tx: Transaction;
  context: TraceContext;
  /** the input it came from (partitioned.ts commits only below what is still held) */
  origin: bigint;
}

const HEADER_CONTEXT_SOURCES: ReadonlySet<TraceSource> = new Set(['w3c', 'b3', 'b3-single', 'jaeger']);

export class Correlator {
  private readonly window: RequestIdWindow;
  private readonly hold: RequestIdHold<HeldHop> | null;
  private readonly deriveTraceFromRequestId: boolean;
  private readonly legacyTags: boolean;
  private readonly join: ConnectionJoin | null;
  private transactions = 0;
  private spans = 0;
  private readonly malformed = zeroCounts(HEADER_FORMATS);
  private readonly sources = zeroCounts(TRACE_SOURCES);

  constructor(opts: CorrelatorOptions = {}) {
    this.window = new RequestIdWindow({ windowMs: opts.requestIdWindowMs, capacity: opts.requestIdCapacity });
    this.deriveTraceFromRequestId = opts.deriveTraceFromRequestId ?? true;
    this.hold = opts.requestIdHoldMs === 0 ? null : new RequestIdHold({ holdMs: opts.requestIdHoldMs, capacity: opts.requestIdHoldCapacity });
    this.legacyTags = opts.legacyTags ?? false;
    this.join = opts.joinConnections === false ? null : new ConnectionJoin({
      windowMs: opts.connectionWindowMs,
      capacity: opts.connectionCapacity,
      holdMs: opts.serverHoldMs,
      holdCapacity: opts.serverHoldCapacity,
    });
  }

  process(tx: Transaction): SpanRecord[] {
    return spansOf(this.processFrom(tx, -1n));
  }

  /** process(), each span with the origin of its transaction (held spans: of theirs). */
  processFrom(tx: Transaction, origin: bigint): Emitted[] {
    this.transactions++;
    const context = extractTraceContext(tx.http?.requestHeaders ?? {});
    for (const format of context.malformed) this.malformed[format]++;
    const out = this.released(this.hold?.advance(completionNs(tx)) ?? []);
    const requestId = context.requestId;
    const learned = requestId !== null && context.source === null ? this.window.lookup(requestId, tx.requestStartNs) : null;
    if (requestId !== null && context.source === null && learned === null && this.hold !== null) {
      out.push(...this.released(this.hold.hold(requestId, { tx, context, origin }, completionNs(tx))));
      return this.emit(out);
    }
    out.push(...this.correlate(tx, context, learned, origin));
    // its context is now learned: the hops of the same request that waited for it join it
    if (requestId !== null && context.source !== null && this.hold !== null) out.push(...this.released(this.hold.take(requestId)));
    return this.emit(out);
  }

  /** Hops that stopped waiting: what the window knows now decides (learned, else the request id). */
  private released(hops: HeldHop[]): Emitted[] {
    return hops.flatMap(({ tx, context, origin }) => this.correlate(tx, context, this.window.lookup(context.requestId!, tx.requestStartNs), origin));
  }

  /** One transaction's span through the x-request-id window and the connection join. */
  private correlate(tx: Transaction, context: TraceContext, learned: LearnedTrace | null, origin: bigint): Emitted[] {
    const requestId = context.requestId;
    const { span, trace } = buildSpanWithTrace(tx, {
      context, learned, deriveTraceFromRequestId: this.deriveTraceFromRequestId, legacyTags: this.legacyTags,
    });
    if (requestId !== null && HEADER_CONTEXT_SOURCES.has(trace.source)) {
      const learnt = { traceId: span.traceId, spanId: span.spanId, traceFlags: span.traceFlags, traceState: span.traceState };
      this.window.learn(requestId, learnt, tx.requestStartNs);
    }
    // UDP has no sequence number to tell two requests of one 5-tuple apart: not joined.
    if (this.join === null || tx.transport !== 'TCP') return [{ span, origin }];
    const out = this.join.advance(completionNs(tx));
    const key = connectionKey(tx);
    if (tx.podRole === 'CLIENT') {
      out.push({ span, origin });
      const server = this.join.client(key, span, completionNs(tx));
      if (server !== null) out.push(server);
    } else {
      out.push(...this.join.server(key, span, completionNs(tx), origin));
    }
    return out;
  }

  /**
   * Call every serverHoldMs (or requestIdHoldMs, the shorter) or so of wall time: spans that
   * waited two ticks go out, x-request-id-only hops with the request id's own trace, SERVER
   * spans unjoined.
   */
  tick(): SpanRecord[] {
    return spansOf(this.tickFrom());
  }

  tickFrom(): Emitted[] {
    const out = this.released(this.hold?.tick() ?? []);
    out.push(...(this.join?.tick() ?? []));
    return this.emit(out);
  }

  /** On stop: every span still waiting. */
  flush(): SpanRecord[] {
    return spansOf(this.flushFrom());
  }

  flushFrom(): Emitted[] {
    const out = this.released(this.hold?.flush() ?? []);
    out.push(...(this.join?.flush() ?? []));
    return this.emit(out);
  }

  /** The lowest origin ≥ `from` of a span still held (a waiting hop or SERVER span, not yet emitted), or null. */
  oldestHeldOrigin(from: bigint): bigint | null {
    let oldest = this.join?.oldestHeldOrigin(from) ?? null;
    for (const { origin } of this.hold?.held() ?? []) {
      if (origin >= from && (oldest === null || origin < oldest)) oldest = origin;
    }
    return oldest;
  }

  stats(): CorrelatorStats {
    return {
      transactions: this.transactions,
      spans: this.spans,
      malformedHeaders: { ...this.malformed },
      traceSources: { ...this.sources },
      requestIdWindow: this.window.stats(),
      requestIdHold: this.hold?.stats() ?? new RequestIdHold<HeldHop>().stats(),
      connectionJoin: this.join?.stats() ?? new ConnectionJoin().stats(),
    };
  }

  /** Counts spans as they leave, by their final trace source (a joined SERVER span: client-span). */
  private emit(spans: Emitted[]): Emitted[] {
    for (const { span } of spans) {
      const source = span.attributes['clovisor.trace_source']?.stringValue;
      if (typeof source === 'string' && source in this.sources) this.sources[source as TraceSource]++;
    }
    this.spans += spans.length;
    return spans;
  }
}

function spansOf(emitted: Emitted[]): SpanRecord[] {
  return emitted.map((e) => e.span);
}

function zeroCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}
