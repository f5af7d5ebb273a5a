import { test } from 'node:test';
import assert from 'node:assert/strict';
import { http1 } from '../../protocols/http1/index.js';
import type { Framed, Protocol } from '../../protocols/protocol.js';
import type { Http1Message } from '../../protocols/http1/types.js';
import { DEFAULT_DRIVER_LIMITS, newDriverCounters } from './types.js';
import { DirectionDriver } from './driver.js';
import { fixtureBatches } from '../../test-support/fixtures.js';
import { allSegments, runs } from '../../test-support/streams.js';

function driver(direction: 'request' | 'response') {
  const frames: Framed<Http1Message>[] = [];
  const counters = newDriverCounters();
  const d = new DirectionDriver<Http1Message, ReturnType<typeof http1.newState>>(direction, (f) => frames.push(f), counters, DEFAULT_DRIVER_LIMITS);
  const state = http1.newState();
  d.start(http1, state, false);
  return { d, frames, counters, state };
}

test('a frame spread over segments: seq of its first byte, times of its first and last segment', () => {
  const [req] = runs(allSegments(fixtureBatches('node-keepalive.pcap')));
  assert.ok(req);
  const { d, frames } = driver('request');
  const seq = 0xffff_fff0; // the frame crosses the 32-bit wrap
  d.data(req.bytes.subarray(0, 10), seq, 100n);
  d.data(req.bytes.subarray(10, 50), seq + 10, 200n);
  assert.equal(frames.length, 0);
  d.data(req.bytes.subarray(50), (seq + 50) >>> 0, 300n);
  assert.equal(frames.length, 1);
  const f = frames[0] as Framed<Http1Message>;
  assert.deepEqual([f.seq, f.startNs, f.endNs, f.wireBytes, f.index, f.partial], [seq, 100n, 300n, req.bytes.length, 0, false]);
  assert.equal(d.bufferedBytes, 0);
});

test('a long body streams through in bounded memory', () => {
  const { d, frames, state } = driver('response');
  state.awaiting.push('GET');
  const body = 50_000 * 1000;
  d.data(Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body}\r\n\r\n`), 1, 1n);
  const chunk = Buffer.alloc(1000, 0x61);
  let seq = 1 + 38 + String(body).length;
  for (let i = 0; i < 50_000; i++) {
    d.data(chunk, seq, BigInt(i + 2));
    seq += 1000;
    assert.ok(d.heldRanges <= 2 && d.bufferedBytes === 0);
  }
  assert.equal(frames.length, 1);
  assert.deepEqual([frames[0]?.frame.bodyBytes, frames[0]?.startNs, frames[0]?.endNs], [body, 1n, 50_001n]);
});

test('the end of the stream cuts a frame in progress short, and ends close-delimited bodies', () => {
  const { d, frames, counters } = driver('request');
  d.data(Buffer.from('POST /x HTTP/1.1\r\nContent-Length: 100\r\n\r\nonly ten..'), 7, 5n);
  d.end('fin');
  assert.equal(frames.length, 1);
  assert.deepEqual([frames[0]?.partial, frames[0]?.notes, frames[0]?.frame.bodyBytes, frames[0]?.wireBytes], [true, ['cut short: connection closed'], 10, 51]);
  assert.equal(counters.partialFrames, 1);
  const res = driver('response');
  res.state.awaiting.push('GET');
  res.d.data(Buffer.from('HTTP/1.0 200 OK\r\n\r\nuntil the close'), 1, 1n);
  res.d.end('fin');
  assert.deepEqual([res.frames[0]?.partial, res.frames[0]?.frame.bodyBytes], [false, 15]);
});

test("'invalid' with absorbed bytes: they end the frame in progress, the resync starts at the bad spot", () => {
  // A toy protocol: a frame is a run of 'a' ended by ';', walked whole; any other byte is bad.
  let calls = 0;
  const toy: Protocol<number, { n: number }> = {
    name: 'redis', portNames: [], detect: () => false, newState: () => ({ n: 0 }),
    findFrameBoundary: (_d, buf, from) => buf.indexOf(0x61, from),
    parseFrame(_d, buf, s) {
      calls++;
      let pos = 0;
      while (pos < buf.length && buf[pos] === 0x61) pos++;
      if (pos === buf.length) { s.n += pos; return { kind: 'needs-more-data', absorbed: pos }; }
      if (buf[pos] === 0x3b) { const frame = s.n + pos; s.n = 0; return { kind: 'success', frame, consumed: pos + 1 }; }
      s.n += pos;
      return { kind: 'invalid', reason: 'not a', absorbed: pos };
    },
    absorbGap: () => 0,
    abandon(_d, _buf, s) { const n = s.n; s.n = 0; return n > 0 ? n : null; },
    stitch: () => ({ transactions: [], leftover: { requests: [], responses: [] }, orphanResponses: 0 }),
    describe: () => ({}),
  };
  const frames: Framed<number>[] = [];
  const counters = newDriverCounters();
  const d = new DirectionDriver<number, { n: number }>('request', (f) => frames.push(f), counters, DEFAULT_DRIVER_LIMITS);
  d.start(toy, toy.newState(), false);
  d.data(Buffer.from(`${'a'.repeat(10_000)}x;aa;`), 1, 1n);
  // Without `absorbed`, each of the 10000 'a' would be a resync point walked to the 'x' again.
  assert.ok(calls <= 3, `${calls} parseFrame calls`);
  assert.deepEqual(frames.map((f) => [f.frame, f.wireBytes, f.partial, f.afterResync, f.notes]),
    [[10_000, 10_000, true, false, ['cut short: invalid (not a)']], [2, 3, false, true, []]]);
  assert.deepEqual([counters.invalidFrames, counters.resyncs, counters.bytesSkipped], [1, 1, 2]);
});
