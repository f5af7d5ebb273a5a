// INT meets L7, through the records in one process: the capture of lab/int-hop-capture.ts and hop
// reports of its packets go through the FlowTracker, the segment topic's Avro codec, the decoder,
// the transaction topic's codec and the correlator's span builder. (e2e/int-hop-spans.test.ts runs
// the same through Kafka, the stage processes and Jaeger.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attrValue, codecs, type IntEvent, type SpanRecord } from '@clovisor/core';
import { FlowDecoder } from '@clovisor/decoder';
import { buildSpan } from '@clovisor/correlator';
import { hopCapture } from './lab/int-hop-capture.js';

const capture = hopCapture();

/** capture → clovisor.segments.v1 → decoder → clovisor.transactions.v1 → span */
function spans(reports: IntEvent[], after: number): SpanRecord[] {
  const decoder = new FlowDecoder();
  const txs = capture.batches(reports, after).flatMap((b) => decoder.push(codecs().segments.decode(codecs().segments.encode(b))));
  txs.push(...decoder.flushAll());
  return txs.map((tx) => buildSpan(codecs().transactions.decode(codecs().transactions.encode(tx))));
}

const attr = (span: SpanRecord, key: string) => (span.attributes[key] === undefined ? undefined : attrValue(span.attributes[key]!));

test('only the SYN reported (before its packet reached the tracker): both pods\' spans of both requests carry its hop', () => {
  const syn = capture.reportOf(capture.syn);
  const out = spans([syn], 0);
  assert.equal(out.length, 4, 'two requests, each captured on both veths');
  assert.deepEqual(out.map((s) => s.kind).sort(), ['CLIENT', 'CLIENT', 'SERVER', 'SERVER']);
  for (const span of out) {
    assert.equal(attr(span, 'clovisor.int.hop_latency_ns'), Number(syn.egressTimeNs! - syn.ingressTimeNs!), span.name);
    assert.equal(attr(span, 'clovisor.int.ingress_port'), capture.front);
    assert.equal(attr(span, 'clovisor.int.egress_port'), capture.back);
  }
});

test('each request reported, the reports reaching the tracker after the packets: each span carries its own request\'s hop', () => {
  const reports = capture.requests.map(capture.reportOf);
  assert.equal(reports.length, 2);
  const out = spans(reports, capture.events.length - 1);
  assert.equal(out.length, 4);
  for (const span of out) {
    const i = /slow/.test(span.name) ? 0 : 1;
    assert.equal(attr(span, 'clovisor.int.hop_latency_ns'), Number(reports[i]!.egressTimeNs! - reports[i]!.ingressTimeNs!), `${span.kind} ${span.name}`);
  }
});

test('no reports: no clovisor.int.* attribute', () => {
  for (const span of spans([], 0)) assert.ok(!Object.keys(span.attributes).some((k) => k.startsWith('clovisor.int.')));
});
