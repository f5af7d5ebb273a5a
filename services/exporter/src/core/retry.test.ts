import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClovisorError } from '@clovisor/core';
import { sleep } from '../io/sleep.js';
import { ExportError } from './export-error.js';
import { backoffDelayMs, retry } from './retry.js';

const transient = () => new ExportError('OTLP_UNAVAILABLE', 'down', { retryable: true });
const permanent = () => new ExportError('OTLP_REJECTED', 'bad', { retryable: false });

test('backoff: exponential, capped, jittered within bounds', () => {
  const opts = { baseDelayMs: 100, maxDelayMs: 1_000, jitter: 0 };
  assert.deepEqual([1, 2, 3, 4, 5, 9].map((n) => backoffDelayMs(n, opts)), [100, 200, 400, 800, 1_000, 1_000]);
  assert.equal(backoffDelayMs(1, { baseDelayMs: 100, jitter: 0.2 }, () => 0), 80);
  assert.equal(backoffDelayMs(1, { baseDelayMs: 100, jitter: 0.2 }, () => 1), 120);
  assert.equal(backoffDelayMs(2, { baseDelayMs: 100, multiplier: 3, jitter: 0 }), 300);
});

test('retry: transient failures are retried until success, with real sleeps', async () => {
  const delays: number[] = [];
  let calls = 0;
  const started = Date.now();
  const result = await retry(
    async (attempt) => {
      calls++;
      if (attempt < 4) throw transient();
      return 'ok';
    },
    { sleep, baseDelayMs: 5, jitter: 0, onRetry: ({ delayMs }) => delays.push(delayMs) },
  );
  assert.equal(result, 'ok');
  assert.equal(calls, 4);
  assert.deepEqual(delays, [5, 10, 20]);
  assert.ok(Date.now() - started >= 30, 'it really waited');
});

test('retry: a permanent error stops at once', async () => {
  let calls = 0;
  await assert.rejects(
    retry(async () => {
      calls++;
      throw permanent();
    }, { sleep, baseDelayMs: 1 }),
    (err: unknown) => err instanceof ExportError && err.code === 'OTLP_REJECTED',
  );
  assert.equal(calls, 1);
});

test('retry: maxAttempts rethrows the last error', async () => {
  let calls = 0;
  await assert.rejects(
    retry(async () => {
      calls++;
      throw transient();
    }, { sleep, baseDelayMs: 1, maxAttempts: 3 }),
    (err: unknown) => err instanceof ExportError && err.retryable,
  );
  assert.equal(calls, 3);
});

test('retry: a retryAfter hint replaces the backoff (capped)', async () => {
  const delays: number[] = [];
  let calls = 0;
  await retry(
    async () => {
      if (calls++ === 0) throw new ExportError('OTLP_UNAVAILABLE', 'throttled', { retryable: true, retryAfterMs: 25 });
      if (calls === 2) throw new ExportError('OTLP_UNAVAILABLE', 'throttled', { retryable: true, retryAfterMs: 10_000 });
    },
    { sleep, baseDelayMs: 1, jitter: 0, maxRetryAfterMs: 15, onRetry: ({ delayMs }) => delays.push(delayMs) },
  );
  assert.deepEqual(delays, [15, 15]);
  const started = Date.now();
  await retry(
    async (attempt) => {
      if (attempt === 1) throw new ExportError('OTLP_UNAVAILABLE', 'throttled', { retryable: true, retryAfterMs: 30 });
    },
    { sleep, baseDelayMs: 1 },
  );
  assert.ok(Date.now() - started >= 29, 'waited for the hint, not the 1 ms backoff');
});

test('retry: an abort during the wait stops promptly, retryable, with the last error as cause', async () => {
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(), 20);
  const last = transient();
  await assert.rejects(
    retry(async () => {
      throw last;
    }, { sleep, baseDelayMs: 10_000, signal: controller.signal }),
    (err: unknown) => err instanceof ClovisorError && err.code === 'RETRY_ABORTED' && err.retryable && err.cause === last,
  );
  assert.ok(Date.now() - started < 1_000, 'did not sit out the 10 s backoff');
});

test('retry: not started when already aborted; non-Clovisor errors are not retried by default', async () => {
  const controller = new AbortController();
  controller.abort();
  let calls = 0;
  await assert.rejects(retry(async () => calls++, { sleep, signal: controller.signal }), /stopped/);
  assert.equal(calls, 0);
  await assert.rejects(
    retry(async () => {
      calls++;
      throw new TypeError('bug');
    }, { sleep, baseDelayMs: 1 }),
    TypeError,
  );
  assert.equal(calls, 1);
});
