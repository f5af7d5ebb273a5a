import type { DecodedReport } from './report-decode.js';
import { ipHeaderAt } from '../core/int/frame.js';

// What a batch of received telemetry reports says, for people: flow reports grouped by
// (ingress port → egress port) with their hop latencies, and the drops. Pure.

export interface InnerFlow {
  protocol: 'TCP' | 'UDP' | number;
  source: string;
  destination: string;
  sourcePort: number | null;
  destinationPort: number | null;
}

export interface HopGroup {
  ingressPort: number;
  egressPort: number;
  reports: number;
  /** ns; null when no report of the group carries both times */
  latency: { min: number; median: number; max: number } | null;
}

export interface DropReport {
  ingressPort: number;
  egressPort: number;
  /** INT drop reason code */
  reason: number;
  flow: InnerFlow | null;
}

export interface ReportSummary {
  hops: HopGroup[];
  drops: DropReport[];
}

/**
 * A flow report's hop latency in ns: v2.0 carries it; v0.5 carries the low 32 bits of both times,
 * so it is their difference modulo 2^32 (exact for latencies below 4.29 s).
 */
export function hopLatencyNs(decoded: DecodedReport): number | null {
  if (decoded.version === 2) return decoded.report.hopLatency;
  const r = decoded.report;
  if (r.f !== 1 || r.egressTstamp === null || r.ingressTstamp === 0 || r.egressTstamp === 0) return null;
  return (r.egressTstamp - r.ingressTstamp) >>> 0;
}

const isFlow = (d: DecodedReport): boolean => d.report.f === 1 && d.report.d === 0;
const ports = (d: DecodedReport): [number, number] =>
  d.version === 0 ? [d.report.ingressPort, d.report.egressPort] : [d.report.ingressInterface ?? 0, d.report.egressInterface ?? 0];

/** The IP addresses, protocol and ports of the inner Ethernet frame (after at most two VLAN tags). */
export function innerFlow(frame: Buffer): InnerFlow | null {
  const header = ipHeaderAt(frame);
  if (header === null) return null;
  const ip = header.at;
  let protocol: number;
  let source: string;
  let destination: string;
  let l4: number;
  if (header.version === 4 && frame.length >= ip + 20) {
    protocol = frame[ip + 9]!;
    source = [...frame.subarray(ip + 12, ip + 16)].join('.');
    destination = [...frame.subarray(ip + 16, ip + 20)].join('.');
    l4 = ip + 4 * (frame[ip]! & 0x0f);
  } else if (header.version === 6 && frame.length >= ip + 40) {
    protocol = frame[ip + 6]!;
    source = ipv6(frame.subarray(ip + 8, ip + 24));
    destination = ipv6(frame.subarray(ip + 24, ip + 40));
    l4 = ip + 40;
  } else {
    return null;
  }
  const hasPorts = (protocol === 6 || protocol === 17) && frame.length >= l4 + 4;
  return {
    protocol: protocol === 6 ? 'TCP' : protocol === 17 ? 'UDP' : protocol,
    source,
    destination,
    sourcePort: hasPorts ? frame.readUInt16BE(l4) : null,
    destinationPort: hasPorts ? frame.readUInt16BE(l4 + 2) : null,
  };
}

function ipv6(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // the WHATWG URL parser writes IPv6 hosts in their canonical compressed form (RFC 5952)
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

function median(sorted: number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
}

/** Flow reports by (ingress → egress), most reports first; drops in arrival order. */
export function summarizeReports(reports: readonly DecodedReport[]): ReportSummary {
  const groups = new Map<string, { ingressPort: number; egressPort: number; reports: number; latencies: number[] }>();
  const drops: DropReport[] = [];
  for (const decoded of reports) {
    const [ingressPort, egressPort] = ports(decoded);
    if (decoded.report.d === 1) {
      drops.push({ ingressPort, egressPort, reason: decoded.report.dropReason ?? 0, flow: innerFlow(decoded.report.inner) });
      continue;
    }
    if (!isFlow(decoded)) continue;
    const key = `${ingressPort}>${egressPort}`;
    const group = groups.get(key) ?? { ingressPort, egressPort, reports: 0, latencies: [] };
    groups.set(key, group);
    group.reports += 1;
    const latency = hopLatencyNs(decoded);
    if (latency !== null) group.latencies.push(latency);
  }
  const hops = [...groups.values()]
    .map(({ latencies, ...g }) => {
      const sorted = latencies.sort((a, b) => a - b);
      return { ...g, latency: sorted.length ? { min: sorted[0]!, median: median(sorted), max: sorted.at(-1)! } : null };
    })
    .sort((a, b) => b.reports - a.reports || a.ingressPort - b.ingressPort || a.egressPort - b.egressPort);
  return { hops, drops };
}
