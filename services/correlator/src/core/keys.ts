// Kafka keys, chosen so that everything one stage must join lands in one partition.

import type { SpanRecord, Transaction } from '@clovisor/core';
import { extractTraceContext } from './trace-context/extract.js';

/** clovisor.spans.v1: all spans of a trace together. */
export function spanKey(span: Pick<SpanRecord, 'traceId'>): string {
  return span.traceId;
}

/**
 * clovisor.transactions.v1: x-request-id (so hops that share only a request id meet in one
 * correlator), else the trace id from the headers, else the connection (client and server
 * address:port). Not the flow id: the CLIENT and SERVER captures of one request have different
 * flow ids (one per interface) but the same connection and the same headers, so with this key
 * both land in one partition and the correlator can join them. A connection's transactions
 * all share one key, so their order is kept as with the flow id.
 */
export function transactionKey(tx: Pick<Transaction, 'transport' | 'client' | 'server' | 'http'>): string {
  const ctx = extractTraceContext(tx.http?.requestHeaders ?? {});
  return ctx.requestId ?? ctx.traceId ?? connectionPartitionKey(tx);
}

function connectionPartitionKey(tx: Pick<Transaction, 'transport' | 'client' | 'server'>): string {
  return `${tx.transport.toLowerCase()}:[${tx.client.address}]:${tx.client.port}-[${tx.server.address}]:${tx.server.port}`;
}
