// Why an OTLP export failed, classified as the OpenTelemetry Collector's exporter helper does:
// retryable (the backend may accept the same batch later) or permanent (resending the same
// bytes will fail again: drop or dead-letter the batch, count it, move on).
//
// HTTP (OTLP/HTTP spec): 429, 502, 503, 504 and network errors are retryable; other statuses
// are permanent. gRPC (OTLP/gRPC spec): CANCELLED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED,
// ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS are retryable; the rest are permanent.

import { ClovisorError } from '@clovisor/core';

export type OtlpProtocol = 'http' | 'grpc';

export class ExportError extends ClovisorError {
  /** HTTP status or gRPC status code, when the backend answered */
  readonly status: number | null;
  /** a delay the backend asked for (Retry-After / RetryInfo), when known */
  readonly retryAfterMs: number | null;
  constructor(code: string, message: string, opts: { retryable: boolean; status?: number | null; retryAfterMs?: number | null; cause?: unknown }) {
    super(code, message, { retryable: opts.retryable, cause: opts.cause });
    this.name = 'ExportError';
    this.status = opts.status ?? null;
    this.retryAfterMs = opts.retryAfterMs ?? null;
  }
}

const RETRYABLE_HTTP = new Set([429, 502, 503, 504]);
const RETRYABLE_GRPC = new Set([1, 4, 8, 10, 11, 14, 15]);
const GRPC_NAMES: Record<number, string> = {
  1: 'CANCELLED', 2: 'UNKNOWN', 3: 'INVALID_ARGUMENT', 4: 'DEADLINE_EXCEEDED', 5: 'NOT_FOUND', 6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED', 8: 'RESOURCE_EXHAUSTED', 9: 'FAILED_PRECONDITION', 10: 'ABORTED', 11: 'OUT_OF_RANGE',
  12: 'UNIMPLEMENTED', 13: 'INTERNAL', 14: 'UNAVAILABLE', 15: 'DATA_LOSS', 16: 'UNAUTHENTICATED',
};
const RETRYABLE_NETWORK = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND',
  'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'UND_ERR_SOCKET',
]);

/**
 * Classifies what the official OTLP exporter reported. Its shapes (otlp-exporter-base 0.215):
 * - HTTP non-retryable status: OTLPExporterError with numeric `code` = the status;
 * - HTTP retryable status after its own retries: OTLPExporterError without `code`
 *   ("Export failed with retryable status") — the status itself is not kept;
 * - network failure: the socket's Error with a string `code` (ECONNREFUSED, ...);
 * - timeout: Error "Request timed out";
 * - gRPC: a ServiceError with numeric `code` = gRPC status, and `details`;
 * - too many exports in flight: Error "Concurrent export limit reached".
 */
export function classifyExportFailure(protocol: OtlpProtocol, err: unknown): ExportError {
  if (err instanceof ExportError) return err;
  const e = (err ?? {}) as { code?: unknown; message?: unknown; name?: unknown };
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : String(err);
  const code = e.code;

  if (typeof code === 'string') {
    const retryable = RETRYABLE_NETWORK.has(code);
    return new ExportError(retryable ? 'OTLP_UNREACHABLE' : 'OTLP_NETWORK', `OTLP/${protocol} export failed: ${code} ${message}`, { retryable, cause: err });
  }
  if (protocol === 'grpc' && typeof code === 'number') {
    const retryable = RETRYABLE_GRPC.has(code);
    const name = GRPC_NAMES[code] ?? `status ${code}`;
    return new ExportError(retryable ? 'OTLP_UNAVAILABLE' : 'OTLP_REJECTED', `OTLP/gRPC export failed: ${name}: ${message}`, { retryable, status: code, cause: err });
  }
  if (protocol === 'http' && typeof code === 'number') {
    const retryable = RETRYABLE_HTTP.has(code);
    return new ExportError(retryable ? 'OTLP_UNAVAILABLE' : 'OTLP_REJECTED', `OTLP/HTTP export failed: HTTP ${code} ${message}`, { retryable, status: code, cause: err });
  }
  if (/retryable status|timed out|concurrent export limit/i.test(message)) {
    return new ExportError('OTLP_UNAVAILABLE', `OTLP/${protocol} export failed: ${message}`, { retryable: true, cause: err });
  }
  // Anything else (a serializer failure, an oversized response): resending will not help.
  return new ExportError('OTLP_FAILED', `OTLP/${protocol} export failed: ${message}`, { retryable: false, cause: err });
}
