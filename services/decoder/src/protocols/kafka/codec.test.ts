// Codecs on their own: primitives, the API table, headers, detection and resync points, and
// request/response bodies, on bytes of the recorded fixtures (see test-fixtures/record/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureFlows, messagesOf } from './fixture-streams.js';
import { API, apiName, isFlexible, responseHasTaggedFields } from './apis.js';
import { detect, findFrameBoundary, plausibleRequest, readRequestHeader } from './header.js';
import { Reader } from './reader.js';
import { addTopic, KAFKA_LIMITS, newMessage } from './types.js';

const kjs = fixtureFlows('kafka-kafkajs.pcap');
const java = fixtureFlows('kafka-java.pcap');
const all = [...kjs, ...java];

test('Reader: varints, compact strings, tagged fields, and sticky short/bad states', () => {
  // 150 = 0x96 0x01 (7 bits a byte, low group first); compact "ab" = length+1 then bytes.
  const r = new Reader(Buffer.from([0x96, 0x01, 0x03, 0x61, 0x62, 0x00, 0x01, 0x07, 0x02, 0xaa, 0xbb]), 0, 11);
  assert.equal(r.uvarint(), 150);
  assert.equal(r.string(true), 'ab');
  assert.equal(r.string(true, true), null); // compact nullable: 0 = null
  r.taggedFields(); // one field: tag 7, 2 bytes
  assert.ok(r.ok);
  assert.equal(r.pos, 11);
  assert.equal(r.int16(), 0);
  assert.ok(r.short && r.overrun);

  const more = new Reader(Buffer.from([0x00, 0x05, 0x61]), 0, 7); // string of 5, 1 byte captured
  assert.equal(more.string(false), null);
  assert.ok(more.short && !more.overrun);

  const long = new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 0, 6);
  long.uvarint();
  assert.equal(long.bad, 'varint longer than 5 bytes');

  const count = new Reader(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0]), 0, 6);
  assert.equal(count.arrayCount(false, 4), -1);
  assert.equal(count.bad, 'array count larger than the frame');
  const nonNull = new Reader(Buffer.from([0xff, 0xff]), 0, 2);
  assert.equal(nonNull.string(false), null);
  assert.equal(nonNull.bad, 'bad string length');
  const tags = new Reader(Buffer.from([0x7f, 0x00]), 0, 2);
  tags.taggedFields();
  assert.equal(tags.bad, 'tagged field count larger than the frame');
  const capped = new Reader(Buffer.alloc(100), 0, 100, 10);
  capped.skip(11);
  assert.ok(capped.capped && !capped.overrun);
});

test('API table: names, first flexible versions, ApiVersions response header stays v0', () => {
  assert.equal(apiName(0), 'Produce');
  assert.equal(apiName(75), 'DescribeTopicPartitions');
  assert.equal(apiName(999), 'Unknown(999)');
  assert.deepEqual([isFlexible(API.Produce, 8), isFlexible(API.Produce, 9)], [false, true]);
  assert.deepEqual([isFlexible(API.Fetch, 11), isFlexible(API.Fetch, 12)], [false, true]);
  assert.equal(isFlexible(API.SaslHandshake, 1), false);
  assert.equal(isFlexible(API.ApiVersions, 3), true);
  assert.equal(responseHasTaggedFields(API.ApiVersions, 3), false);
  assert.equal(responseHasTaggedFields(API.Metadata, 9), true);
});

test('request headers of every fixture request: v1 (kafkajs) and v2 with tagged fields (Java)', () => {
  let n = 0;
  for (const flow of all) {
    for (const m of messagesOf(flow.requests)) {
      const r = new Reader(m, 4, m.length);
      const msg = readRequestHeader(r, m.length - 4);
      assert.ok(msg !== null && r.ok);
      // the raw header fields, read independently at their fixed offsets
      assert.deepEqual([msg.apiKey, msg.apiVersion, msg.correlationId], [m.readInt16BE(4), m.readInt16BE(6), m.readInt32BE(8)]);
      assert.equal(msg.clientId, m.toString('latin1', 14, 14 + m.readInt16BE(12)));
      assert.ok(plausibleRequest(m, 0));
      if (msg.apiKey === API.ApiVersions && (msg.apiVersion ?? 0) >= 3) {
        // header v2 ends with an empty tag buffer; the body starts with client_software_name
        assert.equal(r.string(true), 'apache-kafka-java');
      }
      n++;
    }
  }
  assert.ok(n >= 39, `${n} requests`);
});

test('detect: a Kafka request header or the port hint; not HTTP', () => {
  for (const flow of all) assert.equal(detect(flow.requests, null), true);
  assert.equal(detect(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), null), false);
  assert.equal(detect(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 9092), true);
  assert.equal(detect(Buffer.alloc(13), null), false);
  // (Responses can look like requests: ApiVersions' error_code 0 + array count read as
  // Produce v0. Detection runs on the first bytes of a flow, which the client sends.)
});

test('findFrameBoundary: from inside a message, the next request or response starts', () => {
  for (const flow of all) {
    for (const [direction, stream] of [['request', flow.requests], ['response', flow.responses]] as const) {
      const ms = messagesOf(stream);
      if (ms.length < 2) continue;
      const first = (ms[0] as Buffer).length;
      if (direction === 'request') assert.equal(findFrameBoundary(direction, stream, 1), first, `request boundary on port ${flow.clientPort}`);
      else assert.ok(findFrameBoundary(direction, stream, 1) > 0); // weak alone: see parse.test.ts
    }
  }
  assert.equal(findFrameBoundary('request', Buffer.alloc(64, 0xff), 0), -1);
});

test('topic names beyond the bound are counted, not kept', () => {
  const msg = newMessage('request', 10, 1);
  for (let i = 0; i < KAFKA_LIMITS.maxTopics + 6; i++) addTopic(msg, `t${i}`);
  assert.equal(msg.topics.length, KAFKA_LIMITS.maxTopics);
  assert.equal(msg.topicsDropped, 6);
});
