// B3 single header:
//
//   b3 = traceid "-" spanid [ "-" sampled [ "-" parentspanid ] ]  |  sampled
//   sampled = "0" / "1" / "d"
//
// A lone sampling state carries no ids: it is returned as `sampling-only`. The parent span id
// is validated but not returned: it is our caller's parent, not ours.

import { b3Flags, b3SpanId, b3TraceId } from './b3-common.js';
import type { ParseResult, ParsedIds } from './types.js';

export function parseB3Single(raw: string): ParseResult<ParsedIds> {
  const value = raw.trim();
  const parts = value.split('-');
  if (parts.length === 1) {
    const flags = value === 'true' || value === 'false' ? undefined : b3Flags(value);
    return flags === undefined ? malformed('bad sampling state') : { kind: 'sampling-only', value: { traceFlags: flags } };
  }
  if (parts.length > 4) return malformed('too many fields');
  const [rawTrace = '', rawSpan = '', rawSampled, rawParent] = parts;
  const traceId = b3TraceId(rawTrace);
  if (traceId === null) return malformed('bad trace id');
  const parentSpanId = b3SpanId(rawSpan);
  if (parentSpanId === null) return malformed('bad span id');
  let traceFlags: number | null = null;
  if (rawSampled !== undefined) {
    const flags = rawSampled === 'true' || rawSampled === 'false' ? undefined : b3Flags(rawSampled);
    if (flags === undefined) return malformed('bad sampling state');
    traceFlags = flags;
  }
  if (rawParent !== undefined && b3SpanId(rawParent) === null) return malformed('bad parent span id');
  return { kind: 'ok', value: { traceId, parentSpanId, traceFlags } };
}

function malformed(reason: string): ParseResult<ParsedIds> {
  return { kind: 'malformed', reason: `b3: ${reason}` };
}
