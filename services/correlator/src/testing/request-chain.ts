// Requests through two hops, as the decoder emits them, for restart tests: hop 1 (frontend →
// orders) carries traceparent + x-request-id, hop 2 (orders → stock) only the x-request-id.
// Both ends of each hop are captured; the SERVER capture comes first (its response completes
// first). Per request, in order: hop-1 SERVER, hop-1 CLIENT, hop-2 SERVER, hop-2 CLIENT.

import type { Transaction } from '@clovisor/core';
import { clientCaptureOf, httpTransaction, withHeaders } from './transactions.js';

export const RECORDS_PER_REQUEST = 4;

/** `spacingNs`: capture time between two requests (default 10 ms). */
export function requestChain(requests: number, runId = 'r', spacingNs = 10_000_000n): Transaction[] {
  const out: Transaction[] = [];
  const t0 = 1_763_890_000_000_000_000n;
  for (let i = 0; i < requests; i++) {
    const hex = i.toString(16).padStart(8, '0');
    const requestId = `${runId}-req-${i}`;
    const at = t0 + BigInt(i) * spacingNs;
    const timing = { requestStartNs: at, requestEndNs: at + 100_000n, responseStartNs: at + 2_000_000n, responseEndNs: at + 2_100_000n };
    const hop1 = httpTransaction({
      ...timing,
      id: `a1${hex}000000:${i}`, flowId: `a1${hex}000000`, messageIndex: i,
      client: { address: '10.244.1.17', port: 40000 + (i % 20000) }, requestSeq: 1000 + i,
    }, { 'x-request-id': requestId, traceparent: `00-${hex}${'f'.repeat(24)}-${hex}aaaaaaaa-01` });
    const hop1Client = clientCaptureOf(hop1, { id: `c1${hex}000000:${i}`, flowId: `c1${hex}000000`, messageIndex: i });
    const inner = { requestStartNs: at + 500_000n, requestEndNs: at + 600_000n, responseStartNs: at + 1_500_000n, responseEndNs: at + 1_600_000n };
    const hop2 = withHeaders({ 'x-request-id': requestId }, {
      ...inner,
      id: `a2${hex}000000:${i}`, flowId: `a2${hex}000000`, messageIndex: i,
      pod: { service: 'stock', namespace: 'shop', name: 'stock-6f7a-q1w2e', node: 'worker-1' },
      peer: { service: 'orders', namespace: 'shop', name: 'orders-5c8d7b-x2k4p', node: 'worker-1' },
      client: { address: '10.244.2.9', port: 30000 + (i % 20000) }, server: { address: '10.244.2.31', port: 9090 }, requestSeq: 5000 + i,
    });
    const hop2Client = clientCaptureOf(hop2, { id: `c2${hex}000000:${i}`, flowId: `c2${hex}000000`, messageIndex: i });
    out.push(hop1, hop1Client, hop2, hop2Client);
  }
  return out;
}
