// TCP packets → SegmentBatch records, one flow per connection per interface. The client is the
// side that sent the SYN; without one (capture started mid-connection) the side whose peer port
// looks like the server's (a configured server port, a port < 1024, a non-ephemeral port
// facing an ephemeral one, else the lower port). UDP packets: one flow per 5-tuple per interface
// for the whole file; the client is the sender of the first datagram unless its port looks like
// the server's by the same rules.
import { TcpFlags, fnv1a64Hex, type Endpoint, type PodRole, type Segment, type SegmentBatch } from '@clovisor/core';
import type { TcpPacket, UdpPacket } from './packet.js';

export interface FlowOptions {
  node: string;
  interfaceName: string;
  ifindex: number;
  podRole: PodRole;
  protocolHint: string | null;
  serverPorts: readonly number[];
  maxSegmentsPerBatch: number;
}

interface OpenFlow {
  key: string;
  batch: SegmentBatch;
  clientKey: string; // "address|port" of the client
  ended: boolean; // FIN or RST seen: a new SYN on the same tuple is a new connection
}

const EPHEMERAL_MIN = 32768;

/** The server side of a connection seen without its SYN: true when `a` looks like it. */
function looksLikeServer(a: number, b: number, serverPorts: readonly number[]): boolean {
  if (serverPorts.includes(a) !== serverPorts.includes(b)) return serverPorts.includes(a);
  if ((a < 1024) !== (b < 1024)) return a < 1024;
  if ((a >= EPHEMERAL_MIN) !== (b >= EPHEMERAL_MIN)) return a < EPHEMERAL_MIN;
  return a < b;
}

/** 16 hex chars: FNV-1a 64 of the flow's identity (stable for the same file and options). */
export function flowIdOf(parts: readonly string[]): string {
  return fnv1a64Hex(parts.join('\u0000'));
}

export class FlowGrouper {
  private readonly open = new Map<string, OpenFlow>();
  readonly batches: SegmentBatch[] = [];
  flows = 0;

  constructor(private readonly options: FlowOptions) {}

  add(p: TcpPacket, timestampNs: bigint, interfaceId: number, interfaceName: string | null): void {
    const a = `${p.src}|${p.srcPort}`;
    const b = `${p.dst}|${p.dstPort}`;
    const key = `${interfaceId}|${a < b ? `${a}|${b}` : `${b}|${a}`}`;
    const syn = (p.flags & TcpFlags.SYN) !== 0;
    const synOnly = syn && (p.flags & TcpFlags.ACK) === 0;
    let flow = this.open.get(key);
    if (flow !== undefined && synOnly && flow.ended) {
      this.close(flow);
      flow = undefined;
    }
    if (flow === undefined) {
      const senderIsClient = syn ? synOnly : !looksLikeServer(p.srcPort, p.dstPort, this.options.serverPorts);
      const client: Endpoint = senderIsClient ? { address: p.src, port: p.srcPort } : { address: p.dst, port: p.dstPort };
      const server: Endpoint = senderIsClient ? { address: p.dst, port: p.dstPort } : { address: p.src, port: p.srcPort };
      const ifName = interfaceName ?? this.options.interfaceName;
      flow = {
        key,
        clientKey: senderIsClient ? a : b,
        ended: false,
        batch: this.newBatch(
          flowIdOf([this.options.node, ifName, `${client.address}|${client.port}|${server.address}|${server.port}|tcp`, String(timestampNs)]),
          ifName, client, server),
      };
      this.open.set(key, flow);
      this.flows++;
    }
    const segment: Segment = {
      timestampNs, fromClient: a === flow.clientKey, seq: p.seq, ack: p.ack, flags: p.flags, nodeTimestampNs: null,
      wireLength: p.wireLength, payload: p.payload,
    };
    flow.batch.segments.push(segment);
    if ((p.flags & (TcpFlags.FIN | TcpFlags.RST)) !== 0) flow.ended = true;
    if (flow.batch.segments.length >= this.options.maxSegmentsPerBatch) {
      this.batches.push(flow.batch);
      flow.batch = this.newBatch(flow.batch.flowId, flow.batch.interfaceName, flow.batch.client, flow.batch.server);
    }
  }

  addUdp(p: UdpPacket, timestampNs: bigint, interfaceId: number, interfaceName: string | null): void {
    const a = `${p.src}|${p.srcPort}`;
    const b = `${p.dst}|${p.dstPort}`;
    const key = `${interfaceId}|udp|${a < b ? `${a}|${b}` : `${b}|${a}`}`;
    let flow = this.open.get(key);
    if (flow === undefined) {
      const senderIsClient = !looksLikeServer(p.srcPort, p.dstPort, this.options.serverPorts);
      const client: Endpoint = senderIsClient ? { address: p.src, port: p.srcPort } : { address: p.dst, port: p.dstPort };
      const server: Endpoint = senderIsClient ? { address: p.dst, port: p.dstPort } : { address: p.src, port: p.srcPort };
      const ifName = interfaceName ?? this.options.interfaceName;
      const id = flowIdOf([this.options.node, ifName, `${client.address}|${client.port}|${server.address}|${server.port}|udp`, String(timestampNs)]);
      flow = { key, clientKey: senderIsClient ? a : b, ended: false, batch: { ...this.newBatch(id, ifName, client, server), transport: 'UDP' } };
      this.open.set(key, flow);
      this.flows++;
    }
    flow.batch.segments.push({
      timestampNs, fromClient: a === flow.clientKey, seq: 0, ack: 0, flags: 0, wireLength: p.wireLength, payload: p.payload, nodeTimestampNs: null,
    });
    if (flow.batch.segments.length >= this.options.maxSegmentsPerBatch) {
      this.batches.push(flow.batch);
      flow.batch = { ...this.newBatch(flow.batch.flowId, flow.batch.interfaceName, flow.batch.client, flow.batch.server), transport: 'UDP' };
    }
  }

  /** Emit the partial batches of every flow still open. */
  finish(): SegmentBatch[] {
    for (const flow of this.open.values()) this.close(flow);
    return this.batches;
  }

  private close(flow: OpenFlow): void {
    if (flow.batch.segments.length > 0) this.batches.push(flow.batch);
    this.open.delete(flow.key);
  }

  private newBatch(flowId: string, interfaceName: string, client: Endpoint, server: Endpoint): SegmentBatch {
    const o = this.options;
    return {
      flowId, node: o.node, interfaceName, ifindex: o.ifindex, transport: 'TCP', client, server,
      podRole: o.podRole, pod: null, protocolHint: o.protocolHint, nodeInterfaceName: null, tcpEvents: [], intHops: [], segments: [], lostEventsBefore: 0,
    };
  }
}
