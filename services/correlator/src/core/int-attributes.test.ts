import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attrValue, codecs, type SpanRecord, type TransactionIntHop } from '@clovisor/core';
import { httpTransaction } from '../testing/transactions.js';
import { buildSpan } from './span-builder.js';

const attrs = (span: SpanRecord) => Object.fromEntries(Object.entries(span.attributes).map(([k, v]) => [k, attrValue(v)]));
const intKeys = (span: SpanRecord) => Object.keys(span.attributes).filter((k) => k.startsWith('clovisor.int.')).sort();

test('a transaction with an INT hop gives its span clovisor.int.hop_latency_ns, ingress_port and egress_port, as ints', () => {
  const base = httpTransaction();
  const hop: TransactionIntHop = { ingressIfindex: 41, egressIfindex: 7, latencyNs: 23_417, timeNs: base.requestStartNs - 20_000n, fromClient: true };
  // through the transaction topic's codec, as the correlator receives it
  const tx = codecs().transactions.decode(codecs().transactions.encode({ ...base, intHop: hop }));
  const span = buildSpan(tx);
  const a = attrs(span);
  assert.equal(a['clovisor.int.hop_latency_ns'], 23_417);
  assert.equal(a['clovisor.int.ingress_port'], 41);
  assert.equal(a['clovisor.int.egress_port'], 7);
  for (const k of intKeys(span)) assert.equal(typeof span.attributes[k]!.intValue, 'number', k);
  assert.deepEqual(intKeys(span), ['clovisor.int.egress_port', 'clovisor.int.hop_latency_ns', 'clovisor.int.ingress_port']);
  // and the span record keeps them through its own topic
  const back = codecs().spans.decode(codecs().spans.encode(span));
  assert.equal(attrValue(back.attributes['clovisor.int.hop_latency_ns']!), 23_417);
});

test('any protocol\'s span carries them; no hop: none of them', () => {
  const hop: TransactionIntHop = { ingressIfindex: 3, egressIfindex: 0, latencyNs: 0, timeNs: 1n, fromClient: false };
  const redis = buildSpan(httpTransaction({ protocol: 'redis', http: null, intHop: hop }));
  assert.deepEqual([attrs(redis)['clovisor.int.hop_latency_ns'], attrs(redis)['clovisor.int.egress_port']], [0, 0]);
  assert.deepEqual(intKeys(buildSpan(httpTransaction())), []);
  assert.deepEqual(intKeys(buildSpan(httpTransaction({ intHop: null }))), []);
});
