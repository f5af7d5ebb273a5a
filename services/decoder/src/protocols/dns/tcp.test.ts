// DNS over TCP framing and pairing on the real dig / dnsmasq connections of dns-tcp.pcap and
// dns-port53.pcap (test-fixtures/record/record-dns.sh); damaged variants derived from them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Framed } from '../protocol.js';
import { fixtureBatches } from '../../test-support/fixtures.js';
import { allSegments, streamBytes } from '../../test-support/streams.js';
import { dns } from './index.js';
import type { DnsMessage } from './types.js';

/** Client and server byte streams of every TCP connection of a fixture. */
function streams(name: string): { request: Buffer; response: Buffer }[] {
  const batches = fixtureBatches(name).filter((b) => b.transport === 'TCP');
  return [...new Set(batches.map((b) => b.flowId))].map((id) => {
    const segs = allSegments(batches.filter((b) => b.flowId === id));
    return { request: streamBytes(segs, true), response: streamBytes(segs, false) };
  });
}

/** Frame lengths of a stream, read from the length prefixes (independent of parseFrame). */
function frameLengths(b: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at < b.length; at += 2 + b.readUInt16BE(at)) out.push(2 + b.readUInt16BE(at));
  return out;
}

function parseAll(direction: 'request' | 'response', b: Buffer): DnsMessage[] {
  const out: DnsMessage[] = [];
  let rest = b;
  while (rest.length > 0) {
    const r = dns.parseFrame(direction, rest, null, false);
    assert.equal(r.kind, 'success', r.kind === 'invalid' ? r.reason : r.kind);
    const s = r as { frame: DnsMessage; consumed: number };
    out.push(s.frame);
    rest = rest.subarray(s.consumed);
  }
  return out;
}

test('keep-open connection: four queries and four responses, ids and questions (tshark)', () => {
  const conns = streams('dns-tcp.pcap');
  assert.equal(conns.length, 2);
  const keep = conns[1] as { request: Buffer; response: Buffer };
  assert.deepEqual(frameLengths(keep.request), [57, 55, 50, 54]);
  const q = parseAll('request', keep.request);
  const r = parseAll('response', keep.response);
  assert.deepEqual(q.map((m) => [m.id, m.response, m.questions[0]?.name]), [[0x49e2, false, 'alias.svc.test'], [0xeed1, false, 'txt.svc.test'], [0x2df5, false, 'nx.test'], [0x1e75, false, 'v6.svc.test']]);
  assert.deepEqual(r.map((m) => [m.id, m.rcode, m.answers]), [
    [0x49e2, 0, ['CNAME host.svc.test.', 'A 10.9.9.9']], [0xeed1, 0, ['TXT "hello" "world"']], [0x2df5, 3, []], [0x1e75, 0, ['AAAA fd00::1']]]);
  const big = parseAll('response', (streams('dns-port53.pcap')[0] as { response: Buffer }).response);
  assert.deepEqual([big.length, big[0]?.id, big[0]?.answers.length, (big[0]?.answers[0] as string).length], [1, 0xbbba, 1, 512]);
});

test('every strict prefix of a frame needs more data; the whole frame succeeds', () => {
  for (const { request, response } of [...streams('dns-tcp.pcap'), ...streams('dns-port53.pcap')]) {
    for (const [dir, b] of [['request', request], ['response', response]] as const) {
      let at = 0;
      for (const len of frameLengths(b)) {
        const frame = b.subarray(at, at + len);
        for (let n = 0; n < len; n++) assert.deepEqual(dns.parseFrame(dir, frame.subarray(0, n), null, false), { kind: 'needs-more-data', absorbed: 0 }, `${dir} prefix ${n}/${len}`);
        assert.equal(dns.parseFrame(dir, frame, null, false).kind, 'success');
        at += len;
      }
    }
  }
});

test('garbage, short lengths and damaged messages are invalid; resync finds the next frame', () => {
  const { request } = streams('dns-tcp.pcap')[1] as { request: Buffer };
  assert.equal(dns.parseFrame('request', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), null, false).kind, 'invalid');
  assert.equal(dns.parseFrame('request', Buffer.from([0, 5, 1, 2, 3, 4, 5]), null, false).kind, 'invalid');
  const absurd = Buffer.from(request.subarray(0, 57));
  absurd.writeUInt16BE(0xffff, 2 + 6); // ancount
  assert.equal(dns.parseFrame('request', absurd, null, false).kind, 'invalid');
  // A bad name is rejected before the rest of the frame arrives.
  const early = Buffer.from(request.subarray(0, 20));
  early[2 + 12] = 0x80;
  assert.equal(dns.parseFrame('request', early, null, false).kind, 'invalid');
  const junk = Buffer.from('\x00\x03zz\xff\xffjunk!');
  const glued = Buffer.concat([junk, request]);
  assert.equal(dns.findFrameBoundary('request', glued, 0), junk.length);
  assert.equal(dns.findFrameBoundary('request', glued, junk.length + 1), junk.length + 57);
  // In text, only the last bytes (too few to check a header) may pass for a frame start.
  const text = Buffer.from('GET / HTTP/1.1\r\nHost: example\r\nAccept: */*\r\n\r\n');
  const at = dns.findFrameBoundary('request', text, 0);
  assert.ok(at === -1 || at > text.length - 2 - 12, `boundary at ${at}`);
});

test('detect: real first bytes, port 53, not HTTP or random bytes', () => {
  for (const { request, response } of streams('dns-tcp.pcap')) {
    assert.equal(dns.detect(request, 5353), true);
    assert.equal(dns.detect(response, 5353), true);
    assert.equal(dns.detect(request.subarray(0, 10), 5353), false);
  }
  assert.equal(dns.detect(Buffer.from('GET / HTTP/1.1\r\n\r\n'), 80), false);
  assert.equal(dns.detect(Buffer.from('*1\r\n$4\r\nPING\r\n'), 6379), false);
  assert.equal(dns.detect(Buffer.from('anything'), 53), true);
});

test('abandon keeps the id and question of a cut frame; null without a header', () => {
  const { request } = streams('dns-tcp.pcap')[1] as { request: Buffer };
  const cut = dns.abandon('request', request.subarray(0, 40), null);
  assert.deepEqual([cut?.id, cut?.questions[0]?.name, cut?.complete], [0x49e2, 'alias.svc.test', false]);
  assert.equal(dns.abandon('request', request.subarray(0, 10), null), null);
  assert.equal(dns.absorbGap('request', 10, null), 0);
});

function framed(frame: DnsMessage, direction: 'request' | 'response', index: number, t: number): Framed<DnsMessage> {
  return { frame, direction, index, seq: 0, startNs: BigInt(t), endNs: BigInt(t), wireBytes: 1, truncatedBytes: 0, lostBytes: 0, partial: false, afterResync: false, notes: [] };
}

test('stitch pairs by id: out-of-order answers, a missing one, an orphan', () => {
  const { request, response } = streams('dns-tcp.pcap')[1] as { request: Buffer; response: Buffer };
  const qs = parseAll('request', request).map((m, i) => framed(m, 'request', i, i));
  const rs = parseAll('response', response).map((m, i) => framed(m, 'response', i, 10 + i));
  // Answers in reverse order, the second query's answer missing, one from nowhere.
  const stray = framed({ ...(rs[0] as Framed<DnsMessage>).frame, id: 7 }, 'response', 9, 20);
  const reordered = [rs[3], rs[2], rs[0], stray] as Framed<DnsMessage>[];
  const first = dns.stitch(qs, reordered, false);
  assert.deepEqual(first.transactions.map((t) => [t.request.frame.id, t.response?.frame.id]), [[0x49e2, 0x49e2], [0x2df5, 0x2df5], [0x1e75, 0x1e75]]);
  assert.deepEqual([first.leftover.requests.map((q) => q.frame.id), first.leftover.responses.length, first.orphanResponses], [[0xeed1], 1, 0]);
  const last = dns.stitch(first.leftover.requests, first.leftover.responses, true);
  assert.deepEqual(last.transactions.map((t) => [t.request.frame.id, t.response, t.notes]), [[0xeed1, null, ['no response captured']]]);
  assert.equal(last.orphanResponses, 1);
  const fields = dns.describe(first.transactions[1] as (typeof first.transactions)[number]);
  assert.deepEqual(fields.dns, { id: 0x2df5, name: 'nx.test', type: 'A', rcode: 'NXDOMAIN', answers: [] });
  assert.deepEqual(dns.describe(last.transactions[0] as (typeof last.transactions)[number]).dns?.rcode, null);
});
