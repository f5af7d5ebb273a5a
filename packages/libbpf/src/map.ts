import { BpfError, fromNative } from './errors.js';
import { native, type NativeBatch, type NativeMapInfo } from './native.js';

/** BPF_MAP_TYPE_* values this package cares about (linux/bpf.h). */
export const MapType = {
  HASH: 1,
  ARRAY: 2,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  PERCPU_CGROUP_STORAGE: 21,
  RINGBUF: 27,
} as const;

const PER_CPU_TYPES = new Set<number>([
  MapType.PERCPU_HASH,
  MapType.PERCPU_ARRAY,
  MapType.LRU_PERCPU_HASH,
  MapType.PERCPU_CGROUP_STORAGE,
]);

const UPDATE_FLAGS = { any: 0, noexist: 1, exist: 2 } as const;
export type UpdateMode = keyof typeof UPDATE_FLAGS;

export function numPossibleCpus(): number {
  return native().numPossibleCpus();
}

/**
 * A map of a loaded BpfObject. Valid while its object is open; the object passes `isOpen` so a
 * closed object's (possibly reused) fd number is never touched.
 *
 * Per-CPU maps: lookup() returns, and update() expects, the values of all possible CPUs
 * concatenated, CPU 0 first, each padded to a multiple of 8 bytes (`perCpuStride`).
 */
export class BpfMap {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly perCpu: boolean;
  /** bytes per CPU in lookup()/update() buffers of a per-CPU map (valueSize rounded up to 8) */
  readonly perCpuStride: number;
  private readonly fd: number;
  private readonly isOpen: () => boolean;

  /** @internal use BpfObject.map() */
  constructor(name: string, info: NativeMapInfo, isOpen: () => boolean) {
    this.name = name;
    this.fd = info.fd;
    this.type = info.type;
    this.keySize = info.keySize;
    this.valueSize = info.valueSize;
    this.maxEntries = info.maxEntries;
    this.perCpu = PER_CPU_TYPES.has(info.type);
    this.perCpuStride = Math.ceil(info.valueSize / 8) * 8;
    this.isOpen = isOpen;
  }

  /** Size of the value buffer lookup() returns and update() expects. */
  get valueBufferSize(): number {
    return this.perCpu ? this.perCpuStride * numPossibleCpus() : this.valueSize;
  }

  lookup(key: Buffer): Buffer | null {
    this.check(key, 'key', this.keySize);
    try {
      return native().mapLookup(this.fd, key, this.keySize, this.valueBufferSize);
    } catch (err) {
      throw fromNative(err, `lookup in map ${this.name}`);
    }
  }

  update(key: Buffer, value: Buffer, mode: UpdateMode = 'any'): void {
    this.check(key, 'key', this.keySize);
    this.check(value, 'value', this.valueBufferSize);
    try {
      native().mapUpdate(this.fd, key, this.keySize, value, value.length, UPDATE_FLAGS[mode]);
    } catch (err) {
      const advice = (err as { code?: unknown }).code === 'E2BIG' ? `map is full (${this.maxEntries} entries)` : undefined;
      throw fromNative(err, `update of map ${this.name}`, advice);
    }
  }

  /** Returns false when the key was not there. */
  delete(key: Buffer): boolean {
    this.check(key, 'key', this.keySize);
    try {
      return native().mapDelete(this.fd, key, this.keySize);
    } catch (err) {
      throw fromNative(err, `delete from map ${this.name}`);
    }
  }

  /** All keys, at most maxEntries of them (a map changing underneath may skip or repeat keys). */
  keys(): Buffer[] {
    this.check(null, 'key', this.keySize);
    const out: Buffer[] = [];
    let key: Buffer | null = null;
    try {
      while (out.length < this.maxEntries) {
        key = native().mapNextKey(this.fd, key, this.keySize);
        if (key === null) break;
        out.push(key);
      }
    } catch (err) {
      throw fromNative(err, `iterating map ${this.name}`);
    }
    return out;
  }

  /**
   * Reads up to `count` entries from where `token` left off (null = from the start), in one
   * BPF_MAP_LOOKUP_BATCH syscall. `token: null` in the result means the walk reached the end.
   * Hash maps are walked bucket by bucket, so deletes during a walk do not restart it (unlike
   * keys()). Not for per-CPU maps.
   */
  lookupBatch(token: Buffer | null, count: number): { entries: Array<{ key: Buffer; value: Buffer }>; token: Buffer | null } {
    const r = this.lookupBatchRaw(token, count);
    const entries: Array<{ key: Buffer; value: Buffer }> = [];
    for (let i = 0; i < r.count; i++) {
      entries.push({
        key: r.keys.subarray(i * this.keySize, (i + 1) * this.keySize),
        value: r.values.subarray(i * this.valueSize, (i + 1) * this.valueSize),
      });
    }
    return { entries, token: r.token };
  }

  /**
   * lookupBatch() without a Buffer per entry, for hot loops: entry i's key is at
   * i * keySize in `keys`, its value at i * valueSize in `values`.
   */
  lookupBatchRaw(token: Buffer | null, count: number): NativeBatch {
    this.check(null, 'key', this.keySize);
    if (this.perCpu) throw new BpfError('EINVAL', `map ${this.name}: batch lookup does not support per-CPU maps`);
    try {
      return native().mapLookupBatch(this.fd, token, this.keySize, this.valueSize, count);
    } catch (err) {
      throw fromNative(err, `batch lookup in map ${this.name}`);
    }
  }

  private check(buf: Buffer | null, what: string, size: number): void {
    if (!this.isOpen()) throw new BpfError('EBADF', `map ${this.name}: its BpfObject is closed`);
    if (this.type === MapType.RINGBUF) {
      throw new BpfError('EINVAL', `map ${this.name} is a ring buffer: read it with openRingReader()`);
    }
    if (buf !== null && buf.length !== size) {
      throw new BpfError('EINVAL', `${what} for map ${this.name} must be ${size} bytes, got ${buf.length}`);
    }
  }
}

/** Sums a per-CPU u64 value (as returned by lookup() on a per-CPU map of __u64). */
export function sumPerCpuU64(perCpuValues: Buffer, stride = 8): bigint {
  let sum = 0n;
  for (let off = 0; off + 8 <= perCpuValues.length; off += stride) sum += perCpuValues.readBigUInt64LE(off);
  return sum;
}
