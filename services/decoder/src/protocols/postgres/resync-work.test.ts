// Regression (fuzz case 41649): one damaged header deep inside a long result cycle, with the
// cycle's start and the damage in the same buffer. The parser walked thousands of DataRows and
// answered 'invalid' without handing them over, so the driver resynced at the next DataRow and
// the parser walked them all again: ~2400 invalid frames and quadratic work for one bad header.
// Now the walked messages are absorbed with the verdict: the cycle ends there as a partial frame
// and the resync starts at the bad header. Work is counted, not timed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DirectionDriver } from '../../core/stream/driver.js';
import { DEFAULT_DRIVER_LIMITS, newDriverCounters } from '../../core/stream/types.js';
import { fixtureBatches } from '../../test-support/fixtures.js';
import { allSegments, streamBytes } from '../../test-support/streams.js';
import type { Framed, Protocol } from '../protocol.js';
import { once } from './fixture-runs.js';
import { postgres } from './index.js';
import type { PgFrame, PgState } from './types.js';

/** The server's bytes of the 20000-row capture, one DataRow header replaced by a bad one. */
function damagedResponse(): { bytes: Buffer; rowsBefore: number } {
  const bytes = Buffer.from(streamBytes(once(allSegments(fixtureBatches('postgres-large-result.pcap'))), false));
  const rows: number[] = []; // DataRow offsets of the cycle in progress
  let cycleRows: number[] = [];
  for (let pos = 0; pos + 5 <= bytes.length; pos += 1 + bytes.readUInt32BE(pos + 1)) {
    if (bytes[pos] === 0x44) cycleRows.push(pos); // 'D'
    if (bytes[pos] === 0x5a) { if (cycleRows.length > rows.length) rows.splice(0, rows.length, ...cycleRows); cycleRows = []; } // 'Z'
  }
  assert.ok(rows.length >= 10_000, `${rows.length} rows`);
  const k = Math.floor(rows.length * 0.75);
  const at = rows[k] as number;
  bytes[at] = 0x31; // '1' ParseComplete, whose length must be 4:
  bytes.writeUInt32BE(15, at + 1); // "length 15 out of bounds for '1'", as in the fuzz case
  return { bytes, rowsBefore: k };
}

/** The real parser, counting its calls and the bytes handed to calls that answered 'invalid'. */
function counted() {
  const work = { calls: 0, invalidBytes: 0, boundaryScanned: 0 };
  const p: Protocol<PgFrame, PgState> = {
    ...postgres,
    parseFrame(d, buf, s, atEnd) {
      work.calls++;
      const r = postgres.parseFrame(d, buf, s, atEnd);
      if (r.kind === 'invalid') work.invalidBytes += buf.length;
      return r;
    },
    findFrameBoundary(d, buf, from) {
      const at = postgres.findFrameBoundary(d, buf, from);
      work.boundaryScanned += (at < 0 ? buf.length : at) - from;
      return at;
    },
  };
  return { p, work };
}

function run(bytes: Buffer, piece: number) {
  const { p, work } = counted();
  const frames: Framed<PgFrame>[] = [];
  const counters = newDriverCounters();
  const d = new DirectionDriver<PgFrame, PgState>('response', (f) => frames.push(f), counters, DEFAULT_DRIVER_LIMITS);
  d.start(p, postgres.newState(), false);
  for (let off = 0; off < bytes.length; off += piece) d.data(bytes.subarray(off, off + piece), 1 + off, BigInt(off));
  d.end('fin');
  const summary = frames.map((f) => [f.partial, f.frame.rows, f.frame.tags.join(';'), f.notes.join(';')]);
  return { work, counters, summary };
}

test('a bad header deep in a long cycle costs one invalid frame and linear work, however the bytes were cut', () => {
  const { bytes, rowsBefore } = damagedResponse();
  const whole = run(bytes, bytes.length); // the cycle's start and the damage in one buffer
  // Before the fix: ~5000 invalid frames here, each re-walking up to ~75 KB of DataRows.
  assert.ok(whole.counters.invalidFrames <= 3, `${whole.counters.invalidFrames} invalid frames`);
  assert.ok(whole.work.calls <= 50, `${whole.work.calls} parseFrame calls`);
  assert.ok(whole.work.invalidBytes <= bytes.length, `${whole.work.invalidBytes} bytes handed to calls that failed`);
  assert.ok(whole.work.boundaryScanned <= bytes.length, `${whole.work.boundaryScanned} bytes scanned for a boundary`);
  // The rows before the damage stay in their cycle, reported cut short.
  const cut = whole.summary.find(([partial]) => partial === true);
  assert.ok(cut !== undefined);
  assert.equal(cut[1], rowsBefore);
  assert.match(String(cut[3]), /cut short: invalid \(length 15 out of bounds for '1'\)/);
  // The same outcome when the bytes come in pieces (each piece's rows absorbed as they stream).
  assert.deepEqual(run(bytes, 1460).summary, whole.summary);
});
