import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestIdWindow } from './request-id-window.js';

const S = 1_000_000_000n;
const T0 = 1_763_890_000n * S;
const trace = (n: number) => ({ traceId: String(n).padStart(32, '0'), spanId: String(n).padStart(16, '0'), traceFlags: 1, traceState: null });

test('window: learns, finds within the window, misses after it', () => {
  const w = new RequestIdWindow({ windowMs: 30_000 });
  w.learn('r1', trace(1), T0);
  assert.deepEqual(w.lookup('r1', T0 + 10n * S), trace(1));
  assert.deepEqual(w.lookup('r1', T0 - 10n * S), trace(1), 'earlier capture time inside the window');
  assert.equal(w.lookup('r1', T0 + 31n * S), null);
  assert.equal(w.lookup('nope', T0), null);
  assert.deepEqual(w.stats(), { size: 0, learned: 1, hits: 2, misses: 2, expired: 1, evictedFull: 0 });
});

test('window: the first trace learned wins until it expires', () => {
  const w = new RequestIdWindow({ windowMs: 1_000 });
  w.learn('r', trace(1), T0);
  w.learn('r', trace(2), T0 + S / 2n);
  assert.deepEqual(w.lookup('r', T0 + S / 2n), trace(1));
  w.learn('r', trace(3), T0 + 5n * S);
  assert.deepEqual(w.lookup('r', T0 + 5n * S), trace(3));
});

test('window: bounded — the oldest entry is evicted and counted', () => {
  const w = new RequestIdWindow({ windowMs: 60_000, capacity: 3 });
  for (let i = 0; i < 5; i++) w.learn(`r${i}`, trace(i), T0 + BigInt(i));
  const stats = w.stats();
  assert.equal(stats.size, 3);
  assert.equal(stats.evictedFull, 2);
  assert.equal(w.lookup('r0', T0), null);
  assert.deepEqual(w.lookup('r4', T0), trace(4));
});

test('window: a large burst stays within capacity and expiry sweeps old entries', () => {
  const w = new RequestIdWindow({ windowMs: 1_000, capacity: 10_000 });
  for (let i = 0; i < 50_000; i++) w.learn(`r${i}`, trace(i), T0 + BigInt(i) * 1_000n);
  assert.ok(w.stats().size <= 10_000);
  w.learn('late', trace(1), T0 + 10n * S);
  assert.equal(w.stats().size, 1, 'everything older than the window is gone');
});

test('window: rejects nonsense options', () => {
  assert.throws(() => new RequestIdWindow({ windowMs: 0 }), RangeError);
  assert.throws(() => new RequestIdWindow({ capacity: 0 }), RangeError);
});
