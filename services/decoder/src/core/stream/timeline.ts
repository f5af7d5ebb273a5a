// Capture timestamps of the byte ranges a direction's driver still holds, so a frame can be
// stamped with the time of the segments carrying its first and last byte. Ranges are stream
// offsets [previous end, end); a small array with a moving head, compacted now and then.
export class Timeline {
  private ends: number[] = [];
  private stamps: bigint[] = [];
  private head = 0;

  get size(): number { return this.ends.length - this.head; }

  /** The range ending at `end` (exclusive stream offset) was captured at `ts`. */
  add(end: number, ts: bigint): void {
    this.ends.push(end);
    this.stamps.push(ts);
  }

  /** Timestamp of the byte at stream offset `offset` (the latest known if past the end). */
  at(offset: number): bigint {
    const n = this.ends.length;
    for (let i = this.head; i < n; i++) if ((this.ends[i] as number) > offset) return this.stamps[i] as bigint;
    return n > 0 ? (this.stamps[n - 1] as bigint) : 0n;
  }

  /** Forget ranges that end at or before `offset` (keeps the last one for at()). */
  dropBefore(offset: number): void {
    const n = this.ends.length;
    while (this.head < n - 1 && (this.ends[this.head] as number) <= offset) this.head++;
    if (this.head > 32 && this.head * 2 > n) {
      this.ends = this.ends.slice(this.head);
      this.stamps = this.stamps.slice(this.head);
      this.head = 0;
    }
  }
}
