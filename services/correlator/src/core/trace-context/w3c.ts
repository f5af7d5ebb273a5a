// W3C Trace Context (https://www.w3.org/TR/trace-context/), level 1.
//
//   traceparent = version "-" trace-id "-" parent-id "-" trace-flags
//   version     = 2HEXDIGLC, "ff" forbidden; "00" is exactly 55 chars
//   trace-id    = 32HEXDIGLC, not all zero
//   parent-id   = 16HEXDIGLC, not all zero
//   trace-flags = 2HEXDIGLC (bit 0 = sampled)
//
// A higher version may append fields after a "-": we read its first four fields, as the
// spec asks of a version-00 parser.

import { isAllZero, isLowerHex } from './hex.js';
import type { ParseResult, ParsedIds } from './types.js';

const V00_LENGTH = 55;

export function parseTraceparent(raw: string): ParseResult<ParsedIds> {
  const value = raw.trim();
  const version = value.slice(0, 2);
  if (!isLowerHex(version, 2) || version === 'ff') return malformed('bad version');
  if (version === '00' ? value.length !== V00_LENGTH : value.length < V00_LENGTH) {
    return malformed('bad length');
  }
  if (value.length > V00_LENGTH && value[V00_LENGTH] !== '-') return malformed('bad length');
  const [, traceId = '', parentSpanId = '', flags = ''] = value.slice(0, V00_LENGTH).split('-');
  if (!isLowerHex(traceId, 32) || isAllZero(traceId)) return malformed('bad trace-id');
  if (!isLowerHex(parentSpanId, 16) || isAllZero(parentSpanId)) return malformed('bad parent-id');
  if (!isLowerHex(flags, 2)) return malformed('bad trace-flags');
  return { kind: 'ok', value: { traceId, parentSpanId, traceFlags: Number.parseInt(flags, 16) } };
}

function malformed(reason: string): ParseResult<ParsedIds> {
  return { kind: 'malformed', reason: `traceparent: ${reason}` };
}
