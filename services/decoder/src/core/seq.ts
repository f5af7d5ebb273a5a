// TCP sequence numbers are 32-bit and wrap. Every comparison goes through the signed 32-bit
// difference (RFC 1982 serial arithmetic), valid while two numbers are < 2^31 apart.

/** a - b as a signed 32-bit distance: > 0 when a is after b. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** seq + n, wrapped to 32 bits (n may exceed 2^32 for long streams). */
export function seqAdd(seq: number, n: number): number {
  return (seq + (n % 0x1_0000_0000)) % 0x1_0000_0000;
}
