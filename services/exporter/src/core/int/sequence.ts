// seq_no of telemetry reports: one counter per (switch id, hw_id), from 1, wrapping modulo
// 2^bits (32 for v0.5, 22 for v2.0) so that a collector computing (seq - last) mod 2^bits
// counts no loss across the wrap. int-host-reporter counts per hw_id on its one node; one
// exporter here reports for many nodes (switch ids), and a collector tracks loss per sender
// (v2.0 §3.2: "the sequence of reports from a specific combination of (Node ID, hw_id)"), so
// the switch id is part of the key. At most maxCounters counters are kept (nodes come and go):
// the least recently used one is forgotten, and that sender starts again at 1.

export const MAX_HW_ID = 63;

export class SequenceNumbers {
  private readonly next = new Map<number, number>();
  private readonly modulus: number;
  private forgotten = 0;

  constructor(readonly bits: number, private readonly maxCounters = 65_536) {
    if (!Number.isInteger(bits) || bits < 1 || bits > 32) throw new RangeError(`sequence width ${bits}: expected 1 to 32 bits`);
    this.modulus = 2 ** bits;
  }

  /** The seq_no of the next report of this (hw_id, switch id). */
  take(hwId: number, switchId = 0): number {
    const key = this.key(hwId, switchId);
    const seq = this.next.get(key) ?? 1;
    this.next.delete(key); // re-inserted last: the Map's order is least recently used first
    this.next.set(key, (seq + 1) % this.modulus);
    if (this.next.size > this.maxCounters) {
      this.next.delete(this.next.keys().next().value!);
      this.forgotten += 1;
    }
    return seq;
  }

  /** Sets the next seq_no of a sender (tests of the wrap; a restart that resumes). */
  resume(hwId: number, seq: number, switchId = 0): void {
    this.next.set(this.key(hwId, switchId), seq % this.modulus);
  }

  /** counters forgotten because maxCounters senders were newer */
  countersForgotten(): number {
    return this.forgotten;
  }

  private key(hwId: number, switchId: number): number {
    if (!Number.isInteger(hwId) || hwId < 0 || hwId > MAX_HW_ID) throw new RangeError(`hw_id ${hwId}: expected 0 to ${MAX_HW_ID}`);
    return switchId * 64 + hwId; // < 2^38: exact in a double
  }
}
