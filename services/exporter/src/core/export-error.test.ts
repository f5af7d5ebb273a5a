import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClovisorError } from '@clovisor/core';
import { ExportError, classifyExportFailure } from './export-error.js';

// Errors shaped exactly as otlp-exporter-base / grpc-js produce them (see export-error.ts).
class OTLPExporterError extends Error {
  override name = 'OTLPExporterError';
  constructor(message: string, readonly code?: number, readonly data?: string) {
    super(message);
  }
}
const sysError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });
const grpcError = (code: number, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details });

test('classify: HTTP statuses', () => {
  for (const status of [429, 502, 503, 504]) assert.equal(classifyExportFailure('http', new OTLPExporterError('x', status)).retryable, true, String(status));
  for (const status of [400, 401, 403, 404, 413, 500]) {
    const e = classifyExportFailure('http', new OTLPExporterError('Bad Request', status, '{}'));
    assert.equal(e.retryable, false, String(status));
    assert.equal(e.code, 'OTLP_REJECTED');
    assert.equal(e.status, status);
  }
  assert.equal(classifyExportFailure('http', new OTLPExporterError('Export failed with retryable status')).retryable, true);
  assert.equal(classifyExportFailure('http', new Error('Request timed out')).retryable, true);
  assert.equal(classifyExportFailure('http', new Error('Concurrent export limit reached')).retryable, true);
});

test('classify: network errors', () => {
  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'EAI_AGAIN']) {
    const e = classifyExportFailure('http', sysError(code));
    assert.equal(e.retryable, true, code);
    assert.equal(e.code, 'OTLP_UNREACHABLE');
  }
  assert.equal(classifyExportFailure('http', sysError('ERR_TLS_CERT_ALTNAME_INVALID')).retryable, false);
});

test('classify: gRPC status codes', () => {
  for (const code of [1, 4, 8, 10, 11, 14, 15]) assert.equal(classifyExportFailure('grpc', grpcError(code, 'x')).retryable, true, String(code));
  for (const code of [2, 3, 5, 7, 12, 13, 16]) assert.equal(classifyExportFailure('grpc', grpcError(code, 'x')).retryable, false, String(code));
  const e = classifyExportFailure('grpc', grpcError(14, 'No connection established'));
  assert.match(e.message, /UNAVAILABLE/);
  assert.equal(e.status, 14);
});

test('classify: result is a typed ClovisorError with the cause kept; unknowns are permanent', () => {
  const cause = new Error('weird');
  const e = classifyExportFailure('http', cause);
  assert.ok(e instanceof ExportError && e instanceof ClovisorError);
  assert.equal(e.retryable, false);
  assert.equal(e.cause, cause);
  assert.equal(classifyExportFailure('grpc', undefined).retryable, false);
  const already = new ExportError('X', 'x', { retryable: true });
  assert.equal(classifyExportFailure('http', already), already);
});
