import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTracestate } from './tracestate.js';

test('tracestate: valid lists pass with whitespace normalised', () => {
  assert.deepEqual(parseTracestate('rojo=00f067aa0ba902b7 , congo=t61rcWkgMzE'), {
    kind: 'ok',
    value: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
  });
  assert.deepEqual(parseTracestate('tenant@vendor=a b'), { kind: 'ok', value: 'tenant@vendor=a b' });
  assert.deepEqual(parseTracestate(' , '), { kind: 'ok', value: null });
});

test('tracestate: bad members, duplicates, too many, too long are malformed', () => {
  const members = Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',');
  for (const value of ['novalue', '=v', 'Upper=v', 'k=a,b', 'k=v ,k=w', 'k=v=w', 'k=a\tb', members, `k=${'x'.repeat(600)}`]) {
    assert.equal(parseTracestate(value).kind, 'malformed', value.slice(0, 40));
  }
});
