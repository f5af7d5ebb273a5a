import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@clovisor/core';
import { parseBound } from './topic-range.js';

test('--start/--end: digits are an offset, an ISO time with a zone keeps its nanoseconds', () => {
  assert.deepEqual(parseBound('--start', '0'), { kind: 'offset', offset: 0n });
  assert.deepEqual(parseBound('--start', '18446744073709551'), { kind: 'offset', offset: 18446744073709551n });
  assert.deepEqual(parseBound('--end', '2026-11-23T10:00:00Z'), { kind: 'time', ms: Date.UTC(2026, 10, 23, 10), ns: BigInt(Date.UTC(2026, 10, 23, 10)) * 1_000_000n });
  const t = parseBound('--start', '2026-11-23T10:00:00.123456789+01:00');
  assert.equal(t.kind, 'time');
  assert.equal(t.kind === 'time' && t.ns, BigInt(Date.UTC(2026, 10, 23, 9)) * 1_000_000n + 123_456_789n);
  assert.equal(t.kind === 'time' && t.ms, Date.UTC(2026, 10, 23, 9) + 123);
  for (const bad of ['yesterday', '2026-11-23T10:00:00', '2026-11-23', '-1', '1.5', '2026-13-45T99:00:00Z']) {
    assert.throws(() => parseBound('--start', bad), (e: unknown) => e instanceof ConfigError && /--start ".*": give an offset/.test(e.message), bad);
  }
});
