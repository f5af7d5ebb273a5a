// A realistic captured transaction for tests (here and in the exporter): a curl in pod
// frontend-7d9f calling the orders service, captured entering the orders pod.

import { noProtocolFields, type Transaction } from '@clovisor/core';

export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
export const CALLER_SPAN_ID = '00f067aa0ba902b7';
export const REQUEST_ID = '9a1c3b8e-2f4d-4c6b-8a7e-1d2c3b4a5f60';

export function httpTransaction(overrides: Partial<Transaction> = {}, headers: Record<string, string> = {}): Transaction {
  const base: Transaction = {
    id: 'f1a2b3c4d5e6f708:3',
    flowId: 'f1a2b3c4d5e6f708',
    messageIndex: 3,
    protocol: 'http',
    transport: 'TCP',
    node: 'worker-1',
    interfaceName: 'veth1a2b3c',
    podRole: 'SERVER',
    pod: { service: 'orders', namespace: 'shop', name: 'orders-5c8d7b-x2k4p', node: 'worker-1' },
    peer: { service: 'frontend', namespace: 'shop', name: 'frontend-7d9f-abcde', node: 'worker-2' },
    client: { address: '10.244.1.17', port: 51234 },
    server: { address: '10.244.2.9', port: 8080 },
    requestSeq: 3_812_004_117,
    requestStartNs: 1_763_890_000_123_456_789n,
    requestEndNs: 1_763_890_000_123_556_789n,
    responseStartNs: 1_763_890_000_135_000_000n,
    responseEndNs: 1_763_890_000_135_789_123n,
    requestBytes: 212,
    responseBytes: 1_480,
    complete: true,
    notes: [],
    ...noProtocolFields(),
    http: {
      method: 'GET',
      target: '/api/orders/12345?limit=10',
      path: '/api/orders/12345',
      query: 'limit=10',
      version: '1.1',
      statusCode: 200,
      reason: 'OK',
      requestHeaders: {
        host: 'orders.shop.svc.cluster.local:8080',
        'user-agent': 'curl/8.5.0',
        'x-request-id': REQUEST_ID,
        traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01`,
        tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
        ...headers,
      },
      responseHeaders: { 'content-type': 'application/json', 'content-length': '1342' },
      requestBodyBytes: 0,
      responseBodyBytes: 1342,
    },
  };
  return { ...base, ...overrides };
}

/** The same transaction with only the given request headers (plus host). */
export function withHeaders(headers: Record<string, string>, overrides: Partial<Transaction> = {}): Transaction {
  const tx = httpTransaction(overrides);
  if (tx.http === null) return tx;
  return { ...tx, http: { ...tx.http, requestHeaders: { host: 'orders:8080', ...headers } } };
}

/**
 * The CLIENT capture of the same request as `server`: captured leaving the frontend pod on
 * another node, so another interface and flow id (and message position: capture there started
 * earlier), the same connection and TCP sequence, the same request bytes, and the request seen
 * 40 µs earlier, the response 40 µs later.
 */
export function clientCaptureOf(server: Transaction, overrides: Partial<Transaction> = {}): Transaction {
  const skew = 40_000n;
  return {
    ...server,
    id: 'c0ffee0000a1b2c3:5',
    flowId: 'c0ffee0000a1b2c3',
    messageIndex: 5,
    node: 'worker-2',
    interfaceName: 'veth7e6f5d',
    podRole: 'CLIENT',
    pod: server.peer,
    peer: server.pod,
    requestStartNs: server.requestStartNs - skew,
    requestEndNs: server.requestEndNs - skew,
    responseStartNs: server.responseStartNs === null ? null : server.responseStartNs + skew,
    responseEndNs: server.responseEndNs === null ? null : server.responseEndNs + skew,
    ...overrides,
  };
}
