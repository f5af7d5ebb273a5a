// Test support for INT hops on spans: a real capture of a curl pod → server pod keep-alive
// connection on two veths (services/capture/test-fixtures/curl-keepalive-two-veths.events: two
// requests, /slow?ms=50 and /chunked) and INT hop reports made from the same packets' times, as
// the INT programs measure a hop: entering the host on one veth (tc ingress), leaving it on the
// other (tc egress). The FlowTracker turns both into the segment batches capture publishes.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { IntEvent, SegmentBatch } from '@clovisor/core';
import { decodeCaptureEvent, splitBatch, type CaptureEvent } from '@clovisor/libbpf';
import { FlowTracker, type MonitoredInterface } from '@clovisor/capture';

const FIXTURE = fileURLToPath(new URL('../../../../services/capture/test-fixtures/curl-keepalive-two-veths.events', import.meta.url));
const CLIENT = '10.212.1.2';

export interface HopCapture {
  events: CaptureEvent[];
  /** ifindex of the client pod's veth and of the server pod's */
  front: number;
  back: number;
  /** the client's packets entering the host: the SYN and the two requests' first segments */
  syn: CaptureEvent;
  requests: CaptureEvent[];
  reportOf(enter: CaptureEvent): IntEvent;
  /** the tracker's batches, the reports handed to it before packet number `after` */
  batches(reports: IntEvent[], after: number, services?: { front: string; back: string }): SegmentBatch[];
}

/** The capture, its times moved by shiftNs (e.g. to now: the fixture's are boot-relative). */
export function hopCapture(shiftNs = 0n): HopCapture {
  const events = splitBatch(readFileSync(FIXTURE)).map(decodeCaptureEvent).map((e) => ({ ...e, tsNs: e.tsNs + shiftNs }));
  const front = events.find((e) => e.hook === 'ingress' && e.saddr === CLIENT)!.ifindex;
  const back = events.find((e) => e.hook === 'ingress' && e.saddr !== CLIENT)!.ifindex;
  const reportOf = (enter: CaptureEvent): IntEvent => {
    const leave = events.find((e) => e.hook === 'egress' && e.seq === enter.seq && e.tcpFlags === enter.tcpFlags && e.saddr === enter.saddr)!;
    return {
      kind: 'HOP', trigger: 'FIRST', ingressIfindex: enter.ifindex, egressIfindex: leave.ifindex, ingressTimeNs: enter.tsNs, egressTimeNs: leave.tsNs,
      dropTimeNs: null, dropReason: null, dropReasonName: null,
      flow: { transport: 'TCP', source: { address: enter.saddr, port: enter.sport }, destination: { address: enter.daddr, port: enter.dport } },
      packet: Buffer.alloc(0), packetLength: 0,
    };
  };
  return {
    events, front, back, reportOf,
    syn: events.find((e) => e.hook === 'ingress' && e.tcpFlags === 0x02)!,
    requests: events.filter((e) => e.hook === 'ingress' && e.saddr === CLIENT && e.wireLen > 0),
    batches(reports, after, services = { front: 'frontend', back: 'backend' }) {
      const interfaces = new Map<number, MonitoredInterface>([
        [front, { ifindex: front, name: 'veth-front', pod: { service: services.front, namespace: null, name: null, node: 'n1' } }],
        [back, { ifindex: back, name: 'veth-back', pod: { service: services.back, namespace: null, name: null, node: 'n1' } }],
      ]);
      const tracker = new FlowTracker({ node: 'n1', interfaces, protocolOf: (_i, port) => (port === 8080 ? 'http' : null), expectIntHops: true });
      const out: SegmentBatch[] = [];
      events.forEach((e, i) => {
        if (i === after) for (const r of reports) tracker.noteIntHop(r);
        tracker.add(e, e.tsNs, out);
      });
      out.push(...tracker.flushDue(events.at(-1)!.tsNs + 1_000_000_000n), ...tracker.flushAll());
      return out;
    },
  };
}
