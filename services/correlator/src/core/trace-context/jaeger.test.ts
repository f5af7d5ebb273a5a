import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUberTraceId } from './jaeger.js';

test('uber-trace-id: full, short (left-padded) and URL-encoded forms', () => {
  assert.deepEqual(parseUberTraceId('4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1'), {
    kind: 'ok',
    value: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentSpanId: '00f067aa0ba902b7', traceFlags: 1 },
  });
  assert.deepEqual(parseUberTraceId('ABC:1f:0:0'), {
    kind: 'ok',
    value: { traceId: '00000000000000000000000000000abc', parentSpanId: '000000000000001f', traceFlags: 0 },
  });
  assert.deepEqual(parseUberTraceId('a3ce929d0e0e4736%3Ab7ad6b7169203331%3a0%3A3'), {
    kind: 'ok',
    value: { traceId: '0000000000000000a3ce929d0e0e4736', parentSpanId: 'b7ad6b7169203331', traceFlags: 1 },
  });
  // debug (bit 1) without sampled still means sampled
  const debug = parseUberTraceId('abc:1f:0:2');
  assert.ok(debug.kind === 'ok' && debug.value.traceFlags === 1);
});

test('uber-trace-id: malformed values', () => {
  for (const value of ['', 'abc:1f:0', 'abc:1f:0:1:9', '0:1f:0:1', 'abc:0:0:1', 'xyz:1f:0:1', 'abc:1f:0:100', 'abc:1f::1', `${'a'.repeat(33)}:1f:0:1`, 'abc:11111111111111111:0:1']) {
    assert.equal(parseUberTraceId(value).kind, 'malformed', value);
  }
});

test('uber-trace-id: more malformed values (empty fields, stray separators, non-hex, signs)', () => {
  for (const value of [':::', 'abc:1f:0:', ':1f:0:1', 'abc::0:1', 'abc:1f:0:1%3A', 'abc:1f:0:1:', 'abc:-1f:0:1', 'abc:1f:0:0x1', 'a b:1f:0:1', 'abc:1f:0:1\u0000', 'abc;1f;0;1', 'abc%3A1f']) {
    assert.equal(parseUberTraceId(value).kind, 'malformed', JSON.stringify(value));
  }
  assert.equal(parseUberTraceId(' abc:1f:0:1 ').kind, 'ok', 'surrounding whitespace is trimmed');
  assert.equal(parseUberTraceId('abc:1f:0:ff').kind, 'ok', 'unknown flag bits are ignored');
});
