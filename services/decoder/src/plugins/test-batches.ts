// Test helper: SegmentBatch records of one TCP flow carrying the given request and response
// bytes in order (picked up mid-stream, no handshake), as the capture agent would publish them.
import type { Segment, SegmentBatch } from '@clovisor/core';

export function flowBatch(flowId: string, exchanges: Array<[string, string]>, o: { hint?: string | null; port?: number } = {}): SegmentBatch {
  const segments: Segment[] = [];
  let cseq = 1000;
  let sseq = 50_000;
  let ts = 1_700_000_000_000_000_000n;
  for (const [req, res] of exchanges) {
    for (const [text, fromClient] of [[req, true], [res, false]] as const) {
      if (text === '') continue;
      const payload = Buffer.from(text);
      ts += 1000n;
      segments.push({ timestampNs: ts, fromClient, seq: fromClient ? cseq : sseq, ack: 0, flags: 0x18, wireLength: payload.length, payload });
      if (fromClient) cseq += payload.length;
      else sseq += payload.length;
    }
  }
  return {
    flowId, node: 'n1', interfaceName: 'lo', ifindex: 1, transport: 'TCP',
    client: { address: '10.0.0.1', port: 40000 }, server: { address: '10.0.0.2', port: o.port ?? 9999 },
    podRole: 'SERVER', pod: null, protocolHint: o.hint === undefined ? 'lines' : o.hint, segments, lostEventsBefore: 0,
  };
}
