// Regression: resync through a body full of request-line look-alikes. The request-side search
// ran one indexOf per method from each rejected candidate, each searching to the end of the
// buffer for the methods not there: quadratic (64 KB of 'GET <garbage>' took ~230 ms). The work
// is counted as bytes the Buffer searches and comparisons were asked to examine, not timed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { http1 } from './index.js';

test('findFrameBoundary examines each byte a bounded number of times, however many candidates fail', () => {
  const buf = Buffer.from('GET \x01\x02\r\n'.repeat(8000)); // every line a method start with a bad target
  let examined = 0;
  const proto = Buffer.prototype as unknown as Record<'indexOf' | 'compare', (...a: unknown[]) => unknown>;
  const { indexOf, compare } = proto;
  proto.indexOf = function (this: Buffer, value: unknown, from?: unknown, ...rest: unknown[]) {
    examined += this.length - (typeof from === 'number' ? from : 0);
    return indexOf.call(this, value, from, ...rest);
  };
  proto.compare = function (this: Buffer, target: unknown, ...rest: unknown[]) {
    examined += (target as Buffer).length;
    return compare.call(this, target, ...rest);
  };
  let at: number;
  try {
    at = http1.findFrameBoundary('request', buf, 0);
  } finally {
    proto.indexOf = indexOf;
    proto.compare = compare;
  }
  assert.equal(at, -1);
  assert.ok(examined <= 16 * buf.length, `${examined} bytes examined for ${buf.length}`);
});
