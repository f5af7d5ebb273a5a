// Pushes span records to an OTLP backend through the official OpenTelemetry exporters and
// reports the outcome as a promise: resolved = the backend accepted the batch (safe to commit
// the Kafka offsets), rejected = an ExportError classified retryable or permanent.
//
// The official HTTP exporter already retries 429/502/503/504 and network errors internally,
// within timeoutMs; the gRPC one does not. Either way, what reaches push()'s caller is the
// final outcome; the caller (io/kafka-stage.ts, through the shared StageConsumer) retries a
// retryable failure with backoff on the same Kafka batch.

import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpHttpExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { context } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ConfigError, errorMessage, type SpanRecord } from '@clovisor/core';
import { ExportError, classifyExportFailure, type OtlpProtocol } from '../core/export-error.js';
import { SpanAdapter, type SpanAdapterStats } from '../core/readable-span.js';

export interface OtlpPushOptions {
  protocol: OtlpProtocol;
  /**
   * http: base URL, e.g. http://127.0.0.1:4318 (spans go to <endpoint>/v1/traces).
   * grpc: host:port or http://host:port (plaintext), https://host:port (TLS).
   */
  endpoint: string;
  /** per push, the exporter's own retries included; default 10 000 */
  timeoutMs?: number;
  /** pushes in flight at once before push() rejects (retryable); default 8 */
  concurrencyLimit?: number;
  /** default: a new SpanAdapter */
  adapter?: SpanAdapter;
}

export interface OtlpPusherStats {
  pushes: number;
  accepted: number;
  spansAccepted: number;
  retryableFailures: number;
  permanentFailures: number;
  adapter: SpanAdapterStats;
}

export interface OtlpPusher {
  readonly protocol: OtlpProtocol;
  /** the URL (http) or authority (grpc) spans are sent to */
  readonly target: string;
  push(spans: readonly SpanRecord[]): Promise<void>;
  stats(): OtlpPusherStats;
  /** waits for pushes in flight; safe to call twice */
  shutdown(): Promise<void>;
}

// The exporter's own timeout fires first; this only guards against a callback that never comes.
const GUARD_MARGIN_MS = 2_000;

export function createOtlpPusher(opts: OtlpPushOptions): OtlpPusher {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  if (!(timeoutMs > 0)) throw new ConfigError(`OTLP timeout must be > 0 ms, got ${timeoutMs}`);
  const concurrencyLimit = opts.concurrencyLimit ?? 8;
  const target = opts.protocol === 'http' ? httpTracesUrl(opts.endpoint) : grpcUrl(opts.endpoint);
  const exporter: SpanExporter =
    opts.protocol === 'http'
      ? new OtlpHttpExporter({ url: target, timeoutMillis: timeoutMs, concurrencyLimit })
      : new OtlpGrpcExporter({ url: target, timeoutMillis: timeoutMs, concurrencyLimit });
  const adapter = opts.adapter ?? new SpanAdapter();
  const counts = { pushes: 0, accepted: 0, spansAccepted: 0, retryableFailures: 0, permanentFailures: 0 };
  let shutdown: Promise<void> | null = null;

  const fail = (err: ExportError): Promise<never> => {
    if (err.retryable) counts.retryableFailures++;
    else counts.permanentFailures++;
    return Promise.reject(err);
  };

  return {
    protocol: opts.protocol,
    target,
    push(spans) {
      counts.pushes++;
      if (shutdown !== null) {
        return fail(new ExportError('OTLP_SHUTDOWN', 'OTLP pusher is shut down; the batch was not sent', { retryable: true }));
      }
      if (spans.length === 0) return Promise.resolve();
      let readable: ReadableSpan[];
      try {
        readable = spans.map((s) => adapter.toReadableSpan(s));
      } catch (err) {
        return fail(new ExportError('SPAN_INVALID', `a span record cannot be exported: ${errorMessage(err)}`, { retryable: false, cause: err }));
      }
      return exportOnce(exporter, readable, timeoutMs + GUARD_MARGIN_MS).then(
        (result) => {
          if (result.code === ExportResultCode.SUCCESS) {
            counts.accepted++;
            counts.spansAccepted += spans.length;
            return;
          }
          return fail(classifyExportFailure(opts.protocol, result.error));
        },
        (err: unknown) => fail(classifyExportFailure(opts.protocol, err)),
      );
    },
    stats: () => ({ ...counts, adapter: adapter.stats() }),
    shutdown() {
      shutdown ??= exporter.shutdown();
      return shutdown;
    },
  };
}

function exportOnce(exporter: SpanExporter, spans: ReadableSpan[], guardMs: number): Promise<ExportResult> {
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`Request timed out: no export result within ${guardMs} ms`)), guardMs);
    guard.unref();
    // Never traced: with self-tracing on, a span made while exporting would be exported in
    // turn (docs/self-observability.md).
    context.with(suppressTracing(context.active()), () => exporter.export(spans, (result) => {
      clearTimeout(guard);
      resolve(result);
    }));
  });
}

/** OTLP/HTTP: the signal path is appended to the base endpoint, as OTEL_EXPORTER_OTLP_ENDPOINT. */
export function httpTracesUrl(endpoint: string): string {
  const base = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `http://${endpoint}`;
  let url: URL;
  try {
    url = new URL(base);
  } catch (err) {
    throw new ConfigError(`OTLP/HTTP endpoint ${JSON.stringify(endpoint)} is not a URL`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`OTLP/HTTP endpoint must be http:// or https://, got ${JSON.stringify(endpoint)}`);
  }
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * OTLP/gRPC: the official exporter picks TLS unless the URL says http://, so a bare host:port
 * (what users type, and what the legacy Clovisor settings hold) is made explicit plaintext.
 */
export function grpcUrl(endpoint: string): string {
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint);
  const withScheme = hasScheme ? endpoint : `http://${endpoint}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (err) {
    throw new ConfigError(`OTLP/gRPC endpoint ${JSON.stringify(endpoint)} is not host:port`, { cause: err });
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || (!hasScheme && url.port === '') || (url.pathname !== '/' && url.pathname !== '')) {
    throw new ConfigError(`OTLP/gRPC endpoint must be host:port or http(s)://host:port, got ${JSON.stringify(endpoint)}`);
  }
  return `${url.protocol}//${url.host}`;
}
