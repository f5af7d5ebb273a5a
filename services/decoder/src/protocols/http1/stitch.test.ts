import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Framed } from '../protocol.js';
import { describe, splitTarget, stitch } from './stitch.js';
import type { Http1Message } from './types.js';

let index = 0;
function frame(kind: 'request' | 'response', startNs: number, extra: Partial<Http1Message> = {}, afterResync = false): Framed<Http1Message> {
  const msg: Http1Message = {
    kind, version: '1.1', method: kind === 'request' ? 'GET' : '', target: kind === 'request' ? `/r${startNs}` : '',
    statusCode: kind === 'response' ? 200 : 0, reason: kind === 'response' ? 'OK' : '', headers: {}, headBytes: 10,
    bodyBytes: 0, framing: 'none', interim: false, headComplete: true, switchTo: null, ...extra,
  };
  return {
    frame: msg, direction: kind, index: index++, seq: startNs, startNs: BigInt(startNs), endNs: BigInt(startNs + 1),
    wireBytes: 10, truncatedBytes: 0, lostBytes: 0, partial: false, afterResync, notes: [],
  };
}
const pairs = (r: ReturnType<typeof stitch>) => r.transactions.map((t) => [Number(t.request.startNs), t.response === null ? null : Number(t.response.startNs)]);

test('in order: each response to the oldest request that started before it (pipelining too)', () => {
  const r = stitch([frame('request', 1), frame('request', 2), frame('request', 3)], [frame('response', 5), frame('response', 6)], false);
  assert.deepEqual(pairs(r), [[1, 5], [2, 6]]);
  assert.equal(r.leftover.requests.length, 1);
  assert.equal(r.orphanResponses, 0);
});

test('a response before any request waits (its request may still be arriving), then is orphaned', () => {
  const early = stitch([], [frame('response', 5)], false);
  assert.equal(early.transactions.length, 0);
  assert.equal(early.leftover.responses.length, 1);
  // The next request started after it: that response belonged to a request never captured.
  const later = stitch([frame('request', 9)], early.leftover.responses, false);
  assert.equal(later.orphanResponses, 1);
  assert.equal(later.leftover.requests.length, 1);
  assert.equal(stitch([], [frame('response', 5)], true).orphanResponses, 1);
});

test('after a resync in the response direction, skipped requests lost their responses', () => {
  const r = stitch([frame('request', 1), frame('request', 3), frame('request', 8)], [frame('response', 5, {}, true)], false);
  assert.deepEqual(pairs(r), [[1, null], [3, 5]]);
  assert.deepEqual(r.transactions[0]?.notes, ['response not captured (capture gap)']);
  assert.equal(r.leftover.requests.length, 1);
});

test('interim responses become notes of the final pair; final flush emits unanswered requests', () => {
  const r = stitch([frame('request', 1)], [frame('response', 2, { statusCode: 100, reason: 'Continue', interim: true })], false);
  assert.equal(r.transactions.length, 0);
  assert.equal(r.leftover.responses.length, 1);
  const done = stitch(r.leftover.requests, [...r.leftover.responses, frame('response', 4, { statusCode: 201 })], false);
  assert.deepEqual(done.transactions[0]?.notes, ['interim response 100 Continue']);
  const fin = stitch([frame('request', 1), frame('request', 2)], [], true);
  assert.deepEqual(pairs(fin), [[1, null], [2, null]]);
  assert.deepEqual(fin.transactions[0]?.notes, ['no response captured']);
});

test('describe: the request-target split into path and query, in every form', () => {
  assert.deepEqual(splitTarget('GET', '/a/b?x=1&y=2'), { path: '/a/b', query: 'x=1&y=2' });
  assert.deepEqual(splitTarget('GET', '/plain'), { path: '/plain', query: null });
  assert.deepEqual(splitTarget('GET', 'http://h.example:8080/p?q#frag'), { path: '/p', query: 'q' });
  assert.deepEqual(splitTarget('GET', 'http://h.example'), { path: '/', query: null });
  assert.deepEqual(splitTarget('CONNECT', 'h.example:443'), { path: '', query: null });
  assert.deepEqual(splitTarget('OPTIONS', '*'), { path: '*', query: null });
  const f = describe({ request: frame('request', 1, { target: '/x?a=1', headers: { host: 'h' }, bodyBytes: 3 }), response: null, notes: [] });
  assert.deepEqual(f.http, {
    method: 'GET', target: '/x?a=1', path: '/x', query: 'a=1', version: '1.1', statusCode: null, reason: null,
    requestHeaders: { host: 'h' }, responseHeaders: {}, requestBodyBytes: 3, responseBodyBytes: 0,
  });
});
