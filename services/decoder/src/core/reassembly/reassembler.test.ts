import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpFlags, type Segment } from '@clovisor/core';
import { DirectionReassembler } from './reassembler.js';
import { newReassemblyCounters, type ChunkSink, type EndReason, type GapReason, type ReassemblyLimits } from './types.js';
import { fixtureBatches } from '../../test-support/fixtures.js';
import { allSegments, rng, spanning, splitSegments, streamBytes } from '../../test-support/streams.js';

type Piece = { kind: 'data'; bytes: Buffer; seq: number; ts: bigint } | { kind: 'gap'; length: number; seq: number; reason: GapReason };

function collector(): { sink: ChunkSink; pieces: Piece[]; ended: EndReason[] } {
  const pieces: Piece[] = [];
  const ended: EndReason[] = [];
  return {
    pieces,
    ended,
    sink: {
      data: (bytes, seq, ts) => pieces.push({ kind: 'data', bytes: Buffer.from(bytes), seq, ts }),
      gap: (length, seq, _ts, reason) => pieces.push({ kind: 'gap', length, seq, reason }),
      end: (r) => ended.push(r),
    },
  };
}

const LIMITS: ReassemblyLimits = { maxOutOfOrderBytes: 1 << 20, maxOutOfOrderSegments: 4096 };

function reassemble(segments: Segment[], limits = LIMITS) {
  const c = collector();
  const counters = newReassemblyCounters();
  const r = new DirectionReassembler(c.sink, limits, counters);
  for (const s of segments) r.push(s);
  const data = Buffer.concat(c.pieces.flatMap((p) => (p.kind === 'data' ? [p.bytes] : [])));
  return { ...c, counters, r, data };
}

// The server → client direction of a real 24 KiB response (node /big, captured with -i any).
const big = allSegments(fixtureBatches('node-big-any.pcapng')).filter((s) => !s.fromClient);
const bigBytes = streamBytes(big, false);

const seg = (seq: number, text: string, flags: number = TcpFlags.ACK, ts = 1n): Segment => ({
  timestampNs: ts, fromClient: true, seq: seq >>> 0, ack: 0, flags, wireLength: Buffer.byteLength(text), payload: Buffer.from(text),
});

test('in order from the SYN: the stream starts at ISN+1 and ends at the FIN', () => {
  const { data, ended, counters } = reassemble(big);
  assert.equal(data.length, 24742);
  assert.deepEqual(data, bigBytes);
  assert.ok(data.subarray(0, 15).toString().startsWith('HTTP/1.1 200 OK'));
  assert.deepEqual(ended, ['fin']);
  assert.equal(counters.gaps, 0);
});

test('split into 97-byte pieces, shuffled, duplicated and overlapping: the same bytes come out', () => {
  const syn = big.filter((s) => (s.flags & TcpFlags.SYN) !== 0);
  const fin = big.filter((s) => (s.flags & TcpFlags.FIN) !== 0 && s.payload.length === 0);
  const pieces = splitSegments(big.filter((s) => s.payload.length > 0), 97);
  const random = rng(7);
  const noisy: Segment[] = [];
  for (const [i, p] of pieces.entries()) {
    noisy.push(p);
    const next = pieces[i + 1];
    if (next !== undefined && random() < 0.3) noisy.push(spanning(p, next, 1 + Math.floor(random() * 90)));
    if (random() < 0.3) noisy.push(p); // retransmission
    if (random() < 0.2 && p.payload.length > 10) { // overlapping retransmission of a middle slice
      noisy.push({ ...p, seq: (p.seq + 5) >>> 0, payload: p.payload.subarray(5, p.payload.length - 3), wireLength: p.payload.length - 8 });
    }
  }
  for (let i = noisy.length - 1; i > 0; i--) { // Fisher–Yates
    const j = Math.floor(random() * (i + 1));
    [noisy[i], noisy[j]] = [noisy[j] as Segment, noisy[i] as Segment];
  }
  const { data, counters, ended } = reassemble([...syn, ...noisy, ...fin]);
  assert.deepEqual(data, bigBytes);
  assert.equal(counters.gaps, 0);
  assert.ok(counters.duplicateSegments > 0 && counters.outOfOrderSegments > 0);
  assert.deepEqual(ended, ['fin']);
});

test('sequence numbers wrap around 2^32', () => {
  const isn = 0xffff_fff0;
  // The segment after the wrap (seq 5) arrives first and must wait, not count as old.
  const { data, pieces } = reassemble([
    seg(isn, '', TcpFlags.SYN), seg(isn + 21, 'UVWXYZ'), seg(isn + 1 + 10, 'KLMNOPQRST'), seg(isn + 1, 'ABCDEFGHIJ'),
  ]);
  assert.equal(data.toString(), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ');
  assert.deepEqual(pieces.map((p) => p.seq), [0xffff_fff1, 0xffff_fffb, 0x5]);
});

test('a full out-of-order window declares the hole lost, with its exact length', () => {
  const limits = { maxOutOfOrderBytes: 1 << 20, maxOutOfOrderSegments: 2 };
  const { pieces, counters } = reassemble([
    seg(99, '', TcpFlags.SYN), seg(100, 'aaaa'), seg(110, 'cccc'), seg(114, 'dddd'), seg(118, 'eeee'),
  ], limits);
  assert.deepEqual(pieces.map((p) => (p.kind === 'gap' ? `gap:${p.length}@${p.seq}:${p.reason}` : p.bytes.toString())),
    ['aaaa', 'gap:6@104:lost', 'cccc', 'dddd', 'eeee']);
  assert.equal(counters.gaps, 1);
  assert.equal(counters.gapBytes, 6);
});

test('a byte bound on the window works like the segment bound', () => {
  const { pieces, r } = reassemble([seg(0, 'x'), seg(10, '0123456789'), seg(30, 'abc')], { maxOutOfOrderBytes: 12, maxOutOfOrderSegments: 100 });
  const show = () => pieces.map((p) => (p.kind === 'gap' ? `gap:${p.length}` : p.bytes.toString()));
  assert.deepEqual(show(), ['x', 'gap:9', '0123456789']); // 'abc' (3 bytes) still fits the window
  assert.equal(r.bufferedBytes, 3);
  r.finish('flush');
  assert.deepEqual(show(), ['x', 'gap:9', '0123456789', 'gap:10', 'abc']);
});

test('a segment cut by the snaplen delivers its bytes, then a truncated gap of the missing tail', () => {
  const cut = big.map((s) => (s.payload.length > 64 ? { ...s, payload: s.payload.subarray(0, 64) } : s));
  const { pieces, counters, ended } = reassemble(cut);
  const gaps = pieces.filter((p) => p.kind === 'gap');
  assert.ok(gaps.length > 0 && gaps.every((g) => g.reason === 'truncated'));
  const total = pieces.reduce((n, p) => n + (p.kind === 'gap' ? p.length : p.bytes.length), 0);
  assert.equal(total, 24742); // the stream keeps its length on the wire
  assert.equal(counters.truncatedBytes, 24742 - pieces.reduce((n, p) => n + (p.kind === 'data' ? p.bytes.length : 0), 0));
  assert.deepEqual(ended, ['fin']);
});

test('without a SYN the stream starts at the first segment seen (mid-stream pickup)', () => {
  const { data, r } = reassemble([seg(5000, 'middle of '), seg(5010, 'a stream')]);
  assert.equal(data.toString(), 'middle of a stream');
  assert.equal(r.midStream, true);
});

test('a FIN waits for the bytes before it; RST ends at once, flushing what is held', () => {
  const a = reassemble([seg(0, '', TcpFlags.SYN), seg(6, 'world', TcpFlags.FIN | TcpFlags.ACK)]);
  assert.deepEqual(a.ended, []);
  a.r.push(seg(1, 'hello'));
  assert.equal(Buffer.concat(a.pieces.flatMap((p) => (p.kind === 'data' ? [p.bytes] : []))).toString(), 'helloworld');
  assert.deepEqual(a.ended, ['fin']);
  a.r.push(seg(1, 'hello'));
  assert.equal(a.counters.segmentsAfterEnd, 1);

  const b = reassemble([seg(0, '', TcpFlags.SYN), seg(1, 'ab'), seg(10, 'zz'), seg(12, '', TcpFlags.RST)]);
  assert.deepEqual(b.pieces.map((p) => (p.kind === 'gap' ? `gap:${p.length}` : p.bytes.toString())), ['ab', 'gap:7', 'zz']);
  assert.deepEqual(b.ended, ['rst']);
});

test('flush at the end declares the hole before a FIN that never got its bytes', () => {
  const a = reassemble([seg(0, '', TcpFlags.SYN), seg(1, 'ab'), seg(8, 'x', TcpFlags.FIN)]);
  assert.deepEqual(a.ended, []);
  a.r.finish('flush');
  assert.deepEqual(a.pieces.map((p) => (p.kind === 'gap' ? `gap:${p.length}` : p.bytes.toString())), ['ab', 'gap:5', 'x']);
  assert.deepEqual(a.ended, ['fin']);
  assert.equal(a.r.bufferedBytes, 0);
});
