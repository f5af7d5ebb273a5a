// A small seeded PRNG (xorshift32 state, multiplied output): deterministic across runs and
// machines, so a failing fuzz case is replayed from its seed alone. Not for anything secret.
export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = (seed >>> 0) || 0x9e3779b9; // xorshift is stuck at 0
  }

  /** uniform 32-bit unsigned integer */
  u32(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return Math.imul(this.state, 0x2545f491) >>> 0;
  }

  /** integer in [0, n) */
  int(n: number): number {
    return n <= 1 ? 0 : Math.floor((this.u32() / 0x1_0000_0000) * n);
  }

  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)]!;
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let i = 0;
    for (; i + 4 <= n; i += 4) out.writeUInt32LE(this.u32(), i);
    for (; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}
