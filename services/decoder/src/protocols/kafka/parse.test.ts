// parseFrame / absorbGap / abandon on the recorded messages: whole, in pieces, every truncated
// prefix, with holes, and damaged (garbage, absurd sizes and counts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drive, fixtureFlows, messagesOf, pieces, type FixtureFlow } from './fixture-streams.js';
import { API } from './apis.js';
import { findFrameBoundary } from './header.js';
import { abandon, absorbGap, parseFrame } from './parse.js';
import { KAFKA_LIMITS, newKafkaState, type KafkaMessage, type KafkaState } from './types.js';

const flows = [...fixtureFlows('kafka-kafkajs.pcap'), ...fixtureFlows('kafka-java.pcap')];

/** Requests then responses of a flow, each stream whole. */
function decodeFlow(flow: FixtureFlow, chunk = Infinity): { requests: KafkaMessage[]; responses: KafkaMessage[]; state: KafkaState } {
  const state = newKafkaState();
  const split = (b: Buffer): Buffer[] => (chunk === Infinity ? [b] : pieces(b, chunk));
  const requests = drive('request', split(flow.requests), state).frames;
  const responses = drive('response', split(flow.responses), state).frames;
  return { requests, responses, state };
}

function find(api: number, version?: number): { flow: FixtureFlow; index: number; msg: Buffer } {
  for (const flow of flows) {
    const ms = messagesOf(flow.requests);
    const index = ms.findIndex((m) => m.readInt16BE(4) === api && (version === undefined || m.readInt16BE(6) === version));
    if (index >= 0) return { flow, index, msg: ms[index] as Buffer };
  }
  throw new Error(`no request ${api} in the fixtures`);
}

test('every fixture message parses whole, frames match the size prefixes, every response pairs', () => {
  for (const flow of flows) {
    const { requests, responses, state } = decodeFlow(flow);
    const reqs = messagesOf(flow.requests);
    const ress = messagesOf(flow.responses);
    assert.equal(requests.length, reqs.length);
    assert.equal(responses.length, ress.length);
    requests.forEach((f, i) => assert.equal(f.size + 4, (reqs[i] as Buffer).length));
    responses.forEach((f, i) => {
      assert.equal(f.correlationId, (ress[i] as Buffer).readInt32BE(4));
      const request = requests.find((q) => q.correlationId === f.correlationId);
      assert.ok(request !== undefined && request.expectsResponse);
      assert.deepEqual([f.apiKey, f.apiVersion], [request.apiKey, request.apiVersion], 'the response knows its request');
      assert.deepEqual(f.notes, []);
    });
    // every request without a response is a Produce with acks=0
    const answered = new Set(responses.map((f) => f.correlationId));
    for (const q of requests.filter((q) => !answered.has(q.correlationId))) assert.deepEqual([q.apiKey, q.expectsResponse], [API.Produce, false]);
    assert.equal(state.inFlight.size, 0);
  }
});

test('pieces of 1, 7 and 1000 bytes give the same frames as whole streams', () => {
  for (const flow of flows) {
    const whole = decodeFlow(flow);
    for (const size of flow.requests.length + flow.responses.length > 20000 ? [7, 1000] : [1, 7, 1000]) {
      const cut = decodeFlow(flow, size);
      assert.deepEqual(cut.requests, whole.requests, `requests in ${size}-byte pieces`);
      assert.deepEqual(cut.responses, whole.responses, `responses in ${size}-byte pieces`);
    }
  }
});

test('every truncated prefix of every real message needs more data', () => {
  let prefixes = 0;
  for (const flow of flows) {
    const { requests } = decodeFlow(flow);
    const byId = new Map(requests.map((r) => [r.correlationId, r]));
    for (const [direction, stream] of [['request', flow.requests], ['response', flow.responses]] as const) {
      for (const m of messagesOf(stream)) {
        const request = direction === 'response' ? byId.get(m.readInt32BE(4)) : undefined;
        for (let len = 0; len < m.length; len++) {
          const state = newKafkaState();
          if (request !== undefined) state.inFlight.set(request.correlationId, { apiKey: request.apiKey as number, apiVersion: request.apiVersion as number });
          const r = parseFrame(direction, m.subarray(0, len), state, false);
          if (r.kind !== 'needs-more-data' || r.absorbed > len) assert.fail(`${direction} prefix ${len}/${m.length}: ${JSON.stringify(r)}`);
          prefixes++;
        }
      }
    }
  }
  assert.ok(prefixes > 200_000, `${prefixes} prefixes`);
});

test('Produce v7 (kafkajs): both topics, though the 110 KiB record batch of the first sits before the second', () => {
  const { flow, index, msg } = find(API.Produce, 7);
  const frame = decodeFlow(flow).requests[index] as KafkaMessage;
  const names = msg.toString('latin1').match(/decoder-fixture-kjs-[ab]-\d+/g);
  assert.deepEqual(frame.topics, names);
  assert.ok(frame.recordBytes > 110 * 1024 && frame.recordBytes < msg.length);
  assert.equal(frame.expectsResponse, true);
});

test('a hole inside a record batch is absorbed; the topic after it is still read', () => {
  const { msg } = find(API.Produce, 7);
  const names = msg.toString('latin1').match(/decoder-fixture-kjs-[ab]-\d+/g) as string[];
  const state = newKafkaState();
  const head = parseFrame('request', msg.subarray(0, 300), state, false);
  assert.ok(head.kind === 'needs-more-data' && head.absorbed > 0);
  const hole = 50_000;
  assert.equal(absorbGap('request', hole, state), hole);
  const rest = drive('request', [msg.subarray(head.absorbed + hole)], state);
  // drive() starts with an empty buffer: the frame in progress continues in the state
  assert.equal(rest.frames.length, 1);
  const frame = rest.frames[0] as KafkaMessage;
  assert.deepEqual(frame.topics, names);
  // the record bytes walked plus the hole: as in the whole message
  const whole = drive('request', [msg], newKafkaState()).frames[0] as KafkaMessage;
  assert.equal(frame.recordBytes, whole.recordBytes);
  // a hole in the fields (not records) cannot be absorbed
  const s2 = newKafkaState();
  parseFrame('request', msg.subarray(0, 20), s2, false);
  assert.equal(absorbGap('request', 10, s2), 0);
});

test('garbage, absurd sizes and implausible headers are invalid; nothing throws', () => {
  const { msg } = find(API.ApiVersions);
  const patched = (at: number, write: (b: Buffer) => void): Buffer => { const b = Buffer.from(msg); write(b.subarray(at)); return b; };
  const cases: Array<[string, Buffer, 'request' | 'response']> = [
    ['http', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 'request'],
    ['size -1', Buffer.alloc(32, 0xff), 'request'],
    ['size 3', patched(0, (b) => b.writeInt32BE(3)), 'request'],
    ['size 200 MiB', patched(0, (b) => b.writeInt32BE(200 * 1024 * 1024)), 'request'],
    ['api key -5', patched(4, (b) => b.writeInt16BE(-5)), 'request'],
    ['api key 500', patched(4, (b) => b.writeInt16BE(500)), 'request'],
    ['version -1', patched(6, (b) => b.writeInt16BE(-1)), 'request'],
    ['client id length -7', patched(12, (b) => b.writeInt16BE(-7)), 'request'],
    ['client id past the frame', patched(12, (b) => b.writeInt16BE(1000)), 'request'],
    ['response size 2', Buffer.from([0, 0, 0, 2, 0, 0, 0, 0]), 'response'],
    ['response size -100', Buffer.from([0xff, 0xff, 0xff, 0x9c, 0, 0, 0, 0]), 'response'],
  ];
  for (const [what, bytes, direction] of cases) {
    const r = parseFrame(direction, bytes, newKafkaState(), true);
    assert.equal(r.kind, 'invalid', what);
  }
});

test('absurd counts and lengths in a body: the frame stands (size-framed), a note says why fields are missing', () => {
  const produce = find(API.Produce, 7).msg;
  // Produce v7 body: transactional_id (INT16 -1), acks, timeout, then the topic count
  const headerEnd = 14 + produce.readInt16BE(12);
  const countAt = headerEnd + 2 + 2 + 4;
  for (const [what, at, value] of [['topic count', countAt, 0x7fffffff], ['partition count', countAt + 4 + 2 + produce.readInt16BE(countAt + 4), 0x7ffffff0]] as const) {
    const b = Buffer.from(produce);
    b.writeInt32BE(value, at);
    const r = parseFrame('request', b, newKafkaState(), false);
    assert.ok(r.kind === 'success' && r.consumed === b.length, what);
    assert.match(r.frame.notes.join(), /array count larger than the frame/, what);
  }
  const fetch = find(API.Fetch, 11).msg;
  const b = Buffer.from(fetch);
  const topicsAt = 14 + fetch.readInt16BE(12) + 4 + 4 + 4 + 4 + 1 + 4 + 4;
  b.writeInt32BE(1_000_000_000, topicsAt);
  const r = parseFrame('request', b, newKafkaState(), false);
  assert.ok(r.kind === 'success');
  assert.deepEqual(r.frame.topics, []);
  assert.match(r.frame.notes.join(), /array count larger than the frame/);
});

test('response resync: a start whose correlation id answers no request in flight is rejected', () => {
  // A response header is a size and a correlation id, so the boundary finder proposes false
  // starts; the parser keeps only those answering a request in flight. (Small correlation ids
  // also occur inside bodies: resync in the response direction stays a heuristic.)
  for (const flow of flows) {
    const ress = messagesOf(flow.responses);
    if (ress.length < 2) continue;
    // The first response was lost to a capture gap; the second one's request is in flight.
    const state = newKafkaState();
    const requests = drive('request', [flow.requests], newKafkaState()).frames;
    const second = requests.find((q) => q.correlationId === (ress[1] as Buffer).readInt32BE(4)) as KafkaMessage;
    state.inFlight.set(second.correlationId, { apiKey: second.apiKey as number, apiVersion: second.apiVersion as number });
    let rejected = 0;
    for (let from = 1; ; rejected++) {
      const at = findFrameBoundary('response', flow.responses, from);
      assert.ok(at > 0 && at <= (ress[0] as Buffer).length);
      const r = parseFrame('response', flow.responses.subarray(at), state, false);
      const answers = flow.responses.readInt32BE(at + 4) === second.correlationId;
      assert.equal(r.kind !== 'invalid', answers, `port ${flow.clientPort} at ${at}`);
      if (answers) break;
      from = at + 1;
    }
    assert.ok(rejected > 0, 'the boundary finder alone proposes false starts');
  }
});

test('a response error code outside the protocol\'s range is a false start', () => {
  const flow = flows.find((f) => messagesOf(f.requests).some((m) => m.readInt16BE(4) === API.JoinGroup)) as FixtureFlow;
  const state = newKafkaState();
  const requests = drive('request', [flow.requests], state).frames;
  const i = requests.findIndex((q) => q.apiKey === API.JoinGroup);
  const res = Buffer.from(messagesOf(flow.responses)[i] as Buffer);
  res.writeInt16BE(30000, 8 + 4); // JoinGroup v5: throttle_time_ms, then error_code
  assert.equal(parseFrame('response', res, state, false).kind, 'invalid');
});

test('in-flight requests are bounded (oldest dropped, counted); an unknown correlation id is noted', () => {
  const { msg } = find(API.ApiVersions);
  const state = newKafkaState();
  for (let id = 0; id < KAFKA_LIMITS.maxInFlight + 44; id++) {
    const b = Buffer.from(msg);
    b.writeInt32BE(id, 8);
    assert.equal(parseFrame('request', b, state, false).kind, 'success');
  }
  assert.equal(state.inFlight.size, KAFKA_LIMITS.maxInFlight);
  assert.equal(state.inFlightDropped, 44);
  const res = Buffer.from([0, 0, 0, 6, 0, 0, 0, 0, 0, 0]); // correlation id 0: dropped
  assert.equal(parseFrame('response', res, state, false).kind, 'invalid');
  // with no request seen at all (picked up mid-connection) it cannot be checked: kept, noted
  const r = parseFrame('response', res, newKafkaState(), false);
  assert.ok(r.kind === 'success' && r.frame.apiKey === null && r.frame.errorCode === null);
  assert.deepEqual(r.frame.notes, ['request not seen: response body not parsed']);
});

test('abandon: a request cut inside its header yields what the header holds', () => {
  const { msg } = find(API.Fetch, 11);
  const state = newKafkaState();
  const cut = msg.subarray(0, 30);
  assert.equal(parseFrame('request', cut, state, false).kind, 'needs-more-data');
  const f = abandon('request', cut, state);
  assert.ok(f !== null);
  assert.deepEqual([f.apiKey, f.apiVersion, f.correlationId, f.clientId], [1, 11, msg.readInt32BE(8), 'fixture-kafkajs']);
  assert.equal(abandon('request', msg.subarray(0, 5), newKafkaState()), null);
});
