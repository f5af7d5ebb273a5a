// INT meets L7, through the records: a real capture of a curl pod → server pod keep-alive
// connection (two veths, two requests) and INT hop reports made from the same packets' times
// (entering the host on one veth, leaving on the other) go through the FlowTracker, the segment
// topic's Avro codec, the decoder, the transaction topic's codec and the correlator's span
// builder. The spans carry the hop latency of their exchange.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { attrValue, codecs, type IntEvent, type SegmentBatch, type SpanRecord } from '@clovisor/core';
import { decodeCaptureEvent, splitBatch, type CaptureEvent } from '@clovisor/libbpf';
import { FlowTracker, type MonitoredInterface } from '@clovisor/capture';
import { FlowDecoder } from '@clovisor/decoder';
import { buildSpan } from '@clovisor/correlator';

const FIXTURE = fileURLToPath(new URL('../../../services/capture/test-fixtures/curl-keepalive-two-veths.events', import.meta.url));
const events: CaptureEvent[] = splitBatch(readFileSync(FIXTURE)).map(decodeCaptureEvent);
const CLIENT = '10.212.1.2';
const front = events.find((e) => e.hook === 'ingress' && e.saddr === CLIENT)!.ifindex;
const back = events.find((e) => e.hook === 'ingress' && e.saddr !== CLIENT)!.ifindex;
const interfaces = new Map<number, MonitoredInterface>([
  [front, { ifindex: front, name: 'veth-front', pod: { service: 'frontend', namespace: null, name: null, node: 'n1' } }],
  [back, { ifindex: back, name: 'veth-back', pod: { service: 'backend', namespace: null, name: null, node: 'n1' } }],
]);

/** The hop report of a packet: its capture entering the host (tc ingress) and leaving it (tc egress). */
function reportOf(enter: CaptureEvent): IntEvent {
  const leave = events.find((e) => e.hook === 'egress' && e.seq === enter.seq && e.tcpFlags === enter.tcpFlags && e.saddr === enter.saddr)!;
  return {
    kind: 'HOP', trigger: 'FIRST', ingressIfindex: enter.ifindex, egressIfindex: leave.ifindex, ingressTimeNs: enter.tsNs, egressTimeNs: leave.tsNs,
    dropTimeNs: null, dropReason: null, dropReasonName: null,
    flow: { transport: 'TCP', source: { address: enter.saddr, port: enter.sport }, destination: { address: enter.daddr, port: enter.dport } },
    packet: Buffer.alloc(0), packetLength: 0,
  };
}

/** Capture → clovisor.segments.v1 → decoder → clovisor.transactions.v1 → span, with the reports given to the tracker after `after` packets. */
function spans(reports: IntEvent[], after: number): SpanRecord[] {
  const tracker = new FlowTracker({ node: 'n1', interfaces, protocolOf: (_i, port) => (port === 8080 ? 'http' : null), expectIntHops: true });
  const batches: SegmentBatch[] = [];
  events.forEach((e, i) => {
    if (i === after) for (const r of reports) tracker.noteIntHop(r);
    tracker.add(e, e.tsNs, batches);
  });
  batches.push(...tracker.flushDue(events.at(-1)!.tsNs + 1_000_000_000n), ...tracker.flushAll());
  const decoder = new FlowDecoder();
  const txs = batches.flatMap((b) => decoder.push(codecs().segments.decode(codecs().segments.encode(b))));
  txs.push(...decoder.flushAll());
  return txs.map((tx) => buildSpan(codecs().transactions.decode(codecs().transactions.encode(tx))));
}

const attr = (span: SpanRecord, key: string) => (span.attributes[key] === undefined ? undefined : attrValue(span.attributes[key]!));
const requests = events.filter((e) => e.hook === 'ingress' && e.saddr === CLIENT && e.wireLen > 0);
const synOut = events.find((e) => e.hook === 'ingress' && e.tcpFlags === 0x02)!;

test('only the SYN reported (before its packet reached the tracker): both pods\' spans of both requests carry its hop', () => {
  const syn = reportOf(synOut);
  const out = spans([syn], 0);
  assert.equal(out.length, 4, 'two requests, each captured on both veths');
  assert.deepEqual(out.map((s) => s.kind).sort(), ['CLIENT', 'CLIENT', 'SERVER', 'SERVER']);
  for (const span of out) {
    assert.equal(attr(span, 'clovisor.int.hop_latency_ns'), Number(syn.egressTimeNs! - syn.ingressTimeNs!), span.name);
    assert.equal(attr(span, 'clovisor.int.ingress_port'), front);
    assert.equal(attr(span, 'clovisor.int.egress_port'), back);
  }
});

test('each request reported, the reports reaching the tracker after the packets: each span carries its own request\'s hop', () => {
  const reports = requests.map(reportOf);
  assert.equal(reports.length, 2);
  const out = spans(reports, events.length - 1);
  for (const span of out) {
    const i = /slow/.test(span.name) ? 0 : 1;
    assert.equal(attr(span, 'clovisor.int.hop_latency_ns'), Number(reports[i]!.egressTimeNs! - reports[i]!.ingressTimeNs!), `${span.kind} ${span.name}`);
  }
  assert.notEqual(attr(out[0]!, 'clovisor.int.hop_latency_ns'), undefined);
});

test('no reports: no clovisor.int.* attribute', () => {
  for (const span of spans([], 0)) assert.ok(!Object.keys(span.attributes).some((k) => k.startsWith('clovisor.int.')));
});
