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

test('tracestate: limits of keys and values, multi-tenant keys, empty members', () => {
  assert.deepEqual(parseTracestate('a=1,,b=2'), { kind: 'ok', value: 'a=1,b=2' }, 'empty members are allowed and dropped');
  assert.equal(parseTracestate(Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(',')).kind, 'ok', '32 members');
  assert.equal(parseTracestate(`k=${'v'.repeat(256)}`).kind, 'ok', 'a 256-char value');
  assert.equal(parseTracestate(`${'k'.repeat(256)}=v`).kind, 'ok', 'a 256-char key');
  assert.equal(parseTracestate('0tenant@sys-1=v').kind, 'ok', 'a tenant id may start with a digit');
  for (const value of [
    `k=${'v'.repeat(257)}`,
    `${'k'.repeat(257)}=v`,
    '0key=v', // a simple key starts with a letter
    '@vendor=v',
    'tenant@=v',
    'tenant@Vendor=v',
    `tenant@${'s'.repeat(15)}=v`, // system id at most 14 chars
    'k=v ', // trailing space is trimmed away, but "k= " is not a value
    'k= ',
    'k=\u00e9',
    'k=v\u0000',
  ]) {
    const r = parseTracestate(value);
    if (value === 'k=v ') assert.equal(r.kind, 'ok', 'OWS around members is trimmed');
    else assert.equal(r.kind, 'malformed', JSON.stringify(value));
  }
});
