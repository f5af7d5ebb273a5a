// FNV-1a 64-bit: a small, fast, stable hash for deterministic ids (flow ids, span ids).
// Not cryptographic; ids only need to be stable and well spread.
const OFFSET = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

export function fnv1a64(text: string): bigint {
  let hash = OFFSET;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= BigInt(byte);
    hash = (hash * PRIME) & MASK;
  }
  return hash;
}

/** 16 lower-case hex chars. */
export function fnv1a64Hex(text: string): string {
  return fnv1a64(text).toString(16).padStart(16, '0');
}
