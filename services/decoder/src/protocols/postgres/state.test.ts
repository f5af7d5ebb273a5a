// Connection state on real bytes: a capture hole inside a DataRow, remembered statements.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Run } from '../../test-support/streams.js';
import { postgres } from './index.js';
import { feedFlow, flowRuns } from './fixture-runs.js';
import { PG_LIMITS, newPgState, type PgFrame } from './types.js';

test('a capture hole inside a DataRow is counted as that row (absorbGap), not a resync', () => {
  const [rs] = flowRuns('postgres-large-result.pcap');
  const f = feedFlow((rs as Run[]).slice(0, 7)); // up to the extended query, its response not yet
  const response = Buffer.concat((rs as Run[]).slice(7).filter((r) => !r.fromClient).map((r) => r.bytes));
  // Walk the real messages (type + length) to the 1000th DataRow.
  let pos = 0;
  let rows = 0;
  while (rows < 1000) {
    if (response[pos] === 0x44) rows++;
    if (rows < 1000) pos += 1 + response.readUInt32BE(pos + 1);
  }
  const bodyLength = response.readUInt32BE(pos + 1) - 4;
  f.push('response', response.subarray(0, pos + 5 + 2)); // header and 2 body bytes of that row
  assert.equal(postgres.absorbGap('response', 1_000_000, f.state), bodyLength - 2); // only the row's rest
  assert.equal(postgres.absorbGap('response', 10, f.state), 0); // the next header is needed
  f.push('response', response.subarray(pos + 5 + bodyLength));
  const res = f.frames.response[1] as PgFrame;
  assert.deepEqual([res.rows, res.tags, res.ready], [20000, ['SELECT 20000'], true]);
  assert.equal(res.rowBytes, feedFlow(rs as Run[]).frames.response[1]?.rowBytes);
});

test('prepared statements and portals are remembered per connection, bounded', () => {
  const [rs] = flowRuns('postgres-node-extended.pcap');
  const parseRun = (rs as Run[]).find((r) => r.fromClient && r.bytes[0] === 0x50) as Run; // P/B/D/E/S
  const parseLength = 1 + parseRun.bytes.readUInt32BE(1);
  const real = parseRun.bytes.subarray(0, parseLength); // Parse of the unnamed statement
  const state = newPgState();
  state.startupDone = true;
  for (let i = 0; i < PG_LIMITS.maxStatements + 50; i++) {
    // The same real Parse under a new statement name: name '' → 's<i>'.
    const name = Buffer.from(`s${i}\0`);
    const msg = Buffer.concat([Buffer.from('P'), Buffer.alloc(4), name, real.subarray(6)]);
    msg.writeUInt32BE(msg.length - 1, 1);
    assert.equal(postgres.parseFrame('request', msg, state, false).kind, 'needs-more-data'); // cycle open until Sync
  }
  assert.equal(state.statements.size, PG_LIMITS.maxStatements);
  assert.equal(state.statements.has('s0'), false);
  assert.equal(state.statements.get(`s${PG_LIMITS.maxStatements + 49}`), 'SELECT $1::int + $2::int AS sum');
});
