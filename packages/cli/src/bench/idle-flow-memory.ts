// Memory per idle tracked flow: N HTTP/1 connections that sent a SYN, got a SYN-ACK and then
// only the first part of a request head (no blank line yet), so each holds reassembly state,
// parser state and its unparsed bytes: what a node pays per open keep-alive connection.
// Measured as the growth of V8 heap + off-heap buffers between two forced full GCs.
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { TcpFlags, type SegmentBatch } from '@clovisor/core';
import { FlowDecoder } from '@clovisor/decoder';

/** global.gc, exposed at run time when node was not started with --expose-gc. */
function gcFunction(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function used(gc: () => void): number {
  for (let i = 0; i < 3; i++) gc(); // a few rounds: weak references and finalizers settle
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

function firstPartialRequest(i: number): SegmentBatch {
  const client = { address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 40000 + (i % 20000) };
  const server = { address: '10.96.0.10', port: 8080 };
  // Each flow gets its own payload buffer, as segments decoded from separate events do.
  const head = Buffer.from(`GET /api/items/${i}?page=1 HTTP/1.1\r\nHost: backend:8080\r\nUser-Agent: bench\r\n`);
  const ts = 1_800_000_000_000_000_000n + BigInt(i) * 1000n;
  return {
    flowId: `idle-${i}`, node: 'bench', interfaceName: 'veth0', ifindex: 3, transport: 'TCP', client, server,
    podRole: 'SERVER', pod: null, protocolHint: 'http', lostEventsBefore: 0,
    segments: [
      { timestampNs: ts, fromClient: true, seq: 1000, ack: 0, flags: TcpFlags.SYN, wireLength: 0, payload: Buffer.alloc(0) },
      { timestampNs: ts + 10n, fromClient: false, seq: 5000, ack: 1001, flags: TcpFlags.SYN | TcpFlags.ACK, wireLength: 0, payload: Buffer.alloc(0) },
      { timestampNs: ts + 20n, fromClient: true, seq: 1001, ack: 5001, flags: TcpFlags.ACK | TcpFlags.PSH, wireLength: head.length, payload: head },
    ],
  };
}

export function benchIdleFlowMemory(flows = 20_000): { bytesPerFlow: number; flows: number } {
  const gc = gcFunction();
  const decoder = new FlowDecoder({ maxFlows: flows * 2 });
  const before = used(gc);
  // Batches are built and dropped one by one: whatever the decoder keeps of them (payload
  // bytes included) is counted, the rest is garbage collected before the second measure.
  for (let i = 0; i < flows; i++) if (decoder.push(firstPartialRequest(i)).length > 0) throw new Error('bench: a partial request produced a transaction');
  const after = used(gc);
  const stats = decoder.stats();
  if (stats.flowsActive !== flows) throw new Error(`bench: ${stats.flowsActive} flows tracked, expected ${flows}`);
  return { bytesPerFlow: Math.round((after - before) / flows), flows };
}
