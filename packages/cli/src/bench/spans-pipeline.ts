import type { StackEndpoints } from '@clovisor/stack';
import { benchCorrelator } from '@clovisor/correlator';
import { benchExporter } from './exporter-throughput.js';
import { benchE2eSteady, e2eResults } from './e2e-latency.js';
import type { BenchResults } from './results.js';

/** Issue 5 §8: correlator and exporter throughput, end-to-end latency into Jaeger. */
export async function benchSpansPipeline(stack: StackEndpoints, seconds: number): Promise<BenchResults> {
  const say = (line: string) => process.stderr.write(`bench: ${line}\n`);
  say('correlator throughput on generated two-hop requests (one core) …');
  const correlator = benchCorrelator();
  say('exporter throughput into Jaeger (ExporterStage, OTLP/HTTP and OTLP/gRPC) …');
  const exporter = await benchExporter(stack, 'http');
  const exporterGrpc = await benchExporter(stack, 'grpc');
  const target = Number(process.env['CLOVISOR_BENCH_E2E_RPS'] ?? 5000);
  say(`end-to-end latency, packet to span in Jaeger, from ${target} requests/s down to a steady rate (${seconds} s each) …`);
  const e2e = await benchE2eSteady(stack, target, seconds, 100, (line) => say(`  ${line}`));
  return {
    correlator_spans_per_s: { value: correlator.spansPerSecond, unit: 'spans/s' },
    correlator_core_spans_per_s: { value: correlator.coreSpansPerSecond, unit: 'spans/s' },
    exporter_spans_per_s_jaeger: { value: exporter.spansPerSecond, unit: 'spans/s' },
    exporter_grpc_spans_per_s_jaeger: { value: exporterGrpc.spansPerSecond, unit: 'spans/s' },
    ...e2eResults(e2e),
  };
}
