// The collector side: reports encoded by the exporter's own encoders from real frames (recorded
// pcaps), sent over real UDP to a ReportListener, decoded with the spec decoder and summarized.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { eventOf, fixtureFrames } from '../testing/fixture-frames.js';
import { encodeReportV05 } from '../core/int/report-v05.js';
import { encodeReportV2 } from '../core/int/report-v2.js';
import { ReportListener } from './report-listener.js';
import { summarizeReports, innerFlow } from './report-summary.js';
import type { DecodedReport } from './report-decode.js';

const tcp = fixtureFrames('python-http10-close.pcap')[0]!;
const udp = fixtureFrames('dns-udp.pcap')[0]!;
const v6 = fixtureFrames('node-ipv6.pcap')[0]!;
// just below a 2^32 boundary, so the v0.5 low-32-bit times wrap between ingress and egress
const T = 5n * 2n ** 32n - 9_999n;
const header = { switchId: 0x0a000005, hwId: 1, seqNo: 1, dropReason: 0 };

async function sendAll(target: string, datagrams: Buffer[]): Promise<void> {
  const [host, port] = target.split(':');
  const socket = createSocket('udp4');
  for (const d of datagrams) await new Promise<void>((resolve, reject) => socket.send(d, Number(port), host, (err) => (err ? reject(err) : resolve())));
  socket.close();
}

test('v0.5 and v2.0 reports over UDP: decoded, grouped by ingress → egress with min/median/max hop latency, drops with reason and flow', async () => {
  const received: DecodedReport[] = [];
  const undecodable: string[] = [];
  const listener = await ReportListener.start({ onReport: (r) => received.push(r), onUndecodable: (_b, e) => undecodable.push(e) });
  try {
    const hop = (frame: typeof tcp, ingress: number, egress: number, latency: bigint) =>
      eventOf(frame, { kind: 'HOP', ingressIfindex: ingress, egressIfindex: egress, ingressTimeNs: T, egressTimeNs: T + latency });
    const datagrams = [
      encodeReportV05(hop(tcp, 7, 9, 30_000n), header), // wraps the low 32 bits
      encodeReportV05(hop(tcp, 7, 9, 10_000n), header),
      encodeReportV2(hop(udp, 7, 9, 20_000n), header),
      encodeReportV2(hop(v6, 9, 7, 5_000n), header),
      encodeReportV05(eventOf(tcp, { kind: 'DROP', ingressIfindex: 7, egressIfindex: 0, ingressTimeNs: T, dropTimeNs: T + 1n, dropReasonName: 'IP_INNOROUTES' }), { ...header, dropReason: 29 }),
      encodeReportV2(eventOf(udp, { kind: 'DROP', ingressIfindex: 9, egressIfindex: 7, ingressTimeNs: T, egressTimeNs: T + 1n, dropTimeNs: T + 2n, dropReasonName: 'QDISC_DROP' }), { ...header, dropReason: 71 }),
      Buffer.from([0x50, 1, 2, 3]), // version 5
    ];
    await sendAll(listener.address, datagrams);
    const deadline = Date.now() + 5000;
    while (received.length + undecodable.length < datagrams.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(listener.stats(), { received: 6, undecodable: 1 });
    assert.match(undecodable[0]!, /report version 5/);

    const summary = summarizeReports(received);
    assert.deepEqual(summary.hops, [
      { ingressPort: 7, egressPort: 9, reports: 3, latency: { min: 10_000, median: 20_000, max: 30_000 } },
      { ingressPort: 9, egressPort: 7, reports: 1, latency: { min: 5_000, median: 5_000, max: 5_000 } },
    ]);
    assert.deepEqual(summary.drops.map((d) => [d.ingressPort, d.egressPort, d.reason]), [[7, 0, 29], [9, 7, 71]]);
    assert.deepEqual(summary.drops[0]!.flow, {
      protocol: 'TCP', source: tcp.source.address, destination: tcp.destination.address, sourcePort: tcp.source.port, destinationPort: tcp.destination.port,
    });
    // the pcap is over loopback (fixture-frames writes 0:0:0:0:0:0:0:1); IPv6 in compressed form
    assert.equal(v6.source.address, '0:0:0:0:0:0:0:1');
    assert.deepEqual(innerFlow(v6.frame), { protocol: v6.transport, source: '::1', destination: '::1', sourcePort: v6.source.port, destinationPort: v6.destination.port });
  } finally {
    await listener.close();
  }
});
