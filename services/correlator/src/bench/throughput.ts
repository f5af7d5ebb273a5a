// Throughput of the correlator on one core: generated requests through two hops (hop 1 with
// traceparent + x-request-id, hop 2 with the x-request-id only, both ends of each captured, so
// every span goes through the header parsers, the x-request-id window and the connection join),
// 5,000 requests/s of capture time, timed through what the Kafka stage does per record:
// Avro-decode the transaction, correlate, Avro-encode the span (no Kafka I/O).
import { codecs } from '@clovisor/core';
import { PartitionedCorrelator } from '../core/partitioned.js';
import { requestChain } from '../testing/request-chain.js';

export interface CorrelatorBench {
  /** spans/s: decode + correlate + encode */
  spansPerSecond: number;
  /** spans/s of the correlation alone */
  coreSpansPerSecond: number;
}

export function benchCorrelator(requests = 15_000): CorrelatorBench {
  const { transactions, spans } = codecs();
  const records = requestChain(requests, 'bench', 200_000n).map((tx) => transactions.encode(tx));
  const run = (withCodec: boolean): number => {
    const decoded = withCodec ? [] : records.map((r) => transactions.decode(r));
    const c = new PartitionedCorrelator();
    c.begin(0, 0n);
    let n = 0;
    const start = process.hrtime.bigint();
    for (let i = 0; i < records.length; i++) {
      const tx = withCodec ? transactions.decode(records[i]!) : decoded[i]!;
      const out = c.process(0, BigInt(i), tx);
      if (withCodec) for (const span of out) spans.encode(span);
      n += out.length;
    }
    n += [...c.flush().values()].flat().length;
    const ns = Number(process.hrtime.bigint() - start);
    if (n !== records.length) throw new Error(`bench correlated ${n} spans, expected ${records.length}`);
    return (n * 1e9) / ns;
  };
  run(true); // warm-up: JIT
  return {
    spansPerSecond: Math.round(Math.max(run(true), run(true))),
    coreSpansPerSecond: Math.round(Math.max(run(false), run(false))),
  };
}
