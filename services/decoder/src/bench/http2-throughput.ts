// Throughput of the decoder on gRPC over HTTP/2: the real frames of test-fixtures/grpc-echo.pcap
// (unary OK, unary NOT_FOUND, server streaming; grpc-js client and server) repeated on one long
// connection. Each round moves its stream ids up and starts its first header block in each
// direction with an HPACK table reset (size update 0, then 4096), so every round decodes exactly
// as the recorded one did on a fresh connection. 64-segment batches, timed through push().
import { readFileSync } from 'node:fs';
import { TcpFlags, type Segment, type SegmentBatch } from '@clovisor/core';
import { FlowDecoder } from '../core/decoder.js';
import { readCaptureFile } from '../io/pcap/index.js';

const FIXTURE = new URL('../../test-fixtures/grpc-echo.pcap', import.meta.url);
const PREFACE_LENGTH = 24;
const TABLE_RESET = Buffer.from([0x20, 0x3f, 0xe1, 0x1f]); // size update 0, then 4096

interface Frame { header: Buffer; payload: Buffer }

/** The frames of one segment's payload (the fixture's segments carry whole frames). */
function framesOf(payload: Buffer): Frame[] {
  const out: Frame[] = [];
  let pos = payload.length >= PREFACE_LENGTH && payload.toString('latin1', 0, 3) === 'PRI' ? PREFACE_LENGTH : 0;
  while (pos < payload.length) {
    const len = payload.readUIntBE(pos, 3);
    if (pos + 9 + len > payload.length) throw new Error('grpc-echo.pcap: a frame spans segments');
    out.push({ header: payload.subarray(pos, pos + 9), payload: payload.subarray(pos + 9, pos + 9 + len) });
    pos += 9 + len;
  }
  return out;
}

/** Per round: the payload-carrying segments that touch streams, with their stream frames only. */
function template(): { setup: Segment[]; round: { fromClient: boolean; frames: Frame[] }[]; streams: number; flow: SegmentBatch } {
  const { batches } = readCaptureFile(readFileSync(FIXTURE));
  const flow = batches[0];
  if (flow === undefined) throw new Error('grpc-echo.pcap has no TCP flow');
  const segments = batches.filter((b) => b.flowId === flow.flowId).flatMap((b) => b.segments).filter((s) => s.payload.length > 0);
  const setup: Segment[] = [];
  const round: { fromClient: boolean; frames: Frame[] }[] = [];
  let streams = 0;
  for (const s of segments) {
    const frames = framesOf(s.payload).filter((f) => f.header.readUInt32BE(5) !== 0);
    if (frames.length === 0) { if (round.length === 0) setup.push(s); continue; }
    for (const f of frames) streams = Math.max(streams, f.header.readUInt32BE(5));
    round.push({ fromClient: s.fromClient, frames });
  }
  return { setup, round, streams: streams + 1, flow };
}

function buildStream(roundsWanted: number): { batches: SegmentBatch[]; transactions: number } {
  const { setup, round, streams, flow } = template();
  const batches: SegmentBatch[] = [];
  const seq = { client: 1000, server: 5000 };
  let ts = 1_700_000_000_000_000_000n;
  let current: Segment[] = [];
  const push = (fromClient: boolean, payload: Buffer, flags: number): void => {
    ts += 10_000n;
    const side = fromClient ? 'client' : 'server';
    current.push({ timestampNs: ts, fromClient, seq: seq[side] >>> 0, ack: 0, flags, wireLength: payload.length, payload });
    seq[side] += payload.length;
    if (current.length === 64) { batches.push({ ...flow, protocolHint: 'grpc', segments: current }); current = []; }
  };
  push(true, Buffer.alloc(0), TcpFlags.SYN);
  seq.client++;
  push(false, Buffer.alloc(0), TcpFlags.SYN | TcpFlags.ACK);
  seq.server++;
  for (const s of setup) push(s.fromClient, s.payload, TcpFlags.ACK | TcpFlags.PSH);
  for (let r = 0; r < roundsWanted; r++) {
    const reset = { client: true, server: true };
    for (const seg of round) {
      const parts: Buffer[] = [];
      for (const f of seg.frames) {
        const header = Buffer.from(f.header);
        header.writeUInt32BE(f.header.readUInt32BE(5) + r * streams, 5);
        const side = seg.fromClient ? 'client' : 'server';
        if (header[3] === 1 && reset[side]) { // the round's first HEADERS in this direction
          if (((header[4] as number) & 0x28) !== 0) throw new Error('padded/priority HEADERS not expected');
          reset[side] = false;
          header.writeUIntBE(f.payload.length + TABLE_RESET.length, 0, 3);
          parts.push(header, TABLE_RESET, f.payload);
        } else parts.push(header, f.payload);
      }
      push(seg.fromClient, Buffer.concat(parts), TcpFlags.ACK | TcpFlags.PSH);
    }
  }
  if (current.length > 0) batches.push({ ...flow, protocolHint: 'grpc', segments: current });
  return { batches, transactions: roundsWanted * (streams >> 1) };
}

export async function benchHttp2(): Promise<{ transactionsPerSecond: number }> {
  const { batches, transactions } = buildStream(40_000);
  const run = (): number => {
    const decoder = new FlowDecoder();
    let n = 0;
    const start = process.hrtime.bigint();
    for (const b of batches) for (const t of decoder.push(b)) if (t.grpc !== null) n++;
    for (const t of decoder.flushAll()) if (t.grpc !== null) n++;
    const ns = Number(process.hrtime.bigint() - start);
    if (n !== transactions) throw new Error(`bench decoded ${n} gRPC transactions, expected ${transactions}`);
    return (n * 1e9) / ns;
  };
  run(); // warm-up: JIT
  const best = Math.max(run(), run(), run());
  return { transactionsPerSecond: Math.round(best) };
}
