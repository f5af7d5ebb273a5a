// The frame parser on the real bytes of the gRPC fixture: every truncated prefix of a direction
// yields exactly the messages whose frames are whole (the rest is needs-more-data, never
// 'invalid'), garbage is invalid, and resync finds frame starts again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Direction, ParseResult } from '../protocol.js';
import { fixtureBatches } from '../../test-support/fixtures.js';
import { allSegments, rng, streamBytes } from '../../test-support/streams.js';
import { detect, findFrameBoundary, PREFACE } from './frame-header.js';
import { http2 } from './index.js';
import type { Http2Frame, Http2State } from './types.js';

const segs = allSegments(fixtureBatches('grpc-echo.pcap'));
const client = streamBytes(segs, true);
const server = streamBytes(segs, false);

/** Drive one direction over bytes as the driver would; returns the fragments and the last result. */
function drive(direction: Direction, bytes: Buffer, state: Http2State): { frames: Http2Frame[]; last: ParseResult<Http2Frame>['kind'] } {
  const frames: Http2Frame[] = [];
  let pos = 0;
  for (;;) {
    const r = http2.parseFrame(direction, bytes.subarray(pos), state, false);
    if (r.kind === 'success') { frames.push(r.frame); pos += r.consumed; } else if (r.kind === 'ignored') pos += r.consumed;
    else if (r.kind === 'needs-more-data' && r.absorbed > 0) pos += r.absorbed;
    else return { frames, last: r.kind };
    if (pos >= bytes.length && r.kind !== 'needs-more-data') {
      const end = http2.parseFrame(direction, bytes.subarray(pos), state, false);
      return { frames, last: end.kind };
    }
  }
}

test('whole gRPC streams: 3 requests and 3 responses, starts and ends', () => {
  const state = http2.newState();
  const req = drive('request', client, state);
  const res = drive('response', server, state);
  assert.equal(req.last, 'needs-more-data');
  assert.equal(res.last, 'needs-more-data');
  const shape = (fs: Http2Frame[]): string => fs.map((f) => `${f.msg.streamId}${f.start ? 's' : ''}${f.end ? 'e' : ''}`).join(' ');
  assert.equal(shape(req.frames), '1s 1e 3s 3e 5s 5e');
  // stream 3 is trailers-only (NOT_FOUND): one HEADERS frame starts and ends it
  assert.equal(shape(res.frames), '1s 1e 3se 5s 5e');
  assert.equal(res.frames[2]?.msg.grpcStatus, 5);
  assert.equal(state.streams.size, 0);
});

test('every truncated prefix gives only the whole messages, then needs-more-data', () => {
  const full = drive('request', client, http2.newState()).frames.length;
  let previous = 0;
  const seen = new Set<number>();
  for (let cut = 0; cut < client.length; cut++) {
    const r = drive('request', client.subarray(0, cut), http2.newState());
    assert.equal(r.last, 'needs-more-data', `request cut at ${cut}`);
    assert.ok(r.frames.length >= previous && r.frames.length <= full, `request cut at ${cut}`);
    previous = r.frames.length;
    seen.add(previous);
  }
  assert.equal(seen.size, full + 1); // each message appears once its last byte is there
  for (let cut = 0; cut < server.length; cut++) {
    const state = http2.newState();
    drive('request', client, state);
    const r = drive('response', server.subarray(0, cut), state);
    assert.equal(r.last, 'needs-more-data', `response cut at ${cut}`);
    assert.ok(r.frames.every((f) => f.msg.kind === 'response'));
  }
});

test('garbage after the preface is invalid; bad frame headers are invalid', () => {
  const random = rng(7);
  for (let i = 0; i < 200; i++) {
    const g = Buffer.from(Array.from({ length: 64 }, () => Math.floor(random() * 256)));
    g[0] = 0x40 | g[0]!; // a length field over 16 KiB
    const state = http2.newState();
    assert.equal(drive('request', Buffer.concat([PREFACE, g]), state).last, 'invalid');
  }
  const bad = [
    '000000040000000001', // SETTINGS on stream 1
    '000005040000000000', // SETTINGS length not a multiple of 6
    '000004060000000000', // PING of 4 bytes
    '000000010480000001', // reserved bit
    'GET / HTTP/1.1\r\n\r\n',
  ];
  for (const b of bad) {
    const bytes = b.startsWith('GET') ? Buffer.from(b) : Buffer.from(b, 'hex');
    assert.equal(drive('request', Buffer.concat([PREFACE, bytes, Buffer.alloc(20)]), http2.newState()).last, 'invalid', b);
  }
});

test('a header block interrupted by another frame is invalid', () => {
  // HEADERS without END_HEADERS on stream 1, then a PING instead of CONTINUATION
  const bytes = Buffer.concat([PREFACE, Buffer.from('000001010000000001' + '82' + '000008060000000000' + '00'.repeat(8), 'hex')]);
  assert.equal(drive('request', bytes, http2.newState()).last, 'invalid');
});

test('detect: the preface or a server SETTINGS frame; not HTTP/1 or random bytes', () => {
  assert.ok(detect(client, null));
  assert.ok(detect(client.subarray(0, 4), null));
  assert.ok(detect(server, null)); // Node and grpc-js servers speak first
  assert.ok(!detect(Buffer.from('GET / HTTP/1.1\r\n'), null));
  assert.ok(!detect(Buffer.from('000000040100000000', 'hex'), null)); // a SETTINGS ack
  assert.ok(!detect(Buffer.from('00000604000000000000ff000001', 'hex'), null)); // undefined setting id
});

test('resync finds the next frame header after garbage', () => {
  const frames = client.subarray(PREFACE.length);
  const junk = Buffer.from('ff'.repeat(13), 'hex');
  const buf = Buffer.concat([junk, frames]);
  assert.equal(findFrameBoundary('request', buf, 0), junk.length);
  assert.equal(findFrameBoundary('request', Buffer.concat([junk, client]), 0), junk.length); // the preface
  assert.equal(findFrameBoundary('response', junk, 0), -1);
});
