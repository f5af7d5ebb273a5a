import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestIdHold } from './request-id-hold.js';

const MS = 1_000_000n;
const T0 = 1_763_890_000_000n * MS;

test('hold: take returns the hops of a request id in arrival order, once', () => {
  const h = new RequestIdHold<string>({ holdMs: 2_000 });
  assert.deepEqual(h.hold('r1', 'a', T0), []);
  assert.deepEqual(h.hold('r2', 'x', T0 + MS), []);
  assert.deepEqual(h.hold('r1', 'b', T0 + 2n * MS), []);
  assert.deepEqual(h.take('r1'), ['a', 'b']);
  assert.deepEqual(h.take('r1'), []);
  assert.deepEqual(h.stats(), { held: 1, resolved: 2, expired: 0, evictedFull: 0, idle: 0, flushed: 0 });
});

test('hold: the capture clock releases a request id holdMs after its first hop', () => {
  const h = new RequestIdHold<string>({ holdMs: 2_000 });
  h.hold('r1', 'a', T0);
  h.hold('r2', 'b', T0 + 1_000n * MS);
  assert.deepEqual(h.advance(T0 + 2_000n * MS), [], 'exactly holdMs: still waiting');
  assert.deepEqual(h.advance(T0 + 2_001n * MS), ['a']);
  assert.deepEqual(h.advance(T0 + 1_500n * MS), [], 'the clock never goes back');
  assert.deepEqual(h.advance(T0 + 3_001n * MS), ['b']);
  assert.equal(h.stats().expired, 2);
  assert.equal(h.stats().held, 0);
});

test('hold: bounded — the oldest request id goes first when full, counted', () => {
  const h = new RequestIdHold<string>({ capacity: 3 });
  h.hold('r1', 'a', T0);
  h.hold('r1', 'b', T0);
  h.hold('r2', 'c', T0);
  assert.deepEqual(h.hold('r3', 'd', T0), ['a', 'b'], 'both hops of the oldest request id');
  assert.deepEqual(h.stats(), { held: 2, resolved: 0, expired: 0, evictedFull: 2, idle: 0, flushed: 0 });
});

test('hold: idle ticks release hops held since before the previous tick; flush releases the rest', () => {
  const h = new RequestIdHold<string>();
  h.hold('r1', 'a', T0);
  assert.deepEqual(h.tick(), [], 'held during this interval: one more');
  h.hold('r2', 'b', T0);
  assert.deepEqual(h.tick(), ['a']);
  assert.deepEqual(h.flush(), ['b']);
  assert.deepEqual(h.stats(), { held: 0, resolved: 0, expired: 0, evictedFull: 0, idle: 1, flushed: 1 });
});

test('hold: rejects nonsense options', () => {
  assert.throws(() => new RequestIdHold({ holdMs: 0 }), RangeError);
  assert.throws(() => new RequestIdHold({ capacity: 0 }), RangeError);
});
