// Retry with exponential backoff and jitter, for pushes whose failure is retryable.
//
//   delay(n) = min(maxDelayMs, baseDelayMs * multiplier^(n-1)) * (1 ± jitter)   n = 1, 2, ...
//
// A retryAfterMs hint on the error (Retry-After, gRPC RetryInfo) replaces the computed delay,
// capped by maxRetryAfterMs. Stops at the first permanent error, after maxAttempts, or when
// the signal aborts (the wait is cut short). Pure over the injected sleep and random.

import { ClovisorError } from '@clovisor/core';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RetryOptions {
  sleep: Sleep;
  baseDelayMs?: number; // default 100
  maxDelayMs?: number; // default 30 000
  multiplier?: number; // default 2
  /** fraction of the delay added or removed at random; default 0.2 */
  jitter?: number;
  /** attempts in total, the first one included; default unlimited (until aborted) */
  maxAttempts?: number;
  maxRetryAfterMs?: number; // default 60 000
  signal?: AbortSignal;
  random?: () => number;
  isRetryable?: (err: unknown) => boolean;
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

export function backoffDelayMs(attempt: number, opts: Omit<RetryOptions, 'sleep'>, random: () => number = Math.random): number {
  const base = opts.baseDelayMs ?? 100;
  const max = opts.maxDelayMs ?? 30_000;
  const jitter = opts.jitter ?? 0.2;
  const raw = Math.min(max, base * (opts.multiplier ?? 2) ** (attempt - 1));
  return Math.max(0, raw * (1 + jitter * (2 * random() - 1)));
}

export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const isRetryable = opts.isRetryable ?? ((err: unknown) => err instanceof ClovisorError && err.retryable);
  const maxAttempts = opts.maxAttempts ?? Number.POSITIVE_INFINITY;
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) throw aborted(attempt - 1, undefined);
    let error: unknown;
    try {
      return await fn(attempt);
    } catch (err) {
      error = err;
    }
    if (!isRetryable(error) || attempt >= maxAttempts) throw error;
    const delayMs = retryAfter(error, opts.maxRetryAfterMs ?? 60_000) ?? backoffDelayMs(attempt, opts, opts.random);
    opts.onRetry?.({ attempt, delayMs, error });
    try {
      await opts.sleep(delayMs, opts.signal);
    } catch {
      throw aborted(attempt, error);
    }
    if (opts.signal?.aborted) throw aborted(attempt, error);
  }
}

function retryAfter(err: unknown, cap: number): number | null {
  const hint = (err as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof hint === 'number' && Number.isFinite(hint) && hint >= 0 ? Math.min(hint, cap) : null;
}

/** Still retryable: the work was not done and may be tried again after a restart. */
function aborted(attempts: number, last: unknown): ClovisorError {
  return new ClovisorError('RETRY_ABORTED', `gave up after ${attempts} attempt(s): stopped`, { retryable: true, cause: last });
}
