// Which trace a span joins, and under which parent. In order:
//   1. the context in its own headers (child of the span id the caller sent);
//   2. a trace learned from another hop with the same x-request-id (child of that hop's span);
//   3. a trace derived from the x-request-id alone, so hops that carry nothing else still
//      share a trace, whatever order they are seen in (roots, no parent);
//   4. a trace derived from flow id + message position (a root of its own).
// Derivations are hashes, so replays give the same ids.

import type { Transaction } from '@clovisor/core';
import { flowTraceIdFor, requestIdTraceIdFor } from './ids.js';
import type { ContextSource, TraceContext } from './trace-context/extract.js';

// 'client-span' is not chosen here: the correlator sets it on a SERVER span it made a child of
// the CLIENT capture of the same request (connection-join.ts).
export type TraceSource = ContextSource | 'x-request-id-learned' | 'x-request-id' | 'flow' | 'client-span';

export const TRACE_SOURCES: readonly TraceSource[] = [
  'w3c',
  'b3',
  'b3-single',
  'jaeger',
  'x-request-id-learned',
  'x-request-id',
  'flow',
  'client-span',
];

/** What another hop with the same x-request-id taught us. */
export interface LearnedTrace {
  traceId: string;
  /** the span that carried the real context; the parent of hops that only share the request id */
  spanId: string;
  traceFlags: number;
  traceState: string | null;
}

export interface ResolvedTrace {
  traceId: string;
  parentSpanId: string | null;
  traceFlags: number;
  traceState: string | null;
  source: TraceSource;
}

const DEFAULT_FLAGS = 1; // sampled: we did record it

export function resolveTrace(
  tx: Pick<Transaction, 'flowId' | 'messageIndex'>,
  ctx: TraceContext,
  learned: LearnedTrace | null,
  deriveFromRequestId: boolean,
): ResolvedTrace {
  if (ctx.source !== null && ctx.traceId !== null) {
    return {
      traceId: ctx.traceId,
      parentSpanId: ctx.parentSpanId,
      traceFlags: ctx.traceFlags ?? DEFAULT_FLAGS,
      traceState: ctx.traceState,
      source: ctx.source,
    };
  }
  if (learned !== null) {
    return { ...learned, parentSpanId: learned.spanId, source: 'x-request-id-learned' };
  }
  const traceFlags = ctx.traceFlags ?? DEFAULT_FLAGS;
  if (deriveFromRequestId && ctx.requestId !== null) {
    return { traceId: requestIdTraceIdFor(ctx.requestId), parentSpanId: null, traceFlags, traceState: null, source: 'x-request-id' };
  }
  return { traceId: flowTraceIdFor(tx), parentSpanId: null, traceFlags, traceState: null, source: 'flow' };
}
