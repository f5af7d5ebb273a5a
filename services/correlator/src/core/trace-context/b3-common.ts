// Rules shared by both B3 encodings (https://github.com/openzipkin/b3-propagation).

import { isAllZero, isHexUpTo, padHex } from './hex.js';
import { SAMPLED } from './types.js';

/** A B3 trace id is 16 or 32 hex chars; 64-bit ids are left-padded to 128 bits. */
export function b3TraceId(value: string): string | null {
  if ((value.length !== 16 && value.length !== 32) || !isHexUpTo(value, 32) || isAllZero(value)) return null;
  return padHex(value, 32);
}

export function b3SpanId(value: string): string | null {
  if (value.length !== 16 || !isHexUpTo(value, 16) || isAllZero(value)) return null;
  return value.toLowerCase();
}

/**
 * Sampling state → trace flags. "d" (debug) implies sampled. Returns undefined for a value the
 * spec does not define; "true"/"false" are accepted because old multi-header senders used them.
 */
export function b3Flags(value: string): number | undefined {
  switch (value) {
    case '1':
    case 'd':
    case 'true':
      return SAMPLED;
    case '0':
    case 'false':
      return 0;
    default:
      return undefined;
  }
}
