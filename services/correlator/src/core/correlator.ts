// The correlator's pure core: transactions in, spans out, with bounded state and counters.
//
// Today one transaction gives one span. The state that later joins will need sits here:
// the x-request-id window (trace ids for hops that carry only a request id). Joining the
// CLIENT and SERVER captures of one request (by 5-tuple + requestSeq) would be a second
// bounded map next to it, and may then emit or amend more than one span per call; that is
// why process() returns an array.

import type { SpanRecord, Transaction } from '@clovisor/core';
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
}

export interface CorrelatorStats {
  transactions: number;
  spans: number;
  malformedHeaders: Record<HeaderFormat, number>;
  traceSources: Record<TraceSource, number>;
  requestIdWindow: RequestIdWindowStats;
}

const HEADER_CONTEXT_SOURCES: ReadonlySet<TraceSource> = new Set(['w3c', 'b3', 'b3-single', 'jaeger']);

export class Correlator {
  private readonly window: RequestIdWindow;
  private readonly deriveTraceFromRequestId: boolean;
  private transactions = 0;
  private spans = 0;
  private readonly malformed = zeroCounts(HEADER_FORMATS);
  private readonly sources = zeroCounts(TRACE_SOURCES);

  constructor(opts: CorrelatorOptions = {}) {
    this.window = new RequestIdWindow({ windowMs: opts.requestIdWindowMs, capacity: opts.requestIdCapacity });
    this.deriveTraceFromRequestId = opts.deriveTraceFromRequestId ?? true;
  }

  process(tx: Transaction): SpanRecord[] {
    this.transactions++;
    const context = extractTraceContext(tx.http?.requestHeaders ?? {});
    for (const format of context.malformed) this.malformed[format]++;
    const requestId = context.requestId;
    const hasHeaderContext = context.source !== null;
    const learned = requestId !== null && !hasHeaderContext ? this.window.lookup(requestId, tx.requestStartNs) : null;
    const { span, trace } = buildSpanWithTrace(tx, { context, learned, deriveTraceFromRequestId: this.deriveTraceFromRequestId });
    this.sources[trace.source]++;
    if (requestId !== null && HEADER_CONTEXT_SOURCES.has(trace.source)) {
      const learnt = { traceId: span.traceId, spanId: span.spanId, traceFlags: span.traceFlags, traceState: span.traceState };
      this.window.learn(requestId, learnt, tx.requestStartNs);
    }
    this.spans++;
    return [span];
  }

  stats(): CorrelatorStats {
    return {
      transactions: this.transactions,
      spans: this.spans,
      malformedHeaders: { ...this.malformed },
      traceSources: { ...this.sources },
      requestIdWindow: this.window.stats(),
    };
  }
}

function zeroCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}
