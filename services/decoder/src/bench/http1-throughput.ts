// Throughput of the decoder on HTTP/1.1 keep-alive traffic: the real request/response payloads
// of test-fixtures/node-keepalive.pcap repeated into one long connection (sequence numbers and
// timestamps advanced as on the wire), cut into 64-segment batches, and timed through push().
import { readFileSync } from 'node:fs';
import { TcpFlags, type Segment, type SegmentBatch } from '@clovisor/core';
import { FlowDecoder } from '../core/decoder.js';
import { readCaptureFile } from '../io/pcap/index.js';

const FIXTURE = new URL('../../test-fixtures/node-keepalive.pcap', import.meta.url);

/** Payload-carrying segments of the fixture's connection, in capture order. */
function fixtureSegments(): { template: SegmentBatch; segments: Segment[] } {
  const { batches } = readCaptureFile(readFileSync(FIXTURE));
  const first = batches[0];
  if (first === undefined) throw new Error('node-keepalive.pcap has no TCP flow');
  const segments = batches.filter((b) => b.flowId === first.flowId).flatMap((b) => b.segments)
    .filter((s) => s.payload.length > 0);
  return { template: first, segments };
}

function buildStream(transactionsWanted: number): { batches: SegmentBatch[]; transactions: number } {
  const { template, segments } = fixtureSegments();
  const perRound = segments.filter((s) => s.fromClient).length;
  const rounds = Math.ceil(transactionsWanted / perRound);
  const batches: SegmentBatch[] = [];
  let clientSeq = 1000;
  let serverSeq = 5000;
  let ts = 1_700_000_000_000_000_000n;
  let current: Segment[] = [];
  const flush = (): void => {
    batches.push({ ...template, protocolHint: 'http', segments: current });
    current = [];
  };
  current.push({ timestampNs: ts, fromClient: true, seq: clientSeq - 1, ack: 0, flags: TcpFlags.SYN, wireLength: 0, payload: Buffer.alloc(0) });
  current.push({ timestampNs: ts, fromClient: false, seq: serverSeq - 1, ack: clientSeq, flags: TcpFlags.SYN | TcpFlags.ACK, wireLength: 0, payload: Buffer.alloc(0) });
  for (let r = 0; r < rounds; r++) {
    for (const s of segments) {
      ts += 10_000n;
      const seq = s.fromClient ? clientSeq : serverSeq;
      current.push({ ...s, timestampNs: ts, seq: seq >>> 0, flags: TcpFlags.ACK | TcpFlags.PSH });
      if (s.fromClient) clientSeq = (clientSeq + s.wireLength) >>> 0;
      else serverSeq = (serverSeq + s.wireLength) >>> 0;
      if (current.length === 64) flush();
    }
  }
  if (current.length > 0) flush();
  return { batches, transactions: rounds * perRound };
}

export async function benchHttp1(): Promise<{ transactionsPerSecond: number }> {
  const { batches, transactions } = buildStream(400_000);
  const run = (): number => {
    const decoder = new FlowDecoder();
    let n = 0;
    const start = process.hrtime.bigint();
    for (const b of batches) n += decoder.push(b).length;
    n += decoder.flushAll().length;
    const ns = Number(process.hrtime.bigint() - start);
    if (n !== transactions) throw new Error(`bench decoded ${n} transactions, expected ${transactions}`);
    return (n * 1e9) / ns;
  };
  run(); // warm-up: JIT
  const best = Math.max(run(), run(), run());
  return { transactionsPerSecond: Math.round(best) };
}
