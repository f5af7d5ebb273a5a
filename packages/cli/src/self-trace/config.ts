import { ConfigError } from '@clovisor/core';

// Self-tracing: Clovisor's stages tracing their own work (Kafka produce and consume) with the
// OpenTelemetry Node SDK. Off unless an endpoint is given; the SDK is loaded only then
// (sdk.ts), so the default path pays nothing.

export interface SelfTraceFlags {
  'self-trace-endpoint'?: string;
  'self-trace-service'?: string;
}

export interface SelfTraceConfig {
  /** OTLP/HTTP base URL; the SDK posts to `<endpoint>/v1/traces` */
  endpoint: string;
  serviceName: string;
}

export const SELF_TRACE_FLAG_OPTIONS = {
  'self-trace-endpoint': { type: 'string' },
  'self-trace-service': { type: 'string' },
} as const;

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** null = self-tracing off (the default). Flags win over CLOVISOR_SELF_TRACE_* variables. */
export function resolveSelfTrace(command: string, flags: SelfTraceFlags, env: Record<string, string | undefined>): SelfTraceConfig | null {
  const endpoint = (flags['self-trace-endpoint'] ?? env['CLOVISOR_SELF_TRACE_ENDPOINT'] ?? '').trim();
  const service = (flags['self-trace-service'] ?? env['CLOVISOR_SELF_TRACE_SERVICE'] ?? '').trim();
  if (endpoint === '') {
    if (service !== '') throw new ConfigError('--self-trace-service needs --self-trace-endpoint (or CLOVISOR_SELF_TRACE_ENDPOINT): self-tracing is off without an endpoint');
    return null;
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ConfigError(`--self-trace-endpoint "${endpoint}": not a URL (expected an OTLP/HTTP base URL such as http://127.0.0.1:4318)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`--self-trace-endpoint "${endpoint}": OTLP/HTTP only, the scheme must be http: or https:`);
  }
  if (service !== '' && !SERVICE_NAME.test(service)) {
    throw new ConfigError(`--self-trace-service "${service}": letters, digits, ".", "_" and "-", at most 128 characters`);
  }
  return { endpoint: endpoint.replace(/\/+$/, '').replace(/\/v1\/traces$/, ''), serviceName: service || `clovisor-${command}` };
}
