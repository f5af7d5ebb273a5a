// Everything that depends on which side of the connection we captured, in one place.
//
// SERVER: captured entering the server pod; its failures are the server's (5xx).
// CLIENT: captured leaving the client pod; a 4xx is a failure from the caller's view.
// Per the OpenTelemetry HTTP conventions, status stays UNSET unless it is an error, and a
// request without a response is an error on both sides.

import type { Endpoint, PodRole, SpanKind, StatusCode, Transaction } from '@clovisor/core';

export interface RoleStatus {
  status: StatusCode;
  statusMessage: string | null;
  /** semconv `error.type`: the status code as a string, or why there was no response */
  errorType: string | null;
}

export function spanKindFor(role: PodRole): SpanKind {
  return role === 'SERVER' ? 'SERVER' : 'CLIENT';
}

export function httpStatusFor(role: PodRole, statusCode: number | null): RoleStatus {
  if (statusCode === null) {
    return { status: 'ERROR', statusMessage: 'no response captured', errorType: 'no_response' };
  }
  const threshold = role === 'SERVER' ? 500 : 400;
  if (statusCode >= threshold) return { status: 'ERROR', statusMessage: null, errorType: String(statusCode) };
  return { status: 'UNSET', statusMessage: null, errorType: null };
}

/** The remote end as seen on the wire from the captured pod (semconv network.peer.*). */
export function peerEndpoint(tx: Pick<Transaction, 'podRole' | 'client' | 'server'>): Endpoint {
  return tx.podRole === 'SERVER' ? tx.client : tx.server;
}

/** The captured pod's own end (semconv network.local.*). */
export function localEndpoint(tx: Pick<Transaction, 'podRole' | 'client' | 'server'>): Endpoint {
  return tx.podRole === 'SERVER' ? tx.server : tx.client;
}
