import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTraceparent } from './w3c.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

test('traceparent: the spec example parses into ids and flags', () => {
  assert.deepEqual(parseTraceparent(`00-${TRACE}-${PARENT}-01`), {
    kind: 'ok',
    value: { traceId: TRACE, parentSpanId: PARENT, traceFlags: 1 },
  });
  assert.deepEqual(parseTraceparent(` 00-${TRACE}-${PARENT}-00 `), {
    kind: 'ok',
    value: { traceId: TRACE, parentSpanId: PARENT, traceFlags: 0 },
  });
});

test('traceparent: a future version with extra fields is read by its first four', () => {
  const r = parseTraceparent(`cc-${TRACE}-${PARENT}-09-whatever`);
  assert.deepEqual(r, { kind: 'ok', value: { traceId: TRACE, parentSpanId: PARENT, traceFlags: 9 } });
});

test('traceparent: every invalid shape is malformed, never thrown', () => {
  const bad = [
    '',
    'garbage',
    `ff-${TRACE}-${PARENT}-01`, // forbidden version
    `0-${TRACE}-${PARENT}-01`,
    `00-${TRACE.toUpperCase()}-${PARENT}-01`, // upper case
    `00-${'0'.repeat(32)}-${PARENT}-01`, // zero trace id
    `00-${TRACE}-${'0'.repeat(16)}-01`, // zero parent id
    `00-${TRACE}-${PARENT}-1`, // short flags
    `00-${TRACE}-${PARENT}-0g`,
    `00-${TRACE}-${PARENT}-01-extra`, // version 00 must be exactly 55 chars
    `00-${TRACE.slice(1)}-${PARENT}0-01`,
    `00_${TRACE}_${PARENT}_01`,
    `cc-${TRACE}-${PARENT}-01x`, // longer, but no "-" after the flags
  ];
  for (const value of bad) {
    const r = parseTraceparent(value);
    assert.equal(r.kind, 'malformed', `${JSON.stringify(value)} → ${JSON.stringify(r)}`);
  }
});

test('traceparent: more malformed shapes (non-hex ids, short future versions, stray characters)', () => {
  const bad = [
    '-',
    '00',
    `00-${TRACE}-${PARENT}`, // flags missing
    `00-${TRACE.slice(0, 31)}g-${PARENT}-01`, // non-hex trace id
    `00-${TRACE}-${PARENT.slice(0, 15)}z-01`, // non-hex parent id
    `00-${TRACE}-${PARENT.toUpperCase()}-01`,
    `00-${TRACE}-${PARENT}-01`.replace(/-/g, ' '),
    `cc-${TRACE}-${PARENT}`, // a future version still needs the four fields
    `CC-${TRACE}-${PARENT}-01`, // upper-case version
    `00-${TRACE}-${PARENT}-01\u0000`,
    `\u00e900-${TRACE}-${PARENT}-01`,
    `00-${TRACE}-${PARENT}-01`.repeat(2),
  ];
  for (const value of bad) {
    const r = parseTraceparent(value);
    assert.equal(r.kind, 'malformed', `${JSON.stringify(value)} → ${JSON.stringify(r)}`);
  }
  // surrounding whitespace (a folded header, CRLF left over) is not part of the value
  assert.equal(parseTraceparent(`\t00-${TRACE}-${PARENT}-01\r\n`).kind, 'ok');
  assert.equal(parseTraceparent(`cc-${TRACE}-${PARENT}-01`).kind, 'ok', 'a future version of exactly 55 chars');
});
