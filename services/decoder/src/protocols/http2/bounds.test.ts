// Per-connection bounds: open streams (oldest evicted, counted) and header blocks too large to
// decode (skipped with their CONTINUATIONs, counted, HPACK marked unknown) — parsing goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParseResult } from '../protocol.js';
import { PREFACE } from './frame-header.js';
import { http2 } from './index.js';
import { HTTP2_LIMITS, type Http2Frame, type Http2State } from './types.js';

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

function run(bytes: Buffer, state: Http2State): ParseResult<Http2Frame>['kind'][] {
  const kinds: ParseResult<Http2Frame>['kind'][] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const r = http2.parseFrame('request', bytes.subarray(pos), state, false);
    kinds.push(r.kind);
    if (r.kind === 'success' || r.kind === 'ignored') pos += r.consumed;
    else if (r.kind === 'needs-more-data' && r.absorbed > 0) pos += r.absorbed;
    else break;
  }
  return kinds;
}

const GET = Buffer.from('828684', 'hex'); // :method GET, :scheme http, :path / (static table)

test('open streams are bounded: the oldest is evicted and counted', () => {
  const n = HTTP2_LIMITS.maxOpenStreams + 5;
  const frames = [PREFACE];
  for (let i = 0; i < n; i++) frames.push(frame(1, 0x4, 2 * i + 1, GET)); // END_HEADERS, no END_STREAM
  const state = http2.newState();
  const kinds = run(Buffer.concat(frames), state);
  assert.equal(kinds.filter((k) => k === 'success').length, n);
  assert.equal(state.streams.size, HTTP2_LIMITS.maxOpenStreams);
  assert.equal(state.counters.streamsEvicted, 5);
  assert.ok(!state.streams.has(1) && state.streams.has(2 * n - 1));
});

test('a header block over the bound is skipped with its CONTINUATIONs; parsing goes on', () => {
  // one literal field whose value spans five 16 KiB frames (80 KiB > 64 KiB)
  const value = Buffer.alloc(5 * 16_384 - 8, 0x61);
  const len = value.length - 127; // 7-bit prefix integer continuation bytes
  const lit = Buffer.concat([Buffer.from([0x00, 0x01, 0x78, 0x7f, 0x80 | (len & 0x7f), 0x80 | ((len >> 7) & 0x7f), len >> 14]), value]);
  const block = Buffer.concat([GET, lit]);
  const parts: Buffer[] = [PREFACE];
  for (let off = 0, i = 0; off < block.length; off += 16_384, i++) {
    const last = off + 16_384 >= block.length;
    parts.push(frame(i === 0 ? 1 : 9, last ? 0x4 : 0, 1, block.subarray(off, off + 16_384)));
  }
  parts.push(frame(6, 0, 0, Buffer.alloc(8)), frame(1, 0x5, 3, GET)); // PING, then a whole GET
  const state = http2.newState();
  const kinds = run(Buffer.concat(parts), state);
  assert.ok(!kinds.includes('invalid'));
  assert.equal(state.counters.oversizedHeaderBlocks, 1);
  assert.equal(state.request.table.unknownTail, true);
  assert.equal(kinds[kinds.length - 1], 'success'); // stream 3 still decodes (static entries)
});
