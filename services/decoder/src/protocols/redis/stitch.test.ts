import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Framed } from '../protocol.js';
import { describe, stitch } from './stitch.js';
import { newFrame, type RedisFrame } from './types.js';

let index = 0;
function framed(kind: 'request' | 'response', startNs: number, extra: Partial<RedisFrame> = {}, afterResync = false): Framed<RedisFrame> {
  const frame = { ...newFrame(kind), ...(kind === 'request' ? { command: `C${startNs}` } : { replyType: 'integer' as const }), ...extra };
  return {
    frame, direction: kind, index: index++, seq: startNs, startNs: BigInt(startNs), endNs: BigInt(startNs + 1),
    wireBytes: 10, truncatedBytes: 0, lostBytes: 0, partial: false, afterResync, notes: [],
  };
}
const pairs = (r: ReturnType<typeof stitch>) => r.transactions.map((t) => [t.request.frame.command, t.response === null ? null : Number(t.response.startNs)]);

test('in order; a reply before any command waits, then is an orphan', () => {
  const r = stitch([framed('request', 1), framed('request', 2)], [framed('response', 5)], false);
  assert.deepEqual(pairs(r), [['C1', 5]]);
  assert.equal(r.leftover.requests.length, 1);
  const early = stitch([], [framed('response', 3)], false);
  assert.deepEqual([early.transactions.length, early.leftover.responses.length, early.orphanResponses], [0, 1, 0]);
  const later = stitch([framed('request', 9)], early.leftover.responses, false);
  assert.deepEqual([later.orphanResponses, later.leftover.requests.length], [1, 1]);
});

test('after a resync in the replies, skipped commands lost theirs; final flush emits the rest', () => {
  const r = stitch([framed('request', 1), framed('request', 3), framed('request', 8)], [framed('response', 5, {}, true)], true);
  assert.deepEqual(pairs(r), [['C1', null], ['C3', 5], ['C8', null]]);
  assert.deepEqual(r.transactions.map((t) => t.notes), [['reply not captured (capture gap)'], [], ['no reply captured']]);
});

test('describe: only the redis fields, reply fields null without a reply', () => {
  const req = framed('request', 1, { command: 'CLIENT SETNAME', argumentCount: 1 });
  assert.deepEqual(describe({ request: req, response: null, notes: [] }),
    { redis: { command: 'CLIENT SETNAME', argumentCount: 1, replyType: null, error: null } });
  const res = framed('response', 2, { replyType: 'blob-error', error: 'SYNTAX x' });
  assert.deepEqual(describe({ request: req, response: res, notes: [] }).redis,
    { command: 'CLIENT SETNAME', argumentCount: 1, replyType: 'blob-error', error: 'SYNTAX x' });
});
