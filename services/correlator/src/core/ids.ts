// Deterministic ids, so replaying the same transactions produces the same spans (idempotent
// reprocessing). sha256 from node:crypto is a pure computation, not I/O; it is fast enough
// (~0.5 µs per id one-shot) and spreads short, similar inputs well.

import * as crypto from 'node:crypto';
import type { Transaction } from '@clovisor/core';

/** hex sha256: one-shot crypto.hash (Node ≥ 20.12) builds no Hash object, 2-3x faster than createHash */
const sha256Hex: (input: string) => string = typeof crypto.hash === 'function'
  ? (input) => crypto.hash('sha256', input, 'hex')
  : (input) => crypto.createHash('sha256').update(input).digest('hex');

/** `hexLen` hex chars of sha256(input), never all zero (an all-zero id is invalid in OTLP). */
export function hashId(input: string, hexLen: 16 | 32): string {
  const digest = sha256Hex(input);
  for (let at = 0; at + hexLen <= digest.length; at += hexLen) {
    const id = digest.slice(at, at + hexLen);
    if (!/^0+$/.test(id)) return id;
  }
  return '1'.padStart(hexLen, '0'); // 2^-256 odds; keeps the function total
}

/** The span of one captured transaction: one per flow, message position and capture side. */
export function spanIdFor(tx: Pick<Transaction, 'flowId' | 'messageIndex' | 'podRole'>): string {
  return hashId(`${tx.flowId}:${tx.messageIndex}:${tx.podRole}`, 16);
}

/** The trace of a transaction that carried no usable context: a root of its own. */
export function flowTraceIdFor(tx: Pick<Transaction, 'flowId' | 'messageIndex'>): string {
  return hashId(`${tx.flowId}:${tx.messageIndex}`, 32);
}

/** The trace shared by every hop that carries the same x-request-id and nothing else. */
export function requestIdTraceIdFor(requestId: string): string {
  return hashId(`x-request-id:${requestId}`, 32);
}
