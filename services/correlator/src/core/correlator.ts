// The correlator's pure core: transactions in, spans out, with bounded state and counters.
//
// One transaction gives one span, but not always in the same call: the state of the joins
// sits here, the x-request-id window (trace ids for hops that carry only a request id) and the
// connection join (the SERVER capture of a request becomes the child of its CLIENT capture,
// connection-join.ts), which holds a SERVER span seen first for a short while. So process()
// returns zero or more spans, and tick()/flush() return the held spans whose wait is over.
// The *From variants also say which input (Kafka offset, `origin`) each span was built from:
// the Kafka stage needs it to commit only inputs whose spans have left (partitioned.ts).

import type { SpanRecord, Transaction } from '@clovisor/core';
import { ConnectionJoin, completionNs, connectionKey, type ConnectionJoinStats, type Emitted } from './connection-join.js';
import { RequestIdWindow, type RequestIdWindowStats } from './request-id-window.js';
import { buildSpanWithTrace } from './span-builder.js';
import { extractTraceContext } from './trace-context/extract.js';
import { HEADER_FORMATS, type HeaderFormat } from './trace-context/types.js';
import { TRACE_SOURCES, type TraceSource } from './trace-resolution.js';

export interface CorrelatorOptions {
  /** how long (capture time) a learned x-request-id → trace mapping is used; default 30 s */
  requestIdWindowMs?: number;
  /** most request ids remembered; default 50 000 */
  requestIdCapacity?: number;
  /** derive a shared trace id from x-request-id when nothing better is known; default true */
  deriveTraceFromRequestId?: boolean;
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
  connectionJoin: ConnectionJoinStats;
}

const HEADER_CONTEXT_SOURCES: ReadonlySet<TraceSource> = new Set(['w3c', 'b3', 'b3-single', 'jaeger']);

export class Correlator {
  private readonly window: RequestIdWindow;
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
    const requestId = context.requestId;
    const hasHeaderContext = context.source !== null;
    const learned = requestId !== null && !hasHeaderContext ? this.window.lookup(requestId, tx.requestStartNs) : null;
    const { span, trace } = buildSpanWithTrace(tx, {
      context, learned, deriveTraceFromRequestId: this.deriveTraceFromRequestId, legacyTags: this.legacyTags,
    });
    if (requestId !== null && HEADER_CONTEXT_SOURCES.has(trace.source)) {
      const learnt = { traceId: span.traceId, spanId: span.spanId, traceFlags: span.traceFlags, traceState: span.traceState };
      this.window.learn(requestId, learnt, tx.requestStartNs);
    }
    // UDP has no sequence number to tell two requests of one 5-tuple apart: not joined.
    if (this.join === null || tx.transport !== 'TCP') return this.emit([{ span, origin }]);
    const out = this.join.advance(completionNs(tx));
    const key = connectionKey(tx);
    if (tx.podRole === 'CLIENT') {
      out.push({ span, origin });
      const server = this.join.client(key, span, completionNs(tx));
      if (server !== null) out.push(server);
    } else {
      out.push(...this.join.server(key, span, completionNs(tx), origin));
    }
    return this.emit(out);
  }

  /** Call every serverHoldMs or so of wall time: SERVER spans that waited two ticks go out unjoined. */
  tick(): SpanRecord[] {
    return spansOf(this.tickFrom());
  }

  tickFrom(): Emitted[] {
    return this.emit(this.join?.tick() ?? []);
  }

  /** On stop: every SERVER span still waiting, unjoined. */
  flush(): SpanRecord[] {
    return spansOf(this.flushFrom());
  }

  flushFrom(): Emitted[] {
    return this.emit(this.join?.flush() ?? []);
  }

  /** The lowest origin ≥ `from` of a SERVER span still held (not yet emitted), or null. */
  oldestHeldOrigin(from: bigint): bigint | null {
    return this.join?.oldestHeldOrigin(from) ?? null;
  }

  stats(): CorrelatorStats {
    return {
      transactions: this.transactions,
      spans: this.spans,
      malformedHeaders: { ...this.malformed },
      traceSources: { ...this.sources },
      requestIdWindow: this.window.stats(),
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
