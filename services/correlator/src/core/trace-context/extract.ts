// Picks the trace context of one request out of its headers.
//
// Precedence for the ids: traceparent > b3 > x-b3-* > uber-trace-id. A malformed header is
// recorded in `malformed` and the next format is tried, as OpenTelemetry's composite
// propagators do. A sampling-only b3 header supplies the trace flags only when no format
// supplied ids. Header names must be lower-case (the transaction record guarantees it).

import { parseB3Multi } from './b3-multi.js';
import { parseB3Single } from './b3-single.js';
import { parseUberTraceId } from './jaeger.js';
import { parsePlainValue } from './plain.js';
import { parseTracestate } from './tracestate.js';
import type { HeaderFormat, ParseResult, ParsedIds } from './types.js';
import { parseTraceparent } from './w3c.js';

export type ContextSource = 'w3c' | 'b3' | 'b3-single' | 'jaeger';

export interface TraceContext {
  traceId: string | null;
  parentSpanId: string | null;
  /** null: no sampling decision was propagated */
  traceFlags: number | null;
  traceState: string | null;
  requestId: string | null;
  decoratorOperation: string | null;
  source: ContextSource | null;
  /** formats present but unusable, one entry per header, for the caller to count */
  malformed: HeaderFormat[];
}

interface Candidate {
  source: ContextSource;
  format: HeaderFormat;
  parse: (headers: Readonly<Record<string, string>>) => ParseResult<ParsedIds> | null;
}

const CANDIDATES: readonly Candidate[] = [
  { source: 'w3c', format: 'traceparent', parse: (h) => ifPresent(h['traceparent'], parseTraceparent) },
  { source: 'b3-single', format: 'b3', parse: (h) => ifPresent(h['b3'], parseB3Single) },
  { source: 'b3', format: 'b3-multi', parse: parseB3Multi },
  { source: 'jaeger', format: 'uber-trace-id', parse: (h) => ifPresent(h['uber-trace-id'], parseUberTraceId) },
];

export function extractTraceContext(headers: Readonly<Record<string, string>>): TraceContext {
  const ctx: TraceContext = {
    traceId: null,
    parentSpanId: null,
    traceFlags: null,
    traceState: null,
    requestId: null,
    decoratorOperation: null,
    source: null,
    malformed: [],
  };
  let samplingOnly: number | null = null;
  // Every present format is parsed, even after a winner, so malformed headers are all counted.
  for (const candidate of CANDIDATES) {
    const result = candidate.parse(headers);
    if (result === null) continue;
    if (result.kind === 'malformed') {
      ctx.malformed.push(candidate.format);
    } else if (result.kind === 'sampling-only') {
      samplingOnly ??= result.value.traceFlags;
    } else if (ctx.source === null) {
      ctx.source = candidate.source;
      ctx.traceId = result.value.traceId;
      ctx.parentSpanId = result.value.parentSpanId;
      ctx.traceFlags = result.value.traceFlags;
    }
  }
  if (ctx.source === null) ctx.traceFlags = samplingOnly;

  // tracestate belongs to traceparent: without a valid traceparent it must be ignored.
  const rawState = headers['tracestate'];
  if (rawState !== undefined && ctx.source === 'w3c') {
    const state = parseTracestate(rawState);
    if (state.kind === 'ok') ctx.traceState = state.value;
    else ctx.malformed.push('tracestate');
  }
  ctx.requestId = plain(headers, 'x-request-id', ctx.malformed);
  ctx.decoratorOperation = plain(headers, 'x-envoy-decorator-operation', ctx.malformed);
  return ctx;
}

function ifPresent<T>(value: string | undefined, parse: (value: string) => T): T | null {
  return value === undefined ? null : parse(value);
}

function plain(
  headers: Readonly<Record<string, string>>,
  name: 'x-request-id' | 'x-envoy-decorator-operation',
  malformed: HeaderFormat[],
): string | null {
  const raw = headers[name];
  if (raw === undefined) return null;
  const result = parsePlainValue(name, raw);
  if (result.kind === 'ok') return result.value;
  malformed.push(name);
  return null;
}
