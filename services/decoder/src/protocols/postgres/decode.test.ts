// End to end on real captures: pcap → SegmentBatch → FlowDecoder (protocol detected from the
// startup message; the server ran on port 5499) → Transaction. Expected sizes and times come
// from the capture's own segments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Segment, Transaction } from '@clovisor/core';
import { decodeBatches, decodeFixture, fixtureBatches } from '../../test-support/fixtures.js';
import { rebatch, splitSegments } from '../../test-support/streams.js';
import { detectProtocol, protocolForHint } from '../registry.js';
import { postgres } from './index.js';
import { newPgState } from './types.js';

const fields = (t: Transaction): [number, string, string | null, string | null, boolean, boolean] =>
  [t.messageIndex, t.postgres?.query ?? '?', t.postgres?.tag ?? null, t.postgres?.error ?? null, t.postgres?.extended ?? false, t.complete];

function flowSegments(name: string, flow = 0): { template: ReturnType<typeof fixtureBatches>[number]; segments: Segment[] } {
  const batches = fixtureBatches(name);
  const id = [...new Set(batches.map((b) => b.flowId))][flow];
  const mine = batches.filter((b) => b.flowId === id);
  return { template: mine[0] as (typeof mine)[number], segments: mine.flatMap((b) => b.segments) };
}

const STARTUP: [number, string, string, null, boolean, boolean] = [0, '', 'STARTUP', null, false, true];

test('psql: startup, simple queries, multi-statement tags, an error, a failed login', () => {
  const { transactions, stats } = decodeFixture('postgres-psql.pcap');
  assert.ok(transactions.every((t) => t.protocol === 'postgres' && t.server.port === 5499));
  assert.deepEqual(transactions.map(fields), [
    STARTUP, [1, 'CREATE TABLE fx_items (id int PRIMARY KEY, name text)', 'CREATE TABLE', null, false, true],
    STARTUP, [1, "INSERT INTO fx_items VALUES (1, 'one')", 'INSERT 0 1', null, false, true],
    STARTUP, [1, "INSERT INTO fx_items VALUES (2, 'two'), (3, 'three')", 'INSERT 0 2', null, false, true],
    STARTUP, [1, 'SELECT id, name FROM fx_items ORDER BY id', 'SELECT 3', null, false, true],
    STARTUP, [1, 'SELECT * FROM nope', null, '42P01 relation "nope" does not exist', false, true],
    STARTUP, [1, "UPDATE fx_items SET name = 'uno' WHERE id = 1; SELECT count(*) FROM fx_items; DELETE FROM fx_items WHERE id = 3",
      'UPDATE 1; SELECT 1; DELETE 1', null, false, true],
    [0, '', 'STARTUP', '28P01 password authentication failed for user "postgres"', false, true],
  ]);
  assert.deepEqual(transactions[0]?.notes, ['startup: user=postgres database=postgres application_name=psql']);
  assert.deepEqual([stats.invalidFrames, stats.resyncs, stats.orphanResponses, stats.bytesSkipped, stats.partialFrames], [0, 0, 0, 0, 0]);
  assert.equal(stats.flowsClosed, 7);
});

test('psql: sizes and times of the startup exchange and of a query come from the wire', () => {
  const { transactions } = decodeFixture('postgres-psql.pcap');
  // Second connection: StartupMessage | R | p | R | p | R..Z | Q | C Z | X (no SSLRequest).
  const { segments } = flowSegments('postgres-psql.pcap', 1);
  const data = segments.filter((s) => s.payload.length > 0);
  const [startup, r1, , r2, , r3, q, cz] = data as Segment[];
  assert.ok(startup && r1 && r2 && r3 && q && cz);
  const [tx0, tx1] = [transactions[2], transactions[3]] as Transaction[];
  assert.equal(tx0.requestBytes, startup.payload.length);
  // The authentication exchange: from the first R to ReadyForQuery, the client's SASL messages between.
  assert.deepEqual([tx0.responseBytes, tx0.responseStartNs, tx0.responseEndNs],
    [r1.payload.length + r2.payload.length + r3.payload.length, r1.timestampNs, r3.timestampNs]);
  assert.deepEqual([tx1.requestSeq, tx1.requestBytes, tx1.requestStartNs, tx1.responseBytes, tx1.responseEndNs],
    [q.seq, q.payload.length, q.timestampNs, cz.payload.length, cz.timestampNs]);
});

test('node-postgres: extended queries, a named statement executed twice, an extended error', () => {
  const { transactions, stats } = decodeFixture('postgres-node-extended.pcap');
  assert.deepEqual(transactions.map(fields), [
    [0, '', 'STARTUP', null, false, true],
    [1, 'SELECT $1::int + $2::int AS sum', 'SELECT 1', null, true, true],
    [2, 'SELECT id, name FROM fx_items WHERE id = $1', 'SELECT 1', null, true, true],
    [3, 'SELECT id, name FROM fx_items WHERE id = $1', 'SELECT 1', null, true, true], // Bind of "by_id", no Parse
    [4, 'INSERT INTO fx_items (id, name) VALUES ($1, $2)', 'INSERT 0 1', null, true, true],
    [5, 'SELECT * FROM missing_table WHERE id = $1', null, '42P01 relation "missing_table" does not exist', true, true],
    [6, 'SELECT count(*) FROM fx_items WHERE id > $1', 'SELECT 1', null, true, true],
  ]);
  assert.ok(transactions.every((t) => t.notes.length === (t.messageIndex === 0 ? 1 : 0)), JSON.stringify(transactions.map((t) => t.notes)));
  assert.deepEqual([stats.invalidFrames, stats.resyncs, stats.orphanResponses, stats.bytesSkipped], [0, 0, 0, 0]);
});

test('20000 rows across many segments: one transaction, every response byte counted', () => {
  const { template, segments } = flowSegments('postgres-large-result.pcap');
  const server = segments.filter((s) => !s.fromClient && s.payload.length > 0);
  const seen = new Set<number>();
  const unique = server.filter((s) => { const dup = seen.has(s.seq); seen.add(s.seq); return !dup; }); // one retransmission
  assert.ok(unique.length >= 15);
  const total = unique.reduce((n, s) => n + s.payload.length, 0);
  const startupBytes = unique.slice(0, 3).reduce((n, s) => n + s.payload.length, 0); // R, R, R…Z
  for (const pieces of [segments, splitSegments(segments, 1400)]) {
    const { transactions, stats } = decodeBatches(rebatch(template, pieces, 32));
    assert.deepEqual(transactions.map(fields), [
      [0, '', 'STARTUP', null, false, true],
      [1, 'SELECT g FROM generate_series(1, $1::int) g', 'SELECT 20000', null, true, true],
    ]);
    assert.deepEqual(transactions.map((t) => t.responseBytes), [startupBytes, total - startupBytes]);
    assert.ok((transactions[1] as Transaction).responseBytes > 300_000);
    assert.deepEqual([stats.invalidFrames, stats.oversizedFrames, stats.bufferedBytes], [0, 0, 0]);
  }
});

test('picked up mid-connection: resync at the next cycle, earlier statements unknown', () => {
  const { template, segments } = flowSegments('postgres-node-extended.pcap');
  // Drop the handshake, the startup and the first two cycles: the capture starts at the third
  // cycle, a Bind of the statement "by_id" whose Parse was never seen.
  const data = segments.filter((s) => s.payload.length > 0);
  const third = data.find((s) => s.fromClient && s.payload[0] === 0x42) as Segment;
  const { transactions, stats } = decodeBatches(rebatch({ ...template, protocolHint: 'postgres' }, segments.filter((s) => s.timestampNs >= third.timestampNs), 8));
  assert.deepEqual(transactions.map((t) => [t.messageIndex, t.postgres?.query, t.postgres?.tag, t.postgres?.extended]), [
    [0, '', 'SELECT 1', true],
    [1, 'INSERT INTO fx_items (id, name) VALUES ($1, $2)', 'INSERT 0 1', true],
    [2, 'SELECT * FROM missing_table WHERE id = $1', null, true],
    [3, 'SELECT count(*) FROM fx_items WHERE id > $1', 'SELECT 1', true],
  ]);
  assert.ok(transactions[0]?.notes.includes('statement text not captured (prepared earlier): "by_id"'), transactions[0]?.notes.join('; '));
  assert.equal(stats.invalidFrames, 0);
});

test('detection: startup shapes, the 5432 port hint and port names; other protocols are not postgres', () => {
  const { segments } = flowSegments('postgres-psql.pcap');
  const ssl = segments.find((s) => s.payload.length > 0) as Segment;
  const startup = segments.filter((s) => s.payload.length > 0)[2] as Segment;
  assert.equal(ssl.payload.length, 8);
  assert.equal(detectProtocol(ssl.payload, 5499), 'postgres');
  assert.equal(detectProtocol(startup.payload, 5499), 'postgres');
  assert.equal(detectProtocol(startup.payload.subarray(0, 20), 5499), 'postgres'); // first segment of a longer startup
  assert.equal(postgres.detect(Buffer.from('Q\0\0\0\x0dSELECT 1\0', 'latin1'), 5432), true);
  assert.equal(postgres.detect(Buffer.from('GET / HTTP/1.1\r\n'), 5499), false);
  assert.equal(postgres.detect(Buffer.from([0, 0, 0, 8, 0, 2, 0, 0]), null), false);
  // Same first 8 bytes as a v3.0 startup: a Kafka Metadata v0 request (size, api key 3, version 0,
  // correlation id 1, client id "c"); its parameters do not parse.
  assert.equal(postgres.detect(Buffer.from([0, 0, 0, 15, 0, 3, 0, 0, 0, 0, 0, 1, 0, 1, 0x63, 0, 0, 0, 0]), null), false);
  assert.equal(postgres.detect(startup.payload.subarray(0, 30), null), true); // cut inside a name: fine so far
  assert.equal(postgres.detect(Buffer.from([...startup.payload.subarray(0, 12), 0x0a]), null), false); // control char in a name
  assert.deepEqual(['postgres', 'postgresql-main', 'pg', 'PG-replica'].map(protocolForHint), ['postgres', 'postgres', 'postgres', 'postgres']);
  // resync finds the next Query, not a 'Q' inside text
  const q = Buffer.from('xxQ\0\0\0\x0dSELECT 1\0', 'latin1');
  assert.equal(postgres.findFrameBoundary('request', q, 0), 2);
  assert.equal(postgres.findFrameBoundary('request', Buffer.from('SELECT Quux FROM t'), 0), -1);
  assert.equal(postgres.abandon('request', q.subarray(2, 10), newPgState())?.queries[0], 'SEL');
});

test('COPY in and out, and a query cancelled from a second connection', () => {
  const { transactions, stats } = decodeFixture('postgres-copy-cancel.pcap');
  assert.deepEqual(transactions.map(fields), [
    STARTUP, [1, 'COPY fx_items FROM STDIN', 'COPY 2', null, false, true],
    STARTUP, [1, 'COPY fx_items TO STDOUT', 'COPY 4', null, false, true],
    STARTUP, [1, 'SELECT pg_sleep(5)', null, '57014 canceling statement due to user request', false, true],
    [0, '', 'CANCEL', null, false, false], // answered by no message: the server just closes
  ]);
  // The CancelRequest names the backend the third connection was told in its BackendKeyData.
  const server = flowSegments('postgres-copy-cancel.pcap', 2).segments.filter((s) => !s.fromClient);
  const bytes = Buffer.concat(server.map((s) => s.payload));
  const key = bytes.indexOf(Buffer.from([0x4b, 0, 0, 0, 12]));
  assert.ok(key > 0);
  assert.deepEqual(transactions[6]?.notes, [`cancel request for backend pid ${bytes.readUInt32BE(key + 5)}`]);
  assert.deepEqual([stats.invalidFrames, stats.resyncs, stats.orphanResponses, stats.bytesSkipped], [0, 0, 0, 0]);
});

test('TLS negotiated (SSLRequest answered S): no transaction, the rest counted as after a switch', () => {
  const { transactions, stats } = decodeFixture('postgres-tls.pcap');
  const { segments } = flowSegments('postgres-tls.pcap');
  const data = segments.filter((s) => s.payload.length > 0);
  assert.deepEqual(data.slice(0, 2).map((s) => s.payload.length), [8, 1]); // SSLRequest, 'S'
  assert.equal(data[1]?.payload[0], 0x53);
  const rest = data.slice(2).reduce((n, s) => n + s.payload.length, 0);
  assert.deepEqual(transactions, []);
  assert.deepEqual([stats.protocolSwitches, stats.bytesAfterSwitch, stats.invalidFrames, stats.flowsUndetected], [1, rest, 0, 0]);
});
