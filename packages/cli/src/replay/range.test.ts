import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOrder, parseBound, selectPartitions, totalRecords } from './range.js';

test('parseBound: digits are an offset, ISO 8601 a time, anything else a usage error', () => {
  assert.deepEqual(parseBound('--start', '1200'), { kind: 'offset', offset: 1200n });
  assert.deepEqual(parseBound('--start', ' 0 '), { kind: 'offset', offset: 0n });
  const t = parseBound('--end', '2026-11-23T13:40:00Z');
  assert.equal(t.kind, 'time');
  assert.equal(t.kind === 'time' && t.ms, Date.UTC(2026, 10, 23, 13, 40, 0));
  const offsetZone = parseBound('--end', '2026-11-23T14:40:00.250+01:00');
  assert.equal(offsetZone.kind === 'time' && offsetZone.ms, Date.UTC(2026, 10, 23, 13, 40, 0, 250));
  assert.equal(parseBound('--end', '2026-11-23').kind, 'time');
  for (const bad of ['yesterday', '2026-13-01T00:00:00Z', '2026-11-23T25:00:00Z', '-5', '12.5', '', '1e6', 'now']) {
    assert.throws(() => parseBound('--start', bad), (err: Error) => err.message.startsWith(`--start "${bad}": expected an offset`), bad);
  }
});

test('checkOrder: start after end is refused when both are offsets or both times; mixed kinds pass', () => {
  assert.throws(() => checkOrder(parseBound('--start', '9'), parseBound('--end', '3')), /--start is after --end/);
  assert.throws(() => checkOrder(parseBound('--start', '2026-11-23T14:00:00Z'), parseBound('--end', '2026-11-23T13:00:00Z')), /--start is after --end/);
  checkOrder(parseBound('--start', '3'), parseBound('--end', '3'));
  checkOrder(parseBound('--start', '3'), parseBound('--end', '2026-11-23T13:00:00Z'));
  checkOrder(null, parseBound('--end', '3'));
});

test('selectPartitions: all by default, sorted; the named ones must exist', () => {
  assert.deepEqual(selectPartitions([2, 0, 1], []), [0, 1, 2]);
  assert.deepEqual(selectPartitions([0, 1, 2], ['2', '0', '2']), [0, 2]);
  assert.throws(() => selectPartitions([0, 1, 2], ['3']), /--partition 3: the topic has partitions 0-2/);
  assert.throws(() => selectPartitions([0, 1, 2], ['x']), /--partition "x": expected a partition number/);
});

test('totalRecords: the sum of end - start', () => {
  assert.equal(totalRecords([{ partition: 0, start: 5n, end: 9n }, { partition: 1, start: 0n, end: 0n }, { partition: 2, start: 1n, end: 2n }]), 5);
});
