// B3 multiple headers:
//
//   x-b3-traceid       16 or 32 hex
//   x-b3-spanid        16 hex
//   x-b3-parentspanid  16 hex, optional (our caller's parent: validated, not returned)
//   x-b3-sampled       "1" / "0" (legacy "true" / "false"), optional
//   x-b3-flags         "1" = debug, implies sampled, optional
//
// Returns null when none of the headers is present. x-b3-sampled or x-b3-flags alone is a
// sampling decision without ids.

import { b3Flags, b3SpanId, b3TraceId } from './b3-common.js';
import { SAMPLED, type ParseResult, type ParsedIds } from './types.js';

export function parseB3Multi(headers: Readonly<Record<string, string>>): ParseResult<ParsedIds> | null {
  const rawTrace = headers['x-b3-traceid']?.trim();
  const rawSpan = headers['x-b3-spanid']?.trim();
  const rawParent = headers['x-b3-parentspanid']?.trim();
  const rawSampled = headers['x-b3-sampled']?.trim();
  const rawFlags = headers['x-b3-flags']?.trim();

  let traceFlags: number | null = null;
  if (rawFlags !== undefined) {
    if (rawFlags !== '1' && rawFlags !== '0') return malformed('bad x-b3-flags');
    if (rawFlags === '1') traceFlags = SAMPLED;
  }
  if (rawSampled !== undefined && traceFlags === null) {
    const flags = b3Flags(rawSampled);
    if (flags === undefined || rawSampled === 'd') return malformed('bad x-b3-sampled');
    traceFlags = flags;
  }

  if (rawTrace === undefined && rawSpan === undefined && rawParent === undefined) {
    return traceFlags === null ? null : { kind: 'sampling-only', value: { traceFlags } };
  }
  const traceId = rawTrace === undefined ? null : b3TraceId(rawTrace);
  if (traceId === null) return malformed('bad x-b3-traceid');
  const parentSpanId = rawSpan === undefined ? null : b3SpanId(rawSpan);
  if (parentSpanId === null) return malformed('bad x-b3-spanid');
  if (rawParent !== undefined && b3SpanId(rawParent) === null) return malformed('bad x-b3-parentspanid');
  return { kind: 'ok', value: { traceId, parentSpanId, traceFlags } };
}

function malformed(reason: string): ParseResult<ParsedIds> {
  return { kind: 'malformed', reason: `b3-multi: ${reason}` };
}
