// Avro encoding of SegmentBatch records, the capture agent's largest CPU share under HTTP load:
// avsc's generic writers vs the hand-written writer (packages/core/src/avro/segment-batch-writer.ts),
// on batches shaped like the capture-overhead bench's (keep-alive HTTP, 64 segments a batch:
// request, its ACK, response, its ACK).
import { codecs, RecordCodec, type Segment, type SegmentBatch } from '@clovisor/core';
import type { BenchResults } from './results.js';

const REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: 10.23.0.3:8080\r\nConnection: keep-alive\r\n\r\n');
const RESPONSE = Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: Mon, 23 Nov 2026 17:45:00 GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 3\r\n\r\nok\n');

function httpBatch(n: number): SegmentBatch {
  const segments: Segment[] = [];
  let clientSeq = 3_000_000_000 + n;
  let serverSeq = 1_200_000_000 + n;
  const t0 = 1_763_900_000_000_000_000n + BigInt(n) * 10_000_000n;
  for (let i = 0; i < 64; i++) {
    const kind = i % 4;
    const fromClient = kind === 0 || kind === 3;
    const payload = kind === 0 ? REQUEST : kind === 2 ? RESPONSE : Buffer.alloc(0);
    segments.push({
      timestampNs: t0 + BigInt(i * 35_000), fromClient, seq: fromClient ? clientSeq : serverSeq, ack: fromClient ? serverSeq : clientSeq,
      flags: payload.length > 0 ? 0x18 : 0x10, wireLength: payload.length, payload: Buffer.from(payload), nodeTimestampNs: null,
    });
    if (kind === 0) clientSeq += REQUEST.length;
    if (kind === 2) serverSeq += RESPONSE.length;
  }
  return {
    flowId: (0x1234abcd00000000n + BigInt(n)).toString(16), node: 'node-1', interfaceName: 'veth3f2a9c1', ifindex: 42, transport: 'TCP',
    client: { address: '10.23.0.2', port: 40_000 + (n % 8) }, server: { address: '10.23.0.3', port: 8080 }, podRole: 'SERVER',
    pod: { service: 'backend', namespace: 'default', name: 'backend-7d9f', node: 'node-1' }, protocolHint: 'http', segments, lostEventsBefore: 0, tcpEvents: [],
  };
}

/** batches encoded per second: best of three runs of ~0.5 s */
function batchesPerSecond(codec: RecordCodec<SegmentBatch>, batches: SegmentBatch[]): number {
  let best = 0;
  for (let run = 0; run < 3; run++) {
    let n = 0;
    const began = performance.now();
    let elapsed = 0;
    do {
      for (const batch of batches) codec.encode(batch);
      n += batches.length;
      elapsed = performance.now() - began;
    } while (elapsed < 500);
    best = Math.max(best, n / (elapsed / 1000));
  }
  return best;
}

export function benchSegmentEncode(): BenchResults {
  const batches = Array.from({ length: 256 }, (_, n) => httpBatch(n));
  const written = codecs().segments;
  if (!written.usesBodyWriter) throw new Error('the SegmentBatch codec does not use the hand-written writer: run packages/core segment-batch-writer.test.js');
  const generic = new RecordCodec<SegmentBatch>(written.schema);
  const genericRate = batchesPerSecond(generic, batches);
  const writerRate = batchesPerSecond(written, batches);
  return {
    segment_encode_generic_batches_per_s: { value: genericRate, unit: 'batches/s (64 segments each, avsc)' },
    segment_encode_batches_per_s: { value: writerRate, unit: 'batches/s (64 segments each, hand-written writer)' },
    segment_encode_speedup: { value: writerRate / genericRate, unit: '× avsc' },
  };
}
