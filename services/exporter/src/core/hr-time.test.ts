import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nsToHrTime } from './hr-time.js';

test('nsToHrTime: exact split of epoch nanoseconds beyond 2^53', () => {
  assert.deepEqual(nsToHrTime(1_763_890_000_123_456_789n), [1_763_890_000, 123_456_789]);
  // the float path would have rounded this one: prove the test can tell
  assert.notEqual(Number(1_763_890_000_123_456_789n) % 1e9, 123_456_789);
  assert.deepEqual(nsToHrTime(0n), [0, 0]);
  assert.deepEqual(nsToHrTime(999_999_999n), [0, 999_999_999]);
  assert.deepEqual(nsToHrTime(1_000_000_000n), [1, 0]);
  assert.deepEqual(nsToHrTime(9_223_372_036_854_775_807n), [9_223_372_036, 854_775_807]);
  assert.throws(() => nsToHrTime(-1n), RangeError);
});
