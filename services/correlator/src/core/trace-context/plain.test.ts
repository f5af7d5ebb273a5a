import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlainValue } from './plain.js';

test('plain values (x-request-id, x-envoy-decorator-operation): trimmed, up to 256 printable ASCII chars', () => {
  assert.deepEqual(parsePlainValue('x-request-id', ' 9a1c3b8e-2f4d-4c6b-8a7e-1d2c3b4a5f60 '), { kind: 'ok', value: '9a1c3b8e-2f4d-4c6b-8a7e-1d2c3b4a5f60' });
  assert.deepEqual(parsePlainValue('x-envoy-decorator-operation', 'orders.shop.svc:8080/*'), { kind: 'ok', value: 'orders.shop.svc:8080/*' });
  assert.deepEqual(parsePlainValue('x-request-id', 'x'.repeat(256)), { kind: 'ok', value: 'x'.repeat(256) });
  assert.deepEqual(parsePlainValue('x-request-id', 'a b'), { kind: 'ok', value: 'a b' }, 'inner spaces are printable');
});

test('plain values: empty, oversized and non-printable values are malformed, named in the reason', () => {
  for (const value of ['', '   ', '\t', 'x'.repeat(257), 'a\nb', 'a\u0000b', 'a\tb', 'caf\u00e9', '\u{1F600}', 'ok\u007f']) {
    const r = parsePlainValue('x-request-id', value);
    assert.equal(r.kind, 'malformed', JSON.stringify(value));
    assert.ok(r.kind === 'malformed' && r.reason.startsWith('x-request-id: '), JSON.stringify(r));
  }
});
