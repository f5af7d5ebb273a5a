// Kafka keys, chosen so that everything one stage must join lands in one partition.

import type { SpanRecord, Transaction } from '@clovisor/core';
import { extractTraceContext } from './trace-context/extract.js';

/** clovisor.spans.v1: all spans of a trace together. */
export function spanKey(span: Pick<SpanRecord, 'traceId'>): string {
  return span.traceId;
}

/**
 * clovisor.transactions.v1: x-request-id (so hops that share only a request id meet in one
 * correlator), else the trace id from the headers, else the flow id.
 */
export function transactionKey(tx: Pick<Transaction, 'flowId' | 'http'>): string {
  const ctx = extractTraceContext(tx.http?.requestHeaders ?? {});
  return ctx.requestId ?? ctx.traceId ?? tx.flowId;
}
