// Hex-id helpers shared by the header parsers.

const LOWER_HEX = /^[0-9a-f]+$/;
const ANY_HEX = /^[0-9a-fA-F]+$/;
const ALL_ZERO = /^0+$/;

/** Exactly `len` lower-case hex chars (W3C is strict about case). */
export function isLowerHex(value: string, len: number): boolean {
  return value.length === len && LOWER_HEX.test(value);
}

/** 1..maxLen hex chars of either case (B3 and Jaeger senders are not consistent about case). */
export function isHexUpTo(value: string, maxLen: number): boolean {
  return value.length > 0 && value.length <= maxLen && ANY_HEX.test(value);
}

export function isAllZero(value: string): boolean {
  return ALL_ZERO.test(value);
}

/** Left-pads with zeros to `len` and lower-cases: 64-bit trace ids become 128-bit ones. */
export function padHex(value: string, len: number): string {
  return value.toLowerCase().padStart(len, '0');
}
