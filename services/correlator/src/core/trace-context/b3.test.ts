import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseB3Multi } from './b3-multi.js';
import { parseB3Single } from './b3-single.js';

const T128 = '80f198ee56343ba864fe8b2a57d3eff7';
const T64 = 'a3ce929d0e0e4736';
const SPAN = 'e457b5a2e4d86bd1';
const PARENT = '05e3ac9a4f6e3b90';

test('b3 single: full, short and sampling-only forms', () => {
  assert.deepEqual(parseB3Single(`${T128}-${SPAN}-1-${PARENT}`), {
    kind: 'ok',
    value: { traceId: T128, parentSpanId: SPAN, traceFlags: 1 },
  });
  assert.deepEqual(parseB3Single(`${T64}-${SPAN}`), {
    kind: 'ok',
    value: { traceId: `0000000000000000${T64}`, parentSpanId: SPAN, traceFlags: null },
  });
  assert.deepEqual(parseB3Single(`${T64.toUpperCase()}-${SPAN}-d`), {
    kind: 'ok',
    value: { traceId: `0000000000000000${T64}`, parentSpanId: SPAN, traceFlags: 1 },
  });
  assert.deepEqual(parseB3Single(`${T128}-${SPAN}-0`).kind, 'ok');
  assert.deepEqual(parseB3Single('0'), { kind: 'sampling-only', value: { traceFlags: 0 } });
  assert.deepEqual(parseB3Single('1'), { kind: 'sampling-only', value: { traceFlags: 1 } });
  assert.deepEqual(parseB3Single('d'), { kind: 'sampling-only', value: { traceFlags: 1 } });
});

test('b3 single: malformed values', () => {
  for (const value of [
    '',
    'x',
    'true',
    `${T128}`,
    `${T128.slice(2)}-${SPAN}`, // 30 hex
    `${'0'.repeat(32)}-${SPAN}`,
    `${T128}-${'0'.repeat(16)}`,
    `${T128}-${SPAN.slice(1)}`,
    `${T128}-${SPAN}-2`,
    `${T128}-${SPAN}-true`,
    `${T128}-${SPAN}-1-zz`,
    `${T128}-${SPAN}-1-${PARENT}-extra`,
  ]) {
    assert.equal(parseB3Single(value).kind, 'malformed', value);
  }
});

test('b3 multi: ids, padding, sampled and debug flags', () => {
  assert.equal(parseB3Multi({}), null);
  assert.deepEqual(parseB3Multi({ 'x-b3-traceid': T64, 'x-b3-spanid': SPAN, 'x-b3-parentspanid': PARENT, 'x-b3-sampled': '1' }), {
    kind: 'ok',
    value: { traceId: `0000000000000000${T64}`, parentSpanId: SPAN, traceFlags: 1 },
  });
  assert.deepEqual(parseB3Multi({ 'x-b3-traceid': T128, 'x-b3-spanid': SPAN, 'x-b3-flags': '1', 'x-b3-sampled': '0' }), {
    kind: 'ok',
    value: { traceId: T128, parentSpanId: SPAN, traceFlags: 1 },
  });
  assert.deepEqual(parseB3Multi({ 'x-b3-traceid': T128, 'x-b3-spanid': SPAN, 'x-b3-sampled': 'false' }), {
    kind: 'ok',
    value: { traceId: T128, parentSpanId: SPAN, traceFlags: 0 },
  });
  assert.deepEqual(parseB3Multi({ 'x-b3-traceid': T128, 'x-b3-spanid': SPAN }), {
    kind: 'ok',
    value: { traceId: T128, parentSpanId: SPAN, traceFlags: null },
  });
  assert.deepEqual(parseB3Multi({ 'x-b3-sampled': '0' }), { kind: 'sampling-only', value: { traceFlags: 0 } });
});

test('b3 multi: malformed combinations', () => {
  const cases: Record<string, string>[] = [
    { 'x-b3-traceid': T128 }, // span id missing
    { 'x-b3-spanid': SPAN }, // trace id missing
    { 'x-b3-traceid': T128.slice(4), 'x-b3-spanid': SPAN },
    { 'x-b3-traceid': T128, 'x-b3-spanid': 'nothex!!nothex!!' },
    { 'x-b3-traceid': T128, 'x-b3-spanid': SPAN, 'x-b3-parentspanid': '12' },
    { 'x-b3-traceid': T128, 'x-b3-spanid': SPAN, 'x-b3-sampled': 'd' },
    { 'x-b3-traceid': T128, 'x-b3-spanid': SPAN, 'x-b3-flags': '2' },
    { 'x-b3-traceid': '0'.repeat(16), 'x-b3-spanid': SPAN },
  ];
  for (const headers of cases) assert.equal(parseB3Multi(headers)?.kind, 'malformed', JSON.stringify(headers));
});

test('b3 single: more malformed values (empty fields, stray separators, upper-case debug)', () => {
  for (const value of ['-', '--', `${T128}-`, `-${SPAN}`, `${T128}-${SPAN}-`, `${T128}-${SPAN}-1-`, `${T128}-${SPAN}-D`, `${T128} -${SPAN}`, `${T128}-${SPAN}-1-${PARENT.toUpperCase()}x`, `${T128}${T128}-${SPAN}`, `${T128}-${SPAN}${SPAN}`, 'é']) {
    assert.equal(parseB3Single(value).kind, 'malformed', value);
  }
  assert.equal(parseB3Single(`  ${T128}-${SPAN}-1  `).kind, 'ok', 'surrounding whitespace is trimmed');
});

test('b3 multi: empty values, a lone parent id, debug flag alone, trimmed values', () => {
  for (const headers of [
    { 'x-b3-traceid': '', 'x-b3-spanid': SPAN },
    { 'x-b3-traceid': T128, 'x-b3-spanid': '' },
    { 'x-b3-parentspanid': PARENT }, // a parent without ids
    { 'x-b3-traceid': `${T128}${T64}`, 'x-b3-spanid': SPAN }, // 48 hex
    { 'x-b3-traceid': T128, 'x-b3-spanid': SPAN, 'x-b3-sampled': 'yes' },
    { 'x-b3-traceid': T128, 'x-b3-spanid': SPAN, 'x-b3-sampled': '' },
    { 'x-b3-sampled': '2' },
    { 'x-b3-flags': 'true' },
  ] as Record<string, string>[]) {
    assert.equal(parseB3Multi(headers)?.kind, 'malformed', JSON.stringify(headers));
  }
  assert.deepEqual(parseB3Multi({ 'x-b3-flags': '1' }), { kind: 'sampling-only', value: { traceFlags: 1 } }, 'debug alone: sampled, no ids');
  assert.deepEqual(parseB3Multi({ 'x-b3-traceid': ` ${T128} `, 'x-b3-spanid': ` ${SPAN.toUpperCase()} `, 'x-b3-flags': '0', 'x-b3-sampled': '1' }), {
    kind: 'ok',
    value: { traceId: T128, parentSpanId: SPAN, traceFlags: 1 },
  });
});
