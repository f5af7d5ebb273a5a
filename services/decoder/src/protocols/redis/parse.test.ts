import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureBatches } from '../../test-support/fixtures.js';
import { allSegments, runs, type Run } from '../../test-support/streams.js';
import type { Segment } from '@clovisor/core';
import type { Direction, ParseResult } from '../protocol.js';
import { redis } from './index.js';
import { newRedisState, REDIS_LIMITS, type RedisFrame, type RedisState } from './types.js';

/** Segments without the bytes a retransmission repeats (redis-large.pcap carries a real one). */
function fresh(segments: Segment[]): Segment[] {
  const next = new Map<boolean, number>();
  const out: Segment[] = [];
  for (const s of segments) {
    const expected = next.get(s.fromClient);
    const skip = expected === undefined ? 0 : Math.max(0, (expected - s.seq) | 0);
    if (s.payload.length > 0 && skip < s.payload.length) out.push({ ...s, seq: (s.seq + skip) >>> 0, payload: s.payload.subarray(skip) });
    if (s.payload.length > 0 && skip < s.payload.length) next.set(s.fromClient, (s.seq + s.payload.length) >>> 0);
  }
  return out;
}

/** Message runs of every flow of a fixture (one command or reply per run unless pipelined). */
function fixtureRuns(name: string): Run[][] {
  const batches = fixtureBatches(name);
  return [...new Set(batches.map((b) => b.flowId))].map((id) => runs(fresh(allSegments(batches.filter((b) => b.flowId === id)))));
}
const dir = (fromClient: boolean): Direction => (fromClient ? 'request' : 'response');
const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

/** What the driver does: hand over what it holds, drop what was consumed or absorbed. Fed in
 * pieces of `piece` bytes; returns the frames and the most bytes ever held. */
function feed(d: Direction, data: Buffer, state: RedisState, piece: number): { frames: RedisFrame[]; ignored: number; held: number } {
  const frames: RedisFrame[] = [];
  let ignored = 0;
  let held = 0;
  let buf = Buffer.alloc(0);
  for (let off = 0; off < data.length; off += piece) {
    buf = Buffer.concat([buf, data.subarray(off, off + piece)]);
    held = Math.max(held, buf.length);
    for (;;) {
      const r: ParseResult<RedisFrame> = redis.parseFrame(d, buf, state, false);
      if (r.kind === 'success') { frames.push(r.frame); buf = buf.subarray(r.consumed); }
      else if (r.kind === 'ignored') { ignored++; buf = buf.subarray(r.consumed); }
      else if (r.kind === 'needs-more-data') { buf = buf.subarray(r.absorbed); break; }
      else assert.fail(`${d} at ${off}: ${JSON.stringify(r)}`);
      if (buf.length === 0) break;
    }
  }
  assert.equal(buf.length, 0, 'bytes left over');
  return { frames, ignored, held };
}

test('real commands and replies parse whole, in any piece size (redis-basic: COMMAND DOCS, AUTH, errors)', () => {
  const [flow] = fixtureRuns('redis-basic.pcap');
  assert.ok(flow);
  for (const piece of [1, 7, 1460, 1 << 20]) {
    const state = newRedisState();
    const got: RedisFrame[] = [];
    for (const run of flow) got.push(...feed(dir(run.fromClient), run.bytes, state, piece).frames);
    const reqs = got.filter((f) => f.kind === 'request');
    const reps = got.filter((f) => f.kind === 'response');
    assert.deepEqual(reqs.map((f) => `${f.command}/${f.argumentCount}`), [
      'COMMAND DOCS/0', 'SET/2', 'GET/1', 'GET/1', 'INCR/1', 'LPUSH/2', 'MGET/3', 'HSET/5', 'HGETALL/1',
      'CLIENT SETNAME/1', 'CONFIG GET/1', 'AUTH/1']);
    assert.deepEqual(reps.map((f) => f.replyType), ['array', 'simple-string', 'bulk-string', 'null', 'integer', 'error',
      'array', 'integer', 'array', 'simple-string', 'array', 'error']);
    assert.equal(reps[5]?.error, 'WRONGTYPE Operation against a key holding the wrong kind of value');
    assert.match(reps[11]?.error ?? '', /^ERR AUTH <password> called without any password configured/);
    // COMMAND DOCS: a real 170 KB reply of nested arrays, walked without being held.
    assert.ok((reps[0]?.elements ?? 0) > 5000, String(reps[0]?.elements));
    assert.equal(state.awaiting.length, 0);
  }
});

test('a 110 000-byte value is counted, never held', () => {
  const [set, get] = fixtureRuns('redis-large.pcap');
  assert.ok(set && get);
  const req = set[0] as Run;
  const rep = get[1] as Run;
  for (const [d, run] of [['request', req], ['response', rep]] as const) {
    const r = feed(d, run.bytes, newRedisState(), 1460);
    assert.equal(r.frames.length, 1);
    assert.equal(r.frames[0]?.payloadBytes, d === 'request' ? 3 + 3 + 110000 : 110000);
    assert.ok(r.held <= 1460 + 64, `held ${r.held}`); // only the unparsed tail of one piece
  }
});

test('every truncated prefix of a real message is needs-more-data', () => {
  let checked = 0;
  for (const name of ['redis-basic.pcap', 'redis-resp3.pcap', 'redis-inline.pcap', 'redis-large.pcap', 'redis-pipelined.pcap', 'redis-pubsub.pcap', 'redis-pipe.pcap']) {
    for (const flow of fixtureRuns(name)) {
      for (const run of flow) {
        const d = dir(run.fromClient);
        // The first message of the run (a RESP3 push may precede the reply in one segment).
        const whole = redis.parseFrame(d, run.bytes, newRedisState(), false);
        assert.ok(whole.kind === 'success' || whole.kind === 'ignored', `${name}: ${JSON.stringify(whole)}`);
        const end = whole.consumed;
        // Pipelined runs: the messages after the first end exactly at the run's end.
        for (let at = end; at < run.bytes.length;) {
          const next = redis.parseFrame(d, run.bytes.subarray(at), newRedisState(), false);
          assert.ok(next.kind === 'success' || next.kind === 'ignored', `${name}: ${JSON.stringify(next)}`);
          at += next.consumed;
          assert.ok(at <= run.bytes.length);
        }
        // Long messages: every prefix near an end, sampled inside (each prefix is walked anew).
        const stride = end > 16384 ? 997 : end > 4096 ? 97 : 1;
        for (let k = 0; k < end; k += k < 64 || end - k < 64 ? 1 : stride) {
          const r = redis.parseFrame(d, run.bytes.subarray(0, k), newRedisState(), false);
          assert.equal(r.kind, 'needs-more-data', `${name} ${d} prefix ${k}/${end}: ${JSON.stringify(r)}`);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 5000, String(checked));
});

test('garbage is invalid at once, without waiting for more bytes', () => {
  const garbage: [Direction, string | Buffer][] = [
    ['request', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])], // TLS ClientHello
    ['request', Buffer.from([0x80, 0x01, 0x00, 0x01])], // binary
    ['request', Buffer.from([0, 0, 0, 8, 4, 0xd2, 0x16, 0x2f])], // PostgreSQL SSLRequest
    ['request', '*1\r\n:1\r\n'], // a command is made of bulk strings
    ['request', '*2\r\n*1\r\n'],
    ['request', '*1\r\n$4\r\nPI\x00G\r\n'], // not a command name
    ['request', '*x\r\n'],
    ['request', '*1\r\n$3\r\nGETXY'], // bulk not followed by CRLF
    ['request', 'SET "unbalanced\r\n'],
    ['request', `GET ${'k'.repeat(70 * 1024)}`], // inline line over 64 KiB
    ['response', 'HTTP/1.1 200 OK\r\n'],
    ['response', '?what\r\n'],
    ['response', ':12a\r\n'],
    ['response', ':1x'],
    ['response', '#x\r\n'],
    ['response', ',1.5.5\r\n'],
    ['response', '_x\r\n'],
    ['response', '$-2\r\n'],
    ['response', '%-1\r\n'],
    ['response', '=2\r\nab\r\n'], // verbatim without its 3-letter format
    ['response', '+OK\n'], // bare LF
    ['response', `+${'a'.repeat(70 * 1024)}`],
    ['response', '$?\r\n;4\r\nabcd\r\n;0\r\n'], // RESP3 streamed string
    ['response', '*?\r\n:1\r\n.\r\n'], // RESP3 streamed aggregate
  ];
  for (const [d, g] of garbage) {
    const r = redis.parseFrame(d, Buffer.isBuffer(g) ? g : bytes(g), newRedisState(), false);
    assert.equal(r.kind, 'invalid', `${d} ${JSON.stringify(String(g).slice(0, 40))}: ${JSON.stringify(r)}`);
  }
  const streamed = redis.parseFrame('response', bytes('*?\r\n'), newRedisState(), false);
  assert.deepEqual(streamed, { kind: 'invalid', reason: 'streamed RESP3 aggregates are not supported' });
});

test('bounds: nesting depth, element counts and bulk length', () => {
  const nest = (n: number): string => '*1\r\n'.repeat(n) + ':1\r\n';
  const ok = redis.parseFrame('response', bytes(nest(REDIS_LIMITS.maxDepth)), newRedisState(), false);
  assert.equal(ok.kind, 'success');
  assert.deepEqual(redis.parseFrame('response', bytes(nest(REDIS_LIMITS.maxDepth + 1)), newRedisState(), false),
    { kind: 'invalid', reason: 'nesting deeper than 32' });
  // A depth bomb made of attributes and maps is bounded the same way.
  const mixed = '|1\r\n+k\r\n%1\r\n+k\r\n'.repeat(20) + ':1\r\n';
  assert.equal(redis.parseFrame('response', bytes(mixed), newRedisState(), false).kind, 'invalid');
  assert.equal(redis.parseFrame('response', bytes('*16777217\r\n'), newRedisState(), false).kind, 'invalid');
  assert.equal(redis.parseFrame('response', bytes('%8388609\r\n'), newRedisState(), false).kind, 'invalid'); // pairs × 2
  assert.equal(redis.parseFrame('request', bytes('*99999999999\r\n'), newRedisState(), false).kind, 'invalid');
  assert.equal(redis.parseFrame('response', bytes('$536870913\r\n'), newRedisState(), false).kind, 'invalid');
  // 512 MiB exactly is allowed and streams: each piece absorbed, the count grows.
  const state = newRedisState();
  assert.deepEqual(redis.parseFrame('response', bytes('$536870912\r\n'), state, false), { kind: 'needs-more-data', absorbed: 12 });
  const mib = Buffer.alloc(1 << 20, 0x61);
  for (let i = 0; i < 3; i++) assert.deepEqual(redis.parseFrame('response', mib, state, false), { kind: 'needs-more-data', absorbed: mib.length });
  assert.equal(redis.absorbGap('response', 1000, state), 1000); // a hole inside the payload is counted too
  assert.equal(state.response.frame?.payloadBytes, 3 * (1 << 20) + 1000);
  assert.equal(state.response.bulkLeft, 512 * 1024 * 1024 - 3 * (1 << 20) - 1000);
  const cut = redis.abandon('response', Buffer.alloc(0), state);
  assert.deepEqual([cut?.replyType, cut?.complete], ['bulk-string', false]);
});

test('RESP3 types Redis never sent in the fixtures: blob error, nested attribute, map of sets', () => {
  const one = (s: string): RedisFrame => {
    const r = redis.parseFrame('response', bytes(s), newRedisState(), false);
    assert.equal(r.kind, 'success', JSON.stringify(r));
    assert.equal((r as { consumed: number }).consumed, s.length);
    return (r as { frame: RedisFrame }).frame;
  };
  const blob = one('!21\r\nSYNTAX invalid syntax\r\n');
  assert.deepEqual([blob.replyType, blob.error], ['blob-error', 'SYNTAX invalid syntax']);
  // An attribute inside an array is no element of it: the array has 2 elements, then the frame ends.
  const nested = one('*2\r\n|1\r\n+ttl\r\n:3600\r\n:1\r\n:2\r\n');
  assert.deepEqual([nested.replyType, nested.attributes, nested.elements], ['array', 1, 6]);
  const map = one('%2\r\n+a\r\n~2\r\n:1\r\n:2\r\n+b\r\n_\r\n');
  assert.deepEqual([map.replyType, map.elements], ['map', 7]);
  assert.equal(one(',-inf\r\n').replyType, 'double');
  assert.equal(one('(-12345678901234567890\r\n').replyType, 'big-number');
  assert.equal(one('*-1\r\n').replyType, 'null');
  // An error element of an array (EXEC) is not the reply's error.
  assert.equal(one('*2\r\n+OK\r\n-ERR x\r\n').error, null);
});

test('pushes are skipped and counted; pub/sub confirmations pair with their command', () => {
  const [sub] = fixtureRuns('redis-pubsub.pcap');
  assert.ok(sub);
  const state = newRedisState();
  const got: RedisFrame[] = [];
  let ignored = 0;
  for (const run of sub) {
    const r = feed(dir(run.fromClient), run.bytes, state, 1 << 20);
    got.push(...r.frames);
    ignored += r.ignored;
  }
  const reps = got.filter((f) => f.kind === 'response');
  // SUBSCRIBE news sports: 2 confirmations, 1 paired; 3 messages; PING → [pong, ""];
  // UNSUBSCRIBE (all): 2 confirmations, 1 paired; QUIT → +OK.
  assert.deepEqual(reps.map((f) => [f.replyType, f.head, f.pushesBefore]),
    [['array', 'subscribe', 0], ['array', 'pong', 4], ['array', 'unsubscribe', 0], ['simple-string', null, 1]]);
  assert.equal(ignored, 5);
  assert.equal(state.subscribed, false); // the last confirmation said 0 subscriptions
  assert.equal(state.awaiting.length, 0);
});
