// End to end on real captures: pcap → SegmentBatch → FlowDecoder → Transaction (redis fields,
// order, sizes). Sizes and boundaries come from the captured segments, not from the parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SegmentBatch, Transaction } from '@clovisor/core';
import { decodeBatches, decodeFixture, fixtureBatches, fixtureBytes } from '../../test-support/fixtures.js';
import { allSegments, rebatch, runs, splitSegments, type Run } from '../../test-support/streams.js';

const fields = (txs: Transaction[]): string[] =>
  txs.map((t) => `${t.redis?.command}/${t.redis?.argumentCount} → ${t.redis?.replyType}${t.redis?.error ? ` (${t.redis.error.slice(0, 9)})` : ''}`);

function byFlow(txs: Transaction[]): Transaction[][] {
  const m = new Map<string, Transaction[]>();
  for (const t of txs) m.set(t.flowId, [...(m.get(t.flowId) ?? []), t]);
  return [...m.values()];
}

const BASIC = [
  'COMMAND DOCS/0 → array', 'SET/2 → simple-string', 'GET/1 → bulk-string', 'GET/1 → null', 'INCR/1 → integer',
  'LPUSH/2 → error (WRONGTYPE)', 'MGET/3 → array', 'HSET/5 → integer', 'HGETALL/1 → array',
  'CLIENT SETNAME/1 → simple-string', 'CONFIG GET/1 → array', 'AUTH/1 → error (ERR AUTH )',
];

test('redis-cli session: commands, argument counts, reply types, errors, sizes on the wire', () => {
  const { transactions, stats } = decodeFixture('redis-basic.pcap');
  assert.deepEqual(fields(transactions), BASIC);
  const rs = runs(allSegments(fixtureBatches('redis-basic.pcap')));
  transactions.forEach((t, i) => {
    assert.equal(t.protocol, 'redis');
    assert.equal(t.messageIndex, i);
    assert.equal(t.complete, true, t.notes.join());
    assert.equal(t.requestBytes, (rs[2 * i] as Run).bytes.length);
    assert.equal(t.responseBytes, (rs[2 * i + 1] as Run).bytes.length);
    assert.equal(t.responseStartNs, (rs[2 * i + 1] as Run).startNs);
  });
  assert.equal(transactions[5]?.redis?.error, 'WRONGTYPE Operation against a key holding the wrong kind of value');
  assert.ok((transactions[0]?.responseBytes ?? 0) > 128 * 1024); // larger than the driver's buffer bound
  assert.deepEqual([stats.invalidFrames, stats.bytesSkipped, stats.orphanResponses], [0, 0, 0]);
});

test('AUTH: the password is on the wire, never in a transaction', () => {
  assert.ok(fixtureBytes('redis-basic.pcap').includes('s3cret-passw0rd'));
  const { transactions } = decodeFixture('redis-basic.pcap');
  const json = JSON.stringify(transactions, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
  assert.ok(json.includes('"AUTH"'));
  for (const secret of ['s3cret-passw0rd', 'alice', 'clovisor-test', 'user:1']) assert.ok(!json.includes(secret), secret);
});

test('the same session cut into 1- and 7-byte segments decodes the same', () => {
  const batches = fixtureBatches('redis-basic.pcap');
  for (const size of [1, 7]) {
    const segs = splitSegments(allSegments(batches), size);
    const { transactions, stats } = decodeBatches(rebatch(batches[0] as SegmentBatch, segs, 512));
    assert.deepEqual(fields(transactions), BASIC, `pieces of ${size}`);
    assert.equal(stats.invalidFrames, 0);
  }
});

test('picked up mid-connection: both directions resync at the next command / reply', () => {
  const batches = fixtureBatches('redis-basic.pcap');
  const segs = allSegments(batches);
  // Drop everything up to the SET command (handshake, COMMAND DOCS and its 170 KB reply).
  const from = segs.findIndex((s) => s.payload.includes('SET'));
  assert.ok(from > 0);
  const { transactions } = decodeBatches(rebatch(batches[0] as SegmentBatch, segs.slice(from)));
  assert.deepEqual(fields(transactions), BASIC.slice(1));
});

test('RESP3 after HELLO 3: map, set, double, null, boolean, big number, verbatim, attribute, push', () => {
  const { transactions } = decodeFixture('redis-resp3.pcap');
  const flows = byFlow(transactions);
  assert.equal(flows.length, 15);
  for (const f of flows) assert.deepEqual(fields(f.slice(0, 1)), ['HELLO/1 → map']);
  assert.deepEqual(flows.map((f) => fields(f.slice(1))[0]), [
    'HGETALL/1 → map', 'SADD/3 → integer', 'SMEMBERS/1 → set', 'ZADD/3 → integer', 'ZSCORE/2 → double', 'GET/1 → null',
    'DEBUG PROTOCOL/1 → double', 'DEBUG PROTOCOL/1 → boolean', 'DEBUG PROTOCOL/1 → big-number',
    'DEBUG PROTOCOL/1 → verbatim-string', 'DEBUG PROTOCOL/1 → bulk-string', 'DEBUG PROTOCOL/1 → bulk-string',
    'DEBUG PROTOCOL/1 → null', 'LPUSH/2 → error (WRONGTYPE)', 'PING/0 → simple-string',
  ]);
  const attrib = flows[10]?.[1];
  const push = flows[11]?.[1];
  assert.deepEqual(attrib?.notes, ['reply carried 1 attribute map(s)']);
  // The push came in the same segment, before the reply: counted, not paired.
  assert.deepEqual(push?.notes, ['1 push message(s) before this reply (pub/sub, tracking, further confirmations)']);
  assert.ok(transactions.every((t) => t.complete));
});

test('pipelined: redis-benchmark -P 16 answers in command order', () => {
  const { transactions, stats } = decodeFixture('redis-pipelined.pcap');
  // One connection asks CONFIG GET, then one connection per test (-t set,get), one client each.
  const [config, sets, gets] = byFlow(transactions);
  assert.deepEqual(fields(config ?? []), ['CONFIG GET/1 → array', 'CONFIG GET/1 → array']);
  assert.deepEqual(fields(sets ?? []), Array(48).fill('SET/2 → simple-string'));
  assert.deepEqual(fields(gets ?? []), Array(48).fill('GET/1 → bulk-string'));
  for (const flow of [sets ?? [], gets ?? []]) {
    // 16 commands share a segment: the 16 replies of that round trip share the next.
    assert.equal(new Set(flow.map((t) => t.requestStartNs)).size, 48 / 16);
    assert.equal(new Set(flow.map((t) => t.responseStartNs)).size, 48 / 16);
    flow.forEach((t, i) => {
      assert.equal(t.messageIndex, i);
      assert.ok((t.responseStartNs ?? 0n) > t.requestStartNs);
      assert.equal(t.complete, true);
    });
  }
  assert.deepEqual([stats.orphanResponses, stats.invalidFrames], [0, 0]);
});

test('redis-cli --pipe and telnet-style inline commands (port named redis)', () => {
  const pipe = decodeFixture('redis-pipe.pcap', { protocolHint: 'redis' }).transactions;
  assert.deepEqual(fields(pipe), ['SET/2 → simple-string', 'INCR/1 → error (ERR value)', 'GET/1 → bulk-string',
    'DEL/1 → integer', 'PING/0 → simple-string', 'ECHO/1 → bulk-string']);
  assert.deepEqual(pipe.map((t) => t.notes.includes('inline command')), [true, true, true, true, true, false]);
  const inline = decodeFixture('redis-inline.pcap', { protocolHint: 'redis-main' }).transactions;
  assert.deepEqual(fields(inline), ['PING/0 → simple-string', 'SET/2 → simple-string', 'GET/1 → bulk-string',
    'CLIENT SETNAME/1 → simple-string', 'QUIT/0 → simple-string']);
  // Without the port name an inline line on port 6390 is not taken for Redis (it could be anything).
  assert.equal(decodeFixture('redis-inline.pcap').transactions.length, 0);
});

test('pub/sub: confirmations pair with SUBSCRIBE / UNSUBSCRIBE, messages are counted', () => {
  const { transactions } = decodeFixture('redis-pubsub.pcap');
  const flows = byFlow(transactions);
  const sub = flows.find((f) => f.length > 1) ?? [];
  assert.deepEqual(fields(sub), ['SUBSCRIBE/2 → array', 'PING/0 → array', 'UNSUBSCRIBE/0 → array', 'QUIT/0 → simple-string']);
  // Before PING's reply: the second confirmation (sports) and three messages.
  assert.deepEqual(sub.map((t) => t.notes), [[], ['4 push message(s) before this reply (pub/sub, tracking, further confirmations)'],
    [], ['1 push message(s) before this reply (pub/sub, tracking, further confirmations)']]);
  assert.deepEqual(flows.filter((f) => f.length === 1).map(fields).flat(), Array(3).fill('PUBLISH/2 → integer'));
});

test('pub/sub after HELLO 3: confirmations and messages are > pushes; PING answers +PONG', () => {
  const { transactions } = decodeFixture('redis-pubsub-resp3.pcap');
  const sub = byFlow(transactions).find((f) => f.length > 1) ?? [];
  assert.deepEqual(fields(sub), ['HELLO/1 → map', 'SUBSCRIBE/2 → push', 'PING/0 → simple-string', 'UNSUBSCRIBE/0 → push',
    'QUIT/0 → simple-string']);
  assert.deepEqual(sub.map((t) => t.notes.length), [0, 0, 1, 0, 1]);
  assert.match(sub[2]?.notes[0] ?? '', /^4 push message/); // 1 more confirmation + 3 messages
});

test('a 110 000-byte value streams through a 32 KiB budget; a hole in it is counted', () => {
  const batches = fixtureBatches('redis-large.pcap');
  const { transactions, stats } = decodeBatches(batches, { maxBufferedBytes: 32 * 1024 });
  assert.deepEqual(fields(transactions), ['SET/2 → simple-string', 'GET/1 → bulk-string']);
  assert.equal(stats.flowsEvictedMemory, 0);
  assert.ok(transactions.every((t) => t.complete));
  assert.ok((transactions[0]?.requestBytes ?? 0) > 110000 && (transactions[1]?.responseBytes ?? 0) > 110000);
  // Lose one segment in the middle of the GET reply: the reply is still whole, minus those bytes.
  const get = batches[1] as SegmentBatch;
  const segs = allSegments([get]);
  const big = segs.findIndex((s, i) => i > 0 && !s.fromClient && s.payload.length > 1000 && segs[i - 1]?.payload.length !== 0 && !segs[i - 1]?.fromClient);
  assert.ok(big > 0, 'a second reply segment');
  const lost = segs[big]?.payload.length ?? 0;
  const damaged = decodeBatches(rebatch(get, segs.filter((_s, i) => i !== big))).transactions;
  assert.deepEqual(fields(damaged), ['GET/1 → bulk-string']);
  assert.equal(damaged[0]?.responseBytes, transactions[1]?.responseBytes);
  assert.equal(damaged[0]?.complete, false); // bytes are missing, though the framing held
  assert.deepEqual(damaged[0]?.notes, [`response: ${lost} bytes lost in capture gap`]);
});
