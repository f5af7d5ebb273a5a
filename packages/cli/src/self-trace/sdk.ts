// The OpenTelemetry Node SDK for self-tracing, imported only when it is switched on
// (config.ts). Traces Clovisor's Kafka client (produce, receive, process) and nothing else:
// no HTTP/gRPC instrumentation, so neither the exporter stage's OTLP calls nor the SDK's own
// exports can become self spans; the exporter stage also runs its exports with tracing
// suppressed (services/exporter/src/io/otlp-push.ts). Self spans go straight to the user's
// endpoint over OTLP/HTTP, never through clovisor.spans.v1. docs/self-observability.md.
import { createRequire } from 'node:module';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { SelfTraceConfig } from './config.js';

export interface SelfTrace {
  /** flushes the spans still queued and stops the SDK */
  shutdown(): Promise<void>;
}

export function startSelfTrace(config: SelfTraceConfig): SelfTrace {
  const sdk = new NodeSDK({
    serviceName: config.serviceName,
    traceExporter: new OTLPTraceExporter({ url: `${config.endpoint}/v1/traces` }),
    instrumentations: [new KafkaJsInstrumentation()],
    // traces only: no metric readers or log processors
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  // kafkajs is already loaded (our ESM imports it before any flag is read) and the
  // instrumentation only patches a module when it is required after sdk.start(): requiring it
  // again here hands the loaded module to the instrumentation, which wraps Kafka.prototype's
  // producer() and consumer(), so every producer and consumer created later is traced.
  createRequire(import.meta.url)('kafkajs');
  return { shutdown: () => sdk.shutdown() };
}
