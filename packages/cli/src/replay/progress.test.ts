import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Progress, formatSeconds } from './progress.js';

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { out: { isTTY, columns: 100, write: (t: string) => writes.push(t) }, writes };
}

test('on a terminal: a bar redrawn in place with records, rate and ETA, cleared at the end', () => {
  const { out, writes } = sink(true);
  let nowMs = 1_000_000;
  const p = new Progress(1000, out, 'replay', () => nowMs);
  nowMs += 120;
  p.update(250);
  nowMs += 50;
  p.update(260); // within the redraw interval: not drawn
  assert.equal(writes.length, 1);
  assert.match(writes[0]!, /^\rreplay \[#+-+\] 250\/1,000 records {2}\d[\d,]*\/s {2}ETA \d/);
  assert.ok(writes[0]!.endsWith('\x1b[K'));
  p.end();
  assert.equal(writes[1], '\r\x1b[K');
});

test('not on a terminal: no carriage returns, no line before 5 s', () => {
  const { out, writes } = sink(false);
  const p = new Progress(10, out);
  p.update(5);
  p.end();
  assert.deepEqual(writes, []);
});

test('formatSeconds', () => {
  assert.equal(formatSeconds(2.345), '2.3 s');
  assert.equal(formatSeconds(42.4), '42 s');
  assert.equal(formatSeconds(125), '2 min 5 s');
  assert.equal(formatSeconds(7300), '2 h 1 min');
  assert.equal(formatSeconds(Number.POSITIVE_INFINITY), '?');
});
