// User-space side of the kernel flow table (`flows` in bpf/capture.bpf.c): ages idle entries out
// a bounded batch at a time and accounts for every entry that leaves the table, including the
// ones the kernel's LRU evicts silently. Method (docs/capture.md, "Kernel flow table"):
//
//   Every way out except eviction is counted: BPF counts inserts and its own removals (FIN/RST)
//   in per-CPU counters, this class counts what it deletes (aged, purged). A sweep pass walks the
//   whole map with BPF_MAP_LOOKUP_BATCH (bucket by bucket, so concurrent deletes cannot restart
//   it). Each entry present when a pass starts is, when it ends, either visited-and-kept, removed
//   (counted) or evicted, so  evicted >= inserts(pass start) - removals(pass end) - kept(pass).
//   The running total is the maximum of that bound over all passes: never an overcount, and
//   exact after any pass over a table that is quiet (no inserts or removals) while it runs.
import { CaptureCounter, CaptureMap, u32Key } from './capture-abi.js';
import { BpfError } from './errors.js';
import { FlowStateOffset, decodeFlowKey, decodeFlowState, flowLastNs, type FlowKey, type FlowState } from './flow-abi.js';
import { sumPerCpuU64, type BpfMap } from './map.js';
import type { BpfObject } from './object.js';
import { monotonicNs } from './system.js';

export interface FlowTableSweeperOptions {
  /** an entry whose last packet is older than this is deleted and counted as aged */
  idleTimeoutNs: bigint;
  /** entries read per tick (one syscall) */
  batchSize?: number;
  /** entries deleted per tick at most; more idle ones wait for the next pass */
  maxDeletesPerTick?: number;
}

export interface FlowTableStats {
  /** max_entries of the map */
  size: number;
  /** entries kept by the last complete pass (the live flows, as of that pass) */
  live: number;
  created: bigint;
  closedFin: bigint;
  closedRst: bigint;
  insertFailed: bigint;
  aged: number;
  /** deleted because their interface stopped being monitored */
  purged: number;
  /** silently evicted by the kernel's LRU (table full); a lower bound, see the file comment */
  evictedLru: bigint;
  passes: number;
}

export class FlowTableSweeper {
  private readonly map: BpfMap;
  private readonly counters: BpfMap;
  private readonly idleTimeoutNs: bigint;
  private readonly batchSize: number;
  private readonly maxDeletesPerTick: number;
  private token: Buffer | null = null;
  private passInsertsAtStart: bigint | null = null;
  private passKept = 0;
  private live = 0;
  private aged = 0;
  private purged = 0;
  private evictedLru = 0n;
  private passes = 0;

  constructor(object: BpfObject, options: FlowTableSweeperOptions) {
    this.map = object.map(CaptureMap.FLOWS);
    this.counters = object.map(CaptureMap.COUNTERS);
    if (options.idleTimeoutNs <= 0n) throw new BpfError('EINVAL', `flow idle timeout must be > 0, got ${options.idleTimeoutNs} ns`);
    this.idleTimeoutNs = options.idleTimeoutNs;
    this.batchSize = options.batchSize ?? 4096;
    this.maxDeletesPerTick = options.maxDeletesPerTick ?? 1024;
  }

  /** One bounded step of the sweep: reads one batch, deletes the idle entries in it. */
  tick(nowNs: bigint = monotonicNs()): void {
    if (this.passInsertsAtStart === null) {
      this.passInsertsAtStart = this.counter(CaptureCounter.FLOWS_CREATED);
      this.passKept = 0;
    }
    const { keys, values, count, token } = this.readBatch(this.token, this.batchSize);
    const keySize = this.map.keySize;
    const valueSize = this.map.valueSize;
    const oldest = nowNs - this.idleTimeoutNs; // entries last seen before this are idle
    let deletes = 0;
    for (let i = 0; i < count; i++) {
      const lastNs = values.readBigUInt64LE(i * valueSize + FlowStateOffset.LAST_NS);
      if (lastNs < oldest && deletes < this.maxDeletesPerTick && this.deleteIfIdle(keys.subarray(i * keySize, (i + 1) * keySize), nowNs)) {
        deletes += 1;
        this.aged += 1;
      } else {
        this.passKept += 1;
      }
    }
    this.token = token;
    if (token === null) this.endPass();
  }

  /** Runs ticks until one whole pass completed (tests, shutdown); bounded by the map size. */
  sweepAll(nowNs: bigint = monotonicNs()): void {
    // finish the pass under way (if any), then one whole pass
    const target = this.passes + (this.passInsertsAtStart === null ? 1 : 2);
    const limit = (Math.ceil(this.map.maxEntries / this.batchSize) + 2) * 2;
    for (let i = 0; this.passes < target && i < limit; i++) this.tick(nowNs);
  }

  /** Deletes every entry owned by a pod interface that is no longer monitored; returns how many. */
  forgetInterface(ifindex: number): number {
    return this.forgetWhere((_key, state) => state.ifindex === ifindex);
  }

  /**
   * Deletes the entries a predicate selects, e.g. the flows of a port no longer configured (a
   * known flow is copied without a `ports` lookup until it ends); counted as purged. One whole
   * walk of the map, synchronously.
   */
  forgetWhere(select: (key: FlowKey, state: FlowState) => boolean): number {
    let token: Buffer | null = null;
    let n = 0;
    for (let guard = 0; guard < this.map.maxEntries; guard++) {
      const batch = this.readBatch(token, Math.max(this.batchSize, 1024));
      for (let i = 0; i < batch.count; i++) {
        const key = batch.keys.subarray(i * this.map.keySize, (i + 1) * this.map.keySize);
        const value = batch.values.subarray(i * this.map.valueSize, (i + 1) * this.map.valueSize);
        if (select(decodeFlowKey(key), decodeFlowState(value)) && this.map.delete(key)) n += 1;
      }
      token = batch.token;
      if (token === null) break;
    }
    this.purged += n;
    return n;
  }

  /** The state of one flow (by encodeFlowKey()), or null when the table does not hold it. */
  lookup(key: Buffer): FlowState | null {
    const v = this.map.lookup(key);
    return v === null ? null : decodeFlowState(v);
  }

  stats(): FlowTableStats {
    return {
      size: this.map.maxEntries,
      live: this.live,
      created: this.counter(CaptureCounter.FLOWS_CREATED),
      closedFin: this.counter(CaptureCounter.FLOWS_CLOSED_FIN),
      closedRst: this.counter(CaptureCounter.FLOWS_CLOSED_RST),
      insertFailed: this.counter(CaptureCounter.FLOWS_INSERT_FAILED),
      aged: this.aged,
      purged: this.purged,
      evictedLru: this.evictedLru,
      passes: this.passes,
    };
  }

  /** A hash bucket is read whole: ENOSPC means one holds more entries than asked for. */
  private readBatch(token: Buffer | null, count: number): ReturnType<BpfMap['lookupBatchRaw']> {
    for (let n = count; ; n *= 2) {
      try {
        return this.map.lookupBatchRaw(token, n);
      } catch (err) {
        if (!(err instanceof BpfError && err.code === 'ENOSPC') || n >= this.map.maxEntries) throw err;
      }
    }
  }

  private endPass(): void {
    const inserts = this.passInsertsAtStart ?? 0n;
    const removed = this.counter(CaptureCounter.FLOWS_CLOSED_FIN) + this.counter(CaptureCounter.FLOWS_CLOSED_RST) + BigInt(this.aged + this.purged);
    const bound = inserts - removed - BigInt(this.passKept);
    if (bound > this.evictedLru) this.evictedLru = bound;
    this.live = this.passKept;
    this.passes += 1;
    this.passInsertsAtStart = null;
  }

  /** Re-reads the entry first: a packet may have arrived since the batch was read. */
  private deleteIfIdle(key: Buffer, nowNs: bigint): boolean {
    const v = this.map.lookup(key);
    if (v === null || nowNs - flowLastNs(v) <= this.idleTimeoutNs) return false;
    return this.map.delete(key);
  }

  private counter(index: number): bigint {
    const v = this.counters.lookup(u32Key(index));
    return v === null ? 0n : sumPerCpuU64(v, this.counters.perCpuStride);
  }
}
