import { hopLatencyNs, innerFlow, intDropReasonMeaning, type DecodedReport, type InnerFlow } from '@clovisor/exporter';

// One received telemetry report as one line, for `clovisor int listen`: text for people, or a
// JSON object for jq. Pure.

const dotted = (n: number) => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');

function endpoint(address: string, port: number | null): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return port === null ? host : `${host}:${port}`;
}

function flowText(flow: InnerFlow | null): string {
  if (!flow) return 'non-IP packet';
  return `${flow.protocol} ${endpoint(flow.source, flow.sourcePort)} → ${endpoint(flow.destination, flow.destinationPort)}`;
}

interface Common {
  format: 'v0.5' | 'v2.0';
  kind: 'flow' | 'drop' | 'other';
  seqNo: number;
  switchId: number;
  hwId: number;
  ingressPort: number;
  egressPort: number;
  hopLatencyNs: number | null;
  dropReason: number | null;
}

function common(decoded: DecodedReport): Common {
  const r = decoded.report;
  const kind = r.d === 1 ? 'drop' : r.f === 1 ? 'flow' : 'other';
  if (decoded.version === 0) {
    const v = decoded.report;
    return { format: 'v0.5', kind, seqNo: v.seqNo, switchId: v.switchId, hwId: v.hwId, ingressPort: v.ingressPort, egressPort: v.egressPort, hopLatencyNs: kind === 'flow' ? hopLatencyNs(decoded) : null, dropReason: v.dropReason };
  }
  const v = decoded.report;
  return { format: 'v2.0', kind, seqNo: v.seqNo, switchId: v.nodeId, hwId: v.hwId, ingressPort: v.ingressInterface ?? 0, egressPort: v.egressInterface ?? 0, hopLatencyNs: v.hopLatency, dropReason: v.dropReason };
}

/** `v0.5 flow seq=3 switch=10.0.0.5 hw=0 ports 7→9 latency 21.3 µs TCP 10.1.1.2:40688 → 10.1.2.2:8080 (74 bytes) from 10.0.0.9:41000` */
export function reportText(decoded: DecodedReport, from: string): string {
  const c = common(decoded);
  const parts = [c.format, c.kind, `seq=${c.seqNo}`, `switch=${dotted(c.switchId)}`, `hw=${c.hwId}`, `ports ${c.ingressPort}→${c.egressPort}`];
  if (c.hopLatencyNs !== null) parts.push(`latency ${(c.hopLatencyNs / 1000).toFixed(1)} µs`);
  if (c.kind === 'drop') parts.push(`reason ${c.dropReason} (${intDropReasonMeaning(c.dropReason ?? 0) ?? 'not a known code'})`);
  parts.push(flowText(innerFlow(decoded.report.inner)), `(${decoded.report.inner.length} bytes of packet)`, `from ${from}`);
  return parts.join(' ');
}

/** Every decoded field (bigints as strings, the packet as hex) plus the derived ones. */
export function reportJson(decoded: DecodedReport, from: string): string {
  const c = common(decoded);
  const fields = Object.fromEntries(Object.entries(decoded.report).filter(([k]) => k !== 'inner').map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]));
  return JSON.stringify({
    ...fields,
    ...c,
    dropReasonMeaning: c.kind === 'drop' ? intDropReasonMeaning(c.dropReason ?? 0) : null,
    flow: innerFlow(decoded.report.inner),
    packet: decoded.report.inner.toString('hex'),
    from,
  });
}
