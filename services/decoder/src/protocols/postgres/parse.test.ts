// The parser on the bytes of real psql / node-postgres sessions (test-fixtures/postgres-*.pcap):
// whole cycles, every truncated prefix, streamed results, garbage and absurd lengths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Run } from '../../test-support/streams.js';
import type { Direction, ParseResult } from '../protocol.js';
import { postgres } from './index.js';
import { Feeder, dir, feedFlow, flowRuns } from './fixture-runs.js';
import { PG_LIMITS, newPgState, type PgFrame, type PgState } from './types.js';

test('psql sessions: SSLRequest answered N, SCRAM startup, simple queries, tags and errors', () => {
  const flows = flowRuns('postgres-psql.pcap');
  assert.equal(flows.length, 7);
  const got = flows.map((rs) => {
    const f = feedFlow(rs);
    assert.deepEqual([f.buf.request.length, f.buf.response.length], [0, 0]);
    return f;
  });
  // First connection: SSLRequest + 'N' ignored; the SASL 'p' messages ignored (never kept).
  assert.equal(got[0]?.ignored, 2 + 2 + 1); // SSLRequest, N, 2 × SASL p, Terminate
  assert.equal(got[1]?.ignored, 2 + 1);
  const startup = got[0]?.frames.request[0];
  assert.deepEqual([startup?.kind, startup?.params], ['startup', { user: 'postgres', database: 'postgres', application_name: 'psql' }]);
  assert.deepEqual(got.map((f) => f.frames.request.slice(1).map((q) => q.queries.join('; '))), [
    ['CREATE TABLE fx_items (id int PRIMARY KEY, name text)'], ["INSERT INTO fx_items VALUES (1, 'one')"],
    ["INSERT INTO fx_items VALUES (2, 'two'), (3, 'three')"], ['SELECT id, name FROM fx_items ORDER BY id'],
    ['SELECT * FROM nope'],
    ["UPDATE fx_items SET name = 'uno' WHERE id = 1; SELECT count(*) FROM fx_items; DELETE FROM fx_items WHERE id = 3"], [],
  ]);
  assert.deepEqual(got.map((f) => f.frames.response.map((r) => [r.startup, r.ready, r.tags.join('|'), r.error, r.rows])), [
    [[true, true, '', null, 0], [false, true, 'CREATE TABLE', null, 0]],
    [[true, true, '', null, 0], [false, true, 'INSERT 0 1', null, 0]],
    [[true, true, '', null, 0], [false, true, 'INSERT 0 2', null, 0]],
    [[true, true, '', null, 0], [false, true, 'SELECT 3', null, 3]],
    [[true, true, '', null, 0], [false, true, '', '42P01 relation "nope" does not exist', 0]],
    [[true, true, '', null, 0], [false, true, 'UPDATE 1|SELECT 1|DELETE 1', null, 1]],
    [[true, false, '', '28P01 password authentication failed for user "postgres"', 0]],
  ]);
  for (const f of got) assert.equal(f.state.outstanding, 0);
});

test('node-postgres: extended cycles, a named statement executed twice, an error, statements remembered', () => {
  const [rs] = flowRuns('postgres-node-extended.pcap');
  const f = feedFlow(rs as Run[]);
  const q = f.frames.request.slice(1);
  assert.deepEqual(q.map((c) => [c.queries.join('; '), c.extended, c.messages]), [
    ['SELECT $1::int + $2::int AS sum', true, 5],
    ['SELECT id, name FROM fx_items WHERE id = $1', true, 5],
    ['SELECT id, name FROM fx_items WHERE id = $1', true, 4], // Bind/Describe/Execute/Sync: no Parse
    ['INSERT INTO fx_items (id, name) VALUES ($1, $2)', true, 5],
    ['SELECT * FROM missing_table WHERE id = $1', true, 5],
    ['SELECT count(*) FROM fx_items WHERE id > $1', true, 5],
  ]);
  assert.deepEqual(f.frames.response.slice(1).map((r) => [r.tags.join('|'), r.error, r.rows]), [
    ['SELECT 1', null, 1], ['SELECT 1', null, 1], ['SELECT 1', null, 1], ['INSERT 0 1', null, 0],
    ['', '42P01 relation "missing_table" does not exist', 0], ['SELECT 1', null, 1],
  ]);
  assert.equal(f.state.statements.get('by_id'), 'SELECT id, name FROM fx_items WHERE id = $1');
  // The same Bind without the Parse that named the statement: the text is unknown, and said so.
  const bindOnly = (rs as Run[]).filter((r) => r.fromClient && r.bytes[0] === 0x42)[0] as Run;
  const fresh = newPgState();
  fresh.startupDone = true;
  const r = postgres.parseFrame('request', bindOnly.bytes, fresh, false);
  assert.equal(r.kind, 'success');
  const frame = (r as { frame: PgFrame }).frame;
  assert.deepEqual([frame.queries, frame.unknownStatements], [[''], ['by_id']]);
});

test('every truncated prefix of a real message run is needs-more-data', () => {
  let checked = 0;
  for (const name of ['postgres-psql.pcap', 'postgres-node-extended.pcap']) {
    for (const rs of flowRuns(name)) {
      const f = new Feeder();
      for (const run of rs) {
        const d = dir(run.fromClient);
        if (d === 'response' && f.state.answer !== null) { f.push(d, run.bytes); continue; } // the one-byte 'N'
        for (let k = 1; k < run.bytes.length; k++) {
          // The state the whole run would meet, copied: what came before on the connection matters.
          const state: PgState = structuredClone(f.state);
          const r = postgres.parseFrame(d, Buffer.concat([f.buf[d], run.bytes.subarray(0, k)]), state, false);
          assert.equal(r.kind, 'needs-more-data', `${name} ${d} prefix ${k}/${run.bytes.length}: ${JSON.stringify(r)}`);
          checked++;
        }
        f.push(d, run.bytes);
      }
    }
  }
  assert.ok(checked > 5000, `${checked}`);
});

test('20000 rows: streamed in small pieces, DataRows counted, never buffered', () => {
  const [rs] = flowRuns('postgres-large-result.pcap');
  const whole = feedFlow(rs as Run[]);
  for (const size of [1, 7, 1000]) {
    const f = feedFlow(rs as Run[], size === 1 ? 3 : size);
    const res = f.frames.response[1] as PgFrame;
    assert.deepEqual([res.tags, res.rows, res.ready], [['SELECT 20000'], 20000, true]);
    assert.equal(res.rowBytes, whole.frames.response[1]?.rowBytes);
    assert.ok(f.maxHeld < 600, `held ${f.maxHeld} bytes`); // a header or a small message, never the rows
  }
  const res = whole.frames.response[1] as PgFrame;
  // Each DataRow: int16 column count + int32 length + the digits of g.
  let digits = 0;
  for (let g = 1; g <= 20000; g++) digits += String(g).length;
  assert.equal(res.rowBytes, 20000 * 6 + digits);
});

test('garbage and absurd lengths are invalid at once', () => {
  const typed = newPgState();
  typed.startupDone = true;
  const hdr = (type: string, length: number, body: Buffer = Buffer.alloc(0)): Buffer => {
    const b = Buffer.alloc(5);
    b.write(type, 0, 'latin1');
    b.writeUInt32BE(length >>> 0, 1);
    return Buffer.concat([b, body]);
  };
  const cases: [Direction, Buffer, PgState][] = [
    ['request', Buffer.from('GET / HTTP/1.1\r\n'), typed],
    ['request', Buffer.from('*1\r\n$4\r\nPING\r\n'), typed],
    ['request', hdr('Q', 0x7fffffff), typed], // absurd query length
    ['request', Buffer.from([0x51, 0x7f]), typed], // absurd even with only its first length byte
    ['request', hdr('Q', 3), typed], // shorter than the length field itself
    ['request', hdr('S', 5), typed], // Sync has no body
    ['request', hdr('E', 5000), typed], // Execute bigger than a portal name allows
    ['request', hdr('Q', 9, Buffer.from('abcde')), typed], // no NUL terminator
    ['request', hdr('C', 7, Buffer.from('X\0\0')), typed], // Close of neither statement nor portal
    ['request', Buffer.from([0, 0, 0, 8, 0, 2, 0, 0]), newPgState()], // protocol 2.0 startup
    ['request', Buffer.from([0, 0, 0x4e, 0x20, 0, 3, 0, 0]), newPgState()], // startup of 20000 bytes
    ['request', Buffer.from([0, 0, 0, 12, 0, 3, 0, 0, 0x75, 0x76, 0x77, 0]), newPgState()], // parameter without value
    ['response', hdr('Z', 6, Buffer.from('II')), typed],
    ['response', hdr('D', 0xffffffff), typed],
    ['response', Buffer.from('HTTP/1.1 200 OK\r\n'), typed],
    ['response', Buffer.from([0x16, 0x03, 0x03, 0x00, 0x40]), typed], // TLS record
    ['response', hdr('E', 6, Buffer.from([0x58, 0])), typed], // ErrorResponse without code or message
  ];
  for (const [d, bytes, state] of cases) {
    const s: PgState = structuredClone(state);
    const r: ParseResult<PgFrame> = postgres.parseFrame(d, bytes, s, false);
    assert.equal(r.kind, 'invalid', `${d} ${bytes.toString('hex').slice(0, 40)}: ${JSON.stringify(r)}`);
  }
  const ssl = newPgState();
  ssl.answer = 'ssl';
  assert.equal(postgres.parseFrame('response', Buffer.from('X'), ssl, false).kind, 'invalid');
  assert.equal(postgres.parseFrame('response', Buffer.from('S'), ssl, false).kind, 'ignored');
  assert.equal(postgres.parseFrame('response', Buffer.from([0x16, 3, 3]), ssl, false).kind, 'end-of-stream');
  assert.equal(postgres.parseFrame('request', Buffer.from([0x16, 3, 1]), ssl, false).kind, 'end-of-stream'); // TLS follows
  assert.equal(PG_LIMITS.maxMessageBytes, 1024 ** 3);
});
