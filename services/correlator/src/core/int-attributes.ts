// INT hop tracking on the span: the hop latency of the exchange's packets across the host
// (Transaction.intHop, picked by the decoder), with the INT port ids (ifindex) of the hop.
import { intAttr, type AttributeValue, type Transaction } from '@clovisor/core';

export function addIntHopAttributes(attrs: Record<string, AttributeValue>, tx: Transaction): void {
  const hop = tx.intHop;
  if (!hop) return;
  attrs['clovisor.int.hop_latency_ns'] = intAttr(hop.latencyNs);
  attrs['clovisor.int.ingress_port'] = intAttr(hop.ingressIfindex);
  attrs['clovisor.int.egress_port'] = intAttr(hop.egressIfindex);
}
