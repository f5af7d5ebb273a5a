// DNS end to end on real captures (test-fixtures/record/record-dns.sh): pcap → SegmentBatch →
// FlowDecoder → Transaction, over UDP (the datagram path) and TCP (the stream path). Expected
// times and sizes come from the captured datagrams, names and answers from tshark.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Segment, SegmentBatch, Transaction } from '@clovisor/core';
import { FlowDecoder } from '../decoder.js';
import { decodeBatches, decodeFixture, fixtureBatches } from '../../test-support/fixtures.js';
import { allSegments, splitSegments, rebatch } from '../../test-support/streams.js';

const summary = (t: Transaction): string =>
  `${t.transport} ${t.dns?.name} ${t.dns?.type} ${t.dns?.rcode} ${(t.dns?.answers ?? []).join(',')}`;

test('UDP: ten dig queries to dnsmasq, fields, pairing, times and sizes from the datagrams', () => {
  const batches = fixtureBatches('dns-udp.pcap');
  const { transactions, stats } = decodeBatches(batches);
  assert.deepEqual(transactions.map(summary), [
    'UDP svc.test A NOERROR A 10.1.2.3', 'UDP v6.svc.test AAAA NOERROR AAAA fd00::1',
    'UDP alias.svc.test A NOERROR CNAME host.svc.test.,A 10.9.9.9', 'UDP txt.svc.test TXT NOERROR TXT "hello" "world"',
    'UDP nx.test A NXDOMAIN ', 'UDP other.test A REFUSED ', 'UDP svc.test MX NOERROR MX 10 mail.svc.test.',
    'UDP _http._tcp.svc.test SRV NOERROR SRV 1 2 8080 svc.test.', 'UDP 3.2.1.10.in-addr.arpa PTR NOERROR PTR svc.test.',
    'UDP x.fail.test A null ',
  ]);
  for (const tx of transactions) {
    const segs = allSegments(batches.filter((b) => b.flowId === tx.flowId));
    const [q, r] = [segs.find((s) => s.fromClient) as Segment, segs.find((s) => !s.fromClient)];
    assert.deepEqual([tx.id, tx.messageIndex, tx.requestSeq, tx.protocol], [`${tx.flowId}:0`, 0, 0, 'dns']);
    assert.deepEqual([tx.requestStartNs, tx.requestEndNs, tx.requestBytes], [q.timestampNs, q.timestampNs, q.payload.length]);
    assert.deepEqual([tx.responseStartNs, tx.responseEndNs, tx.responseBytes], [r?.timestampNs ?? null, r?.timestampNs ?? null, r?.payload.length ?? 0]);
    assert.equal(tx.dns?.id, q.payload.readUInt16BE(0));
    assert.equal(tx.complete, r !== undefined, tx.notes.join('; '));
    assert.deepEqual(tx.notes, r === undefined ? ['no response captured'] : []);
    assert.deepEqual([tx.client.port > 32767, tx.server.port], [true, 5353]);
  }
  assert.deepEqual([stats.nonTcpBatches, stats.flowsCreated, stats.transactions, stats.incompleteTransactions, stats.unansweredQueries,
    stats.datagramsInvalid, stats.datagramsUndetected, stats.orphanResponses], [10, 10, 10, 1, 1, 0, 0, 0]);
});

test('UDP on port 53: glibc sends A and AAAA on one socket, paired by id even when answered out of order', () => {
  const batches = fixtureBatches('dns-port53.pcap').filter((b) => b.transport === 'UDP');
  const glibc = batches[0] as SegmentBatch;
  assert.deepEqual(glibc.segments.map((s) => s.fromClient), [true, true, false, false]);
  const inOrder = decodeBatches([glibc]).transactions;
  const [a, aaaa] = glibc.segments.slice(2) as [Segment, Segment];
  const swapped = decodeBatches([{ ...glibc, segments: [...glibc.segments.slice(0, 2), aaaa, a] }]).transactions;
  // A transaction is emitted when its response comes: swapped answers, swapped emission.
  for (const txs of [inOrder, [...swapped].reverse()]) {
    assert.deepEqual(txs.map((t) => [t.messageIndex, t.dns?.type, t.dns?.answers]), [[0, 'A', ['A 10.1.2.3']], [1, 'AAAA', ['AAAA fd00::3']]]);
    assert.deepEqual(txs.map((t) => t.complete), [true, true]);
  }
  assert.deepEqual(swapped.map((t) => t.responseStartNs), [aaaa.timestampNs, a.timestampNs]);
  const all = decodeFixture('dns-port53.pcap').transactions;
  assert.deepEqual(all.map(summary).slice(2), [
    'UDP auth.test SOA NOERROR SOA ns.svc.test. hostmaster.ns.svc.test. 1795433619 1200 180 1209600 600',
    'UDP big.svc.test TXT NOERROR ', `TCP big.svc.test TXT NOERROR TXT "${'x'.repeat(200)}" "${'x'.repeat(200)}" "${'x'.repeat(100)}…`, // cut at 512 characters
  ]);
  assert.deepEqual(all[3]?.notes, ['response truncated by the server (TC): the client retries over TCP']);
});

test('TCP: one query per connection and four on a kept-open one; 1-byte segments give the same', () => {
  const batches = fixtureBatches('dns-tcp.pcap');
  const want = ['TCP svc.test A NOERROR A 10.1.2.3', 'TCP alias.svc.test A NOERROR CNAME host.svc.test.,A 10.9.9.9',
    'TCP txt.svc.test TXT NOERROR TXT "hello" "world"', 'TCP nx.test A NXDOMAIN ', 'TCP v6.svc.test AAAA NOERROR AAAA fd00::1'];
  const { transactions, stats } = decodeBatches(batches);
  assert.deepEqual(transactions.map(summary), want);
  assert.deepEqual(transactions.map((t) => [t.messageIndex, t.complete, t.requestBytes, t.responseBytes]),
    [[0, true, 51, 55], [0, true, 57, 88], [1, true, 55, 67], [2, true, 50, 38], [3, true, 54, 70]]); // tshark tcp.len
  assert.deepEqual([stats.invalidFrames, stats.resyncs, stats.orphanResponses, stats.flowsClosed], [0, 0, 0, 2]);
  // One byte per segment: too little to recognise DNS by its first bytes; the port name selects it.
  const split = batches.flatMap((b) => rebatch({ ...b, segments: [] }, splitSegments(b.segments, 1), 7));
  assert.deepEqual(decodeBatches(split).transactions.map(summary), []);
  assert.deepEqual(decodeBatches(split.map((b) => ({ ...b, protocolHint: 'dns-tcp' }))).transactions.map(summary), want);
});

test('TCP: answers reordered on the connection are paired by id', () => {
  const batches = fixtureBatches('dns-tcp.pcap');
  const keep = batches.filter((b) => b.flowId === (batches[batches.length - 1] as SegmentBatch).flowId);
  const segs = allSegments(keep);
  // The server's messages (length prefix and body may be separate segments), reversed, re-sequenced.
  const server = segs.filter((s) => !s.fromClient && s.payload.length > 0);
  const bytes = Buffer.concat(server.map((s) => s.payload));
  const msgs: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 2 + bytes.readUInt16BE(at)) msgs.push(bytes.subarray(at, at + 2 + bytes.readUInt16BE(at)));
  const lastQuery = segs.filter((s) => s.fromClient && s.payload.length > 0).pop() as Segment;
  let seq = (server[0] as Segment).seq;
  const reversed = msgs.reverse().map((m, i): Segment => {
    const s = { ...(server[0] as Segment), seq, payload: m, wireLength: m.length, timestampNs: lastQuery.timestampNs + BigInt(i + 1) };
    seq = (seq + m.length) >>> 0;
    return s;
  });
  // All queries first (pipelined), then the answers last-first, then the rest of the connection.
  const queries = segs.filter((s) => s.fromClient && s.payload.length > 0);
  const rest = segs.filter((s) => s.payload.length === 0 && s.timestampNs > lastQuery.timestampNs);
  const handshake = segs.filter((s) => s.payload.length === 0 && s.timestampNs < (queries[0] as Segment).timestampNs);
  const txs = decodeBatches(rebatch(keep[0] as SegmentBatch, [...handshake, ...queries, ...reversed, ...rest])).transactions;
  assert.deepEqual(txs.map((t) => [t.messageIndex, t.dns?.name, t.dns?.rcode, t.complete]),
    [[0, 'alias.svc.test', 'NOERROR', true], [1, 'txt.svc.test', 'NOERROR', true], [2, 'nx.test', 'NXDOMAIN', true], [3, 'v6.svc.test', 'NOERROR', true]]);
  assert.deepEqual(txs.map((t) => t.responseStartNs), [4n, 3n, 2n, 1n].map((d) => lastQuery.timestampNs + d));
});

test('a query without answer: given up after the timeout, at idle flush, or when its id comes again', () => {
  const udp = fixtureBatches('dns-udp.pcap');
  const lone = udp[udp.length - 1] as SegmentBatch; // x.fail.test: dnsmasq's upstream never answered
  const q = lone.segments[0] as Segment;
  assert.equal(lone.segments.length, 1);
  const d = new FlowDecoder({ idleTimeoutNs: 60_000_000_000n });
  assert.deepEqual(d.push(lone), []);
  assert.deepEqual(d.flushIdle(q.timestampNs + 1_000_000_000n), []);
  const flushed = d.flushIdle(q.timestampNs + 120_000_000_000n);
  assert.deepEqual(flushed.map((t) => [t.dns?.name, t.dns?.rcode, t.complete, t.responseStartNs, t.responseBytes, t.notes]),
    [['x.fail.test', null, false, null, 0, ['no response captured']]]);
  assert.deepEqual([d.stats().unansweredQueries, d.stats().incompleteTransactions, d.stats().flowsEvictedIdle], [1, 1, 1]);

  // The same 5-tuple: a later query (6 s on) gives up on the first; the same id again replaces it.
  const later = { ...q, timestampNs: q.timestampNs + 6_000_000_000n };
  const t = new FlowDecoder().push({ ...lone, segments: [q, later] });
  assert.deepEqual(t.map((x) => [x.messageIndex, x.notes]), [[0, ['no response within 5000 ms']]]);
  const again = new FlowDecoder().push({ ...lone, segments: [q, { ...q, timestampNs: q.timestampNs + 1_000_000n }] });
  assert.deepEqual(again.map((x) => [x.messageIndex, x.notes]), [[0, ['no response before a query with the same id was sent']]]);
});

test('bounds and damage: pending table, truncated datagram, orphans, garbage, undetected UDP', () => {
  const glibc = fixtureBatches('dns-port53.pcap')[0] as SegmentBatch;
  const [qa, qaaaa, ra, raaaa] = glibc.segments as [Segment, Segment, Segment, Segment];
  // One waiting query at most: the AAAA query pushes the A query out; the A answer is an orphan.
  const d = new FlowDecoder({ maxPendingFrames: 1 });
  const out = d.push(glibc);
  assert.deepEqual(out.map((t) => [t.dns?.type, t.complete]), [['A', false], ['AAAA', true]]);
  assert.deepEqual([d.stats().pendingOverflows, d.stats().orphanResponses, d.stats().unansweredQueries], [1, 1, 1]);
  // The AAAA answer cut to 40 bytes by a snaplen: the question is there, the answer is not.
  const cut = { ...raaaa, payload: raaaa.payload.subarray(0, 40) };
  const [tx] = decodeBatches([{ ...glibc, segments: [qa, qaaaa, ra, cut] }]).transactions.slice(-1) as [Transaction];
  assert.deepEqual([tx.dns?.type, tx.dns?.rcode, tx.dns?.answers, tx.complete, tx.responseBytes], ['AAAA', 'NOERROR', [], false, raaaa.payload.length]);
  assert.deepEqual(tx.notes, [`response: ${raaaa.payload.length - 40} bytes not captured (snaplen)`, 'response: datagram cut by the capture; not every section read']);
  // Garbage in a DNS flow is counted and skipped; the flow goes on.
  const junk = { ...ra, payload: Buffer.from('\x00\x01not a dns message at all'), wireLength: 27 };
  const g = decodeBatches([{ ...glibc, segments: [qa, junk, ra] }]);
  assert.deepEqual([g.transactions.map((t) => t.complete), g.stats.datagramsInvalid], [[true], 1]);
  // UDP that is no datagram protocol: counted, no flow kept.
  const other = { ...glibc, flowId: 'other', server: { address: '127.0.0.1', port: 9999 }, segments: [junk] };
  const u = decodeBatches([other]);
  assert.deepEqual([u.transactions, u.stats.flowsCreated, u.stats.datagramsUndetected, u.stats.nonTcpBatches], [[], 0, 1, 1]);
  // A flow with too many waiting queries still bounds its table across many ids.
  const many = Array.from({ length: 100 }, (_, i) => {
    const p = Buffer.from(qa.payload);
    p.writeUInt16BE(i, 0);
    return { ...qa, payload: p, timestampNs: qa.timestampNs + BigInt(i) };
  });
  const m = decodeBatches([{ ...glibc, segments: many }], { maxPendingFrames: 8 });
  assert.deepEqual([m.transactions.length, m.stats.pendingOverflows, m.stats.unansweredQueries], [100, 92, 100]);
});
