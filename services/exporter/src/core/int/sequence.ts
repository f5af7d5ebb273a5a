// seq_no of telemetry reports: one counter per hw_id (6 bits, so at most 64 counters), from 1,
// wrapping modulo 2^bits (32 for v0.5, 22 for v2.0) so that a collector computing
// (seq - last) mod 2^bits counts no loss across the wrap.

export const MAX_HW_ID = 63;

export class SequenceNumbers {
  private readonly next = new Map<number, number>();
  private readonly modulus: number;

  constructor(readonly bits: number) {
    if (!Number.isInteger(bits) || bits < 1 || bits > 32) throw new RangeError(`sequence width ${bits}: expected 1 to 32 bits`);
    this.modulus = 2 ** bits;
  }

  /** The seq_no of the next report of this hw_id. */
  take(hwId: number): number {
    if (!Number.isInteger(hwId) || hwId < 0 || hwId > MAX_HW_ID) throw new RangeError(`hw_id ${hwId}: expected 0 to ${MAX_HW_ID}`);
    const seq = this.next.get(hwId) ?? 1;
    this.next.set(hwId, (seq + 1) % this.modulus);
    return seq;
  }

  /** Sets the next seq_no of a hw_id (tests of the wrap; a restart that resumes). */
  resume(hwId: number, seq: number): void {
    this.next.set(hwId, seq % this.modulus);
  }
}
