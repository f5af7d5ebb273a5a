// Pairing for protocols whose responses come back in request order (HTTP/1 with pipelining,
// Redis, PostgreSQL query cycles). Shared so the rule lives in one place.
import type { Framed } from './protocol.js';

/**
 * The index (>= next) of the request that `response` answers, or -1 when no captured request
 * can own it yet. Normally that is the oldest unanswered request; after a resync the response
 * goes to the newest request that started before it, since the responses of the requests in
 * between were lost in the gap.
 */
export function inOrderOwner<F>(requests: readonly Framed<F>[], next: number, response: Framed<F>): number {
  if (next >= requests.length || requests[next]!.startNs > response.startNs) return -1;
  let owner = next;
  if (response.afterResync) {
    while (owner + 1 < requests.length && requests[owner + 1]!.startNs <= response.startNs) owner++;
  }
  return owner;
}
