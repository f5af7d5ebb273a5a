// Jaeger native propagation (https://www.jaegertracing.io/docs/latest/client-libraries/#propagation-format):
//
//   uber-trace-id = trace-id ":" span-id ":" parent-span-id ":" flags
//   trace-id       1..32 hex, leading zeros may be omitted; not zero
//   span-id        1..16 hex, leading zeros may be omitted; not zero
//   parent-span-id 1..16 hex, deprecated (usually "0"); not returned
//   flags          1..2 hex digits; bit 0 sampled, bit 1 debug (→ sampled)
//
// Some HTTP clients URL-encode the value, so "%3A" stands for ":".

import { isAllZero, isHexUpTo, padHex } from './hex.js';
import { SAMPLED, type ParseResult, type ParsedIds } from './types.js';

const DEBUG = 0x02;

export function parseUberTraceId(raw: string): ParseResult<ParsedIds> {
  const parts = raw.trim().replace(/%3a/gi, ':').split(':');
  if (parts.length !== 4) return malformed('expected 4 fields');
  const [rawTrace = '', rawSpan = '', rawParent = '', rawFlags = ''] = parts;
  if (!isHexUpTo(rawTrace, 32) || isAllZero(rawTrace)) return malformed('bad trace id');
  if (!isHexUpTo(rawSpan, 16) || isAllZero(rawSpan)) return malformed('bad span id');
  if (!isHexUpTo(rawParent, 16)) return malformed('bad parent span id');
  if (!isHexUpTo(rawFlags, 2)) return malformed('bad flags');
  const flags = Number.parseInt(rawFlags, 16);
  return {
    kind: 'ok',
    value: {
      traceId: padHex(rawTrace, 32),
      parentSpanId: padHex(rawSpan, 16),
      traceFlags: flags & (SAMPLED | DEBUG) ? SAMPLED : 0,
    },
  };
}

function malformed(reason: string): ParseResult<ParsedIds> {
  return { kind: 'malformed', reason: `uber-trace-id: ${reason}` };
}
