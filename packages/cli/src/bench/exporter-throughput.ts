import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { StackEndpoints } from '@clovisor/stack';
import { RecordProducer, codecs, createKafka, createLogger, ensureTopics, type SpanRecord } from '@clovisor/core';
import { Correlator, spanKey } from '@clovisor/correlator';
import { requestChain } from '@clovisor/correlator/request-chain';
import { isolatedTopics } from '../lab/isolated-topics.js';
import { getTrace, type JaegerTrace } from '../lab/jaeger-query.js';

const EXPORTER = fileURLToPath(new URL('./exporter-process.js', import.meta.url));

export interface ExporterBench {
  spansPerSecond: number;
  spans: number;
}

/** Generated requests correlated into spans whose services are named bench-exp-<id>-<service>. */
function benchSpans(count: number, id: string): SpanRecord[] {
  const c = new Correlator();
  const txs = requestChain(Math.ceil(count / 4), `exp-${id}`).map((tx) => (tx.pod === null ? tx : { ...tx, pod: { ...tx.pod, service: `bench-exp-${id}-${tx.pod.service}` } }));
  return [...txs.flatMap((tx) => c.process(tx)), ...c.flush()].slice(0, count);
}

/**
 * Spans/s through the real ExporterStage (in its own process, on isolated topics) into the
 * stack's real Jaeger over OTLP (HTTP or gRPC): the spans are put on the topic first, then the stage is
 * timed while it exports them (Kafka fetch, Avro decode, adapters, the official OTLP exporter,
 * Jaeger accepting). One trace is read back from Jaeger's query API to check they arrived.
 */
export async function benchExporter(stack: StackEndpoints, protocol: 'http' | 'grpc' = 'http', count = 20_000): Promise<ExporterBench> {
  const id = randomBytes(3).toString('hex');
  const topics = isolatedTopics(stack.brokers, 'bench-exp');
  const log = createLogger('bench-exporter', () => undefined);
  const kafka = createKafka(stack.brokers.split(','), 'bench-exporter', log);
  const producer = new RecordProducer(kafka, log);
  try {
    const topic = `clovisor.spans.v1${topics.suffix}`;
    await ensureTopics(kafka, [topic, `clovisor.deadletter.v1${topics.suffix}`].map((t) => ({ topic: t, numPartitions: 3 })));
    await producer.start();
    const spans = benchSpans(count, id);
    const { spans: codec } = codecs();
    await producer.send(topic, spans.map((span) => ({ key: spanKey(span), value: codec.encode(span) })));
    const child = spawn(process.execPath, [EXPORTER, String(spans.length), protocol === 'http' ? stack.otlpHttp : stack.otlpGrpc, protocol], {
      env: { ...topics.env, CLOVISOR_BROKERS: stack.brokers },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await new Promise((resolve) => child.once('exit', resolve));
    const result = JSON.parse(stdout) as { spans: number; seconds: number; exported: number };
    if (result.exported < spans.length) throw new Error(`exporter bench: ${result.exported} of ${spans.length} spans exported`);
    const last = spans[spans.length - 1]!;
    // Jaeger accepted the spans; its query side may show them a moment later
    const stored = (t: JaegerTrace | null) => t !== null && t.spans.some((s) => s.spanID === last.spanId);
    let trace = await getTrace(stack.jaegerQuery, last.traceId).catch(() => null);
    for (const end = Date.now() + 10_000; !stored(trace) && Date.now() < end; ) {
      await new Promise((r) => setTimeout(r, 250));
      trace = await getTrace(stack.jaegerQuery, last.traceId).catch(() => null);
    }
    if (!stored(trace)) throw new Error(`exporter bench: span ${last.spanId} is not in Jaeger 10 s after it was exported`);
    return { spansPerSecond: result.spans / result.seconds, spans: spans.length };
  } finally {
    await producer.stop().catch(() => undefined);
    await topics.remove().catch(() => undefined);
  }
}
