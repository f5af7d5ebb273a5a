// A bounds-checked cursor over Kafka's primitive types (the protocol guide's BNF names). It
// never throws: reading past the end sets `short` (wait for more bytes, or the frame is
// malformed when it was whole), a value outside its domain sets `bad`; both stick, and reads
// after them return neutral values, so a codec checks once at the end.
//   INT8/16/32/64        big-endian two's complement
//   UNSIGNED_VARINT      7 bits a byte, least significant first, high bit = more
//   STRING               INT16 length, UTF-8;          NULLABLE_STRING: length -1 = null
//   COMPACT_STRING       UNSIGNED_VARINT length + 1;   COMPACT_NULLABLE_STRING: 0 = null
//   ARRAY                INT32 count (-1 = null);      COMPACT_ARRAY: UNSIGNED_VARINT count + 1
//   UUID                 16 bytes
//   TAGGED_FIELDS        UNSIGNED_VARINT count, then per field: tag varint, size varint, bytes

export class Reader {
  pos: number;
  short = false;
  bad: string | null = null;

  /** end: where reading stops — the captured bytes, the frame (frameEnd may lie beyond the
   * buffer) or a budget (limit), whichever comes first. */
  readonly end: number;
  constructor(readonly buf: Buffer, start: number, readonly frameEnd: number, readonly limit = Infinity) {
    this.pos = start;
    this.end = Math.min(buf.length, frameEnd, limit);
  }

  /** Ran short with the whole frame at hand: the fields overrun the frame. */
  get overrun(): boolean { return this.short && this.end >= this.frameEnd; }
  /** Ran short at the budget, before the frame's end: more bytes would not be read anyway. */
  get capped(): boolean { return this.short && this.end === this.limit && this.limit < this.frameEnd; }

  get ok(): boolean { return !this.short && this.bad === null; }
  get left(): number { return this.end - this.pos; }

  private take(n: number): number {
    if (!this.ok) return -1;
    if (this.pos + n > this.end) { this.short = true; return -1; }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  fail(reason: string): void { if (this.ok) this.bad = reason; }

  int8(): number { const at = this.take(1); return at < 0 ? 0 : this.buf.readInt8(at); }
  int16(): number { const at = this.take(2); return at < 0 ? 0 : this.buf.readInt16BE(at); }
  int32(): number { const at = this.take(4); return at < 0 ? 0 : this.buf.readInt32BE(at); }
  skip(n: number): void { this.take(n); }

  /** At most 5 bytes (32 bits); Kafka's lengths and counts fit. */
  uvarint(): number {
    let value = 0;
    for (let i = 0; i < 5; i++) {
      const at = this.take(1);
      if (at < 0) return 0;
      const b = this.buf[at] as number;
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return value;
    }
    this.fail('varint longer than 5 bytes');
    return 0;
  }

  /** A string's byte length: -1 = null. Compact strings carry length + 1. */
  private stringLength(compact: boolean, nullable: boolean): number {
    const n = compact ? this.uvarint() - 1 : this.int16();
    if (!this.ok) return -1;
    if (n < -1 || (n === -1 && !nullable)) { this.fail('bad string length'); return -1; }
    return n;
  }

  string(compact: boolean, nullable = false, maxChars = 32767): string | null {
    const n = this.stringLength(compact, nullable);
    if (n < 0) return null;
    const at = this.take(n);
    if (at < 0) return null;
    return this.buf.toString('utf8', at, at + Math.min(n, maxChars));
  }

  /** Skip a string, or bytes, without decoding it. */
  skipString(compact: boolean, nullable = false): void {
    const n = this.stringLength(compact, nullable);
    if (n > 0) this.take(n);
  }

  /** Element count of an array; -1 = null. Each element takes at least minElementBytes, so a
   * count the rest of the frame cannot hold is malformed, not a reason to wait. */
  arrayCount(compact: boolean, minElementBytes: number): number {
    const n = compact ? this.uvarint() - 1 : this.int32();
    if (!this.ok) return -1;
    if (n < -1) { this.fail('bad array count'); return -1; }
    if (n > 0 && n * minElementBytes > this.frameEnd - this.pos) { this.fail('array count larger than the frame'); return -1; }
    return n;
  }

  uuid(): string {
    const at = this.take(16);
    if (at < 0) return '';
    const h = this.buf.toString('hex', at, at + 16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** Tagged fields are skipped: none of them carries what the Transaction records. */
  taggedFields(): void {
    const count = this.uvarint();
    if (!this.ok) return;
    if (count > this.frameEnd - this.pos) { this.fail('tagged field count larger than the frame'); return; }
    for (let i = 0; i < count && this.ok; i++) {
      this.uvarint();
      this.skip(this.uvarint());
    }
  }
}
