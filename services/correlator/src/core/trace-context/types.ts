// Shared shapes of the per-format trace-context parsers. A parser never throws on bad input:
// it returns a `malformed` result so the caller can count it and fall through to the next format.

/** The ids a caller propagated: the trace it belongs to and its own span (our parent). */
export interface ParsedIds {
  /** 32 lower-case hex chars, not all zero. */
  traceId: string;
  /** 16 lower-case hex chars, not all zero: the caller's span, parent of the span we build. */
  parentSpanId: string;
  /** W3C trace-flags byte; null when the format carried no sampling decision (deferred). */
  traceFlags: number | null;
}

/** A header that carries only a sampling decision (b3 "0"/"1"/"d", b3 multi with x-b3-sampled only). */
export interface SamplingOnly {
  traceFlags: number;
}

export type ParseResult<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'sampling-only'; value: SamplingOnly }
  | { kind: 'malformed'; reason: string };

/** Header formats whose malformed values are counted separately. */
export type HeaderFormat =
  | 'traceparent'
  | 'tracestate'
  | 'b3'
  | 'b3-multi'
  | 'uber-trace-id'
  | 'x-request-id'
  | 'x-envoy-decorator-operation';

export const HEADER_FORMATS: readonly HeaderFormat[] = [
  'traceparent',
  'tracestate',
  'b3',
  'b3-multi',
  'uber-trace-id',
  'x-request-id',
  'x-envoy-decorator-operation',
];

export const SAMPLED = 0x01;
