/*
 * IntProbe — bpf/int.bpf.c loaded and driven: INT hop tracking on tc and drops from
 * tp_btf/kfree_skb (docs/int.md, "eBPF: hop tracking and drops").
 *
 *   const probe = IntProbe.open();               // throws BpfError ENOTSUP when the kernel lacks
 *                                                // BTF, the kfree_skb tracepoint or the kfunc
 *   probe.setWatchlist([{ protocol: 'TCP', srcCidr: '10.0.0.0/8', dstCidr: '10.0.0.0/8' }]);
 *   probe.setRateLimit({ intervalNs: 1_000_000_000n, latencyBucketShift: 16 });
 *   probe.attach(ifindex);                       // tc ingress + egress, INT_TC_FILTER identity
 *   probe.start((events) => …);                  // IntRawEvent[], monotonic ns
 *   probe.dropReasonName(ev.dropReason!);        // 'IP_INNOROUTES', from the kernel's BTF
 *   probe.counters();                            // IntCounters + ring reader stats
 *   probe.detach(ifindex); probe.close();
 *
 * Stale filters of a crashed run: `detachTc(ifindex, hook, INT_TC_FILTER)` (capture's own cleanup,
 * with the default identity, never touches them). Convert an event for INT reports with
 * `intEventFrame(ev)` (a zero-MAC Ethernet header when the kernel had no L2 header) and
 * `dropReasonName(ev.dropReason)`.
 *
 * Until setWatchlist() is called nothing is tracked (mode off). setWatchlist([]) also tracks
 * nothing; 'all' tracks every TCP/UDP packet. Rate limit defaults: 1 s interval, shift 16 (a new
 * latency bucket every 65.5 µs). Raw times are CLOCK_MONOTONIC: add clockOffsetNs() (sampled
 * once, as the capture stage does) for epoch ns. Events on the JS thread come in ring batches;
 * records that fail to decode are counted (decodeErrors), never thrown at the caller.
 */
import { forEachRecord } from './batch.js';
import { dropReasonNames, kernelBtf, VMLINUX_BTF_PATH, type Btf } from './btf.js';
import { u32Key } from './capture-abi.js';
import { BpfError } from './errors.js';
import {
  INT_DROP_TRACEPOINT, INT_INFLIGHT_DEFAULT_SIZE, INT_OBJECT_PATH, INT_RATE_DEFAULT_SIZE, INT_RULES_MAX, INT_TC_FILTER,
  IntMap, IntMode, IntProgram, decodeIntEvent, encodeIntConfig, encodeIntRule, readIntCounters,
  type IntConfig, type IntCounters, type IntRawEvent, type IntRule,
} from './int-abi.js';
import { BpfObject } from './object.js';
import type { RingReader, RingReaderOptions, RingReaderStats } from './ring.js';
import type { TcLink } from './tc.js';

export interface IntProbeOptions {
  /** int_events size in bytes (a power of two, multiple of the page size); default 4 MiB */
  ringBytes?: number;
  /** int_inflight entries (packets followed at once); default 16384 */
  inflightEntries?: number;
  /** int_rate entries (flow × ingress × egress); default 16384 */
  rateEntries?: number;
  /** the object file; default INT_OBJECT_PATH */
  objectPath?: string;
  /** the kernel BTF checked before loading; default /sys/kernel/btf/vmlinux */
  btfPath?: string;
}

export interface IntRateLimit {
  /** one periodic report per (flow, ingress, egress) per interval; 0n = report every hop */
  intervalNs: bigint;
  /** a report whenever latency_ns >> shift changes; 64 = never */
  latencyBucketShift: number;
}

export interface IntProbeCounters extends IntCounters {
  /** records that did not decode (a kernel/ABI mismatch) */
  decodeErrors: number;
  /** the ring reader's own stats (batches dropped for a slow consumer…); null before start() */
  ring: RingReaderStats | null;
}

export const INT_DEFAULT_RATE_LIMIT: IntRateLimit = { intervalNs: 1_000_000_000n, latencyBucketShift: 16 };

/** What the kernel must offer; a missing piece is an ENOTSUP BpfError naming it. */
function probeKernel(btf: Btf): void {
  if (!btf.hasType(`btf_trace_${INT_DROP_TRACEPOINT}`, 'typedef')) {
    throw new BpfError('ENOTSUP', `this kernel has no BTF-typed tracepoint ${INT_DROP_TRACEPOINT} (tp_btf): INT drop reports need Linux 5.17 or newer`);
  }
  if (!btf.hasType('bpf_cast_to_kern_ctx', 'func')) {
    throw new BpfError('ENOTSUP', 'this kernel lacks the bpf_cast_to_kern_ctx kfunc: INT hop tracking needs Linux 6.2 or newer');
  }
}

/** The running kernel's answer, kept: its drop reason names, or the ENOTSUP error (BTF is parsed once). */
let kernelAnswer: { reasons: Map<number, string> } | { error: BpfError } | undefined;

/** The kernel checked and its drop reason names (value → name); throws the ENOTSUP BpfError. */
function checkedDropReasons(btfPath: string | undefined): Map<number, string> {
  const ofRunningKernel = btfPath === undefined || btfPath === VMLINUX_BTF_PATH;
  let answer = ofRunningKernel ? kernelAnswer : undefined;
  if (answer === undefined) {
    try {
      const btf = kernelBtf(btfPath);
      probeKernel(btf);
      answer = { reasons: dropReasonNames(btf) };
    } catch (err) {
      if (!(err instanceof BpfError)) throw err;
      answer = { error: err };
    }
    if (ofRunningKernel) kernelAnswer = answer;
  }
  if ('error' in answer) throw answer.error;
  return answer.reasons;
}

/** Why this kernel cannot run INT (what IntProbe.open() would refuse with), or null when it can. */
export function intKernelProblem(btfPath?: string): string | null {
  try {
    checkedDropReasons(btfPath);
    return null;
  } catch (err) {
    if (err instanceof BpfError) return err.message;
    throw err;
  }
}

export class IntProbe {
  private readonly obj: BpfObject;
  private readonly reasons: Map<number, string>;
  private readonly links = new Map<number, { ingress: TcLink; egress: TcLink }>();
  private config: IntConfig = { mode: IntMode.OFF, ruleCount: 0, intervalNs: INT_DEFAULT_RATE_LIMIT.intervalNs, latencyBucketShift: INT_DEFAULT_RATE_LIMIT.latencyBucketShift, maxAgeNs: 0n };
  private reader: RingReader | null = null;
  private decodeErrors = 0;

  private constructor(obj: BpfObject, reasons: Map<number, string>) {
    this.obj = obj;
    this.reasons = reasons;
    this.writeConfig();
  }

  /** Checks the kernel, loads int.bpf.o (verifier). Needs root. Nothing is attached yet. */
  static open(opts: IntProbeOptions = {}): IntProbe {
    const reasons = checkedDropReasons(opts.btfPath);
    const maxEntries: Record<string, number> = {
      [IntMap.INFLIGHT]: opts.inflightEntries ?? INT_INFLIGHT_DEFAULT_SIZE,
      [IntMap.RATE]: opts.rateEntries ?? INT_RATE_DEFAULT_SIZE,
    };
    if (opts.ringBytes !== undefined) {
      const r = opts.ringBytes;
      if (!Number.isInteger(r) || r < 4096 || (r & (r - 1)) !== 0) throw new BpfError('EINVAL', `ringBytes must be a power of two ≥ 4096, got ${r}`);
      maxEntries[IntMap.EVENTS] = r;
    }
    const obj = BpfObject.open(opts.objectPath ?? INT_OBJECT_PATH, { maxEntries });
    try {
      return new IntProbe(obj, reasons);
    } catch (err) {
      obj.close();
      throw err;
    }
  }

  /** The kernel's name of a drop reason value (without SKB_DROP_REASON_), or null when unknown. */
  dropReasonName(value: number): string | null {
    return this.reasons.get(value) ?? null;
  }

  /** Attaches int_ingress/int_egress to an interface (replacing a leftover filter of ours). Idempotent. */
  attach(ifindex: number): void {
    if (this.links.has(ifindex)) return;
    const ingress = this.obj.attachTc(IntProgram.INGRESS, ifindex, 'ingress', INT_TC_FILTER);
    let egress: TcLink;
    try {
      egress = this.obj.attachTc(IntProgram.EGRESS, ifindex, 'egress', INT_TC_FILTER);
    } catch (err) {
      ingress.detach();
      throw err;
    }
    this.links.set(ifindex, { ingress, egress });
  }

  /** Removes our filters from an interface; false when it was not attached. */
  detach(ifindex: number): boolean {
    const l = this.links.get(ifindex);
    if (l === undefined) return false;
    this.links.delete(ifindex);
    let first: unknown;
    for (const link of [l.ingress, l.egress]) {
      try {
        link.detach();
      } catch (err) {
        first ??= err; // the interface may be gone already
      }
    }
    if (first !== undefined) throw first;
    return true;
  }

  attachedIfindexes(): number[] {
    return [...this.links.keys()];
  }

  /** Which packets are tracked: rules (≤ 64; [] = none) or 'all' TCP/UDP packets. */
  setWatchlist(rules: readonly IntRule[] | 'all'): void {
    if (rules === 'all') {
      this.config = { ...this.config, mode: IntMode.ALL, ruleCount: 0 };
      this.writeConfig();
      return;
    }
    if (rules.length > INT_RULES_MAX) throw new BpfError('EINVAL', `the INT watchlist holds at most ${INT_RULES_MAX} rules, got ${rules.length}`);
    const encoded = rules.map(encodeIntRule); // all validated before anything is written
    const map = this.obj.map(IntMap.RULES);
    encoded.forEach((b, i) => map.update(u32Key(i), b));
    this.config = { ...this.config, mode: rules.length > 0 ? IntMode.RULES : IntMode.OFF, ruleCount: rules.length };
    this.writeConfig();
  }

  setRateLimit(limit: IntRateLimit): void {
    this.config = { ...this.config, intervalNs: limit.intervalNs, latencyBucketShift: limit.latencyBucketShift };
    this.writeConfig();
  }

  /**
   * Attaches the drop tracepoint and starts reading the ring: onEvents gets the decoded events
   * of each ring batch on the JS thread. Once only.
   */
  start(onEvents: (events: IntRawEvent[]) => void, ringOptions: RingReaderOptions = {}): void {
    if (this.reader !== null) throw new BpfError('EALREADY', 'IntProbe already started');
    this.reader = this.obj.openRingReader(IntMap.EVENTS, (batch) => {
      const events: IntRawEvent[] = [];
      forEachRecord(batch, (rec) => {
        try {
          events.push(decodeIntEvent(rec));
        } catch {
          this.decodeErrors++;
        }
      });
      if (events.length > 0) onEvents(events);
    }, ringOptions);
    try {
      this.obj.attachTracing(IntProgram.KFREE_SKB); // owned by obj: close() detaches it
    } catch (err) {
      this.reader.close();
      this.reader = null;
      throw err;
    }
  }

  counters(): IntProbeCounters {
    return { ...readIntCounters(this.obj), decodeErrors: this.decodeErrors, ring: this.reader?.stats() ?? null };
  }

  /** Detaches everything and unloads. Idempotent. */
  close(): void {
    this.links.clear();
    this.reader = null;
    this.obj.close(); // closes the reader, then detaches the tc and trace links it owns
  }

  get closed(): boolean {
    return this.obj.closed;
  }

  private writeConfig(): void {
    this.obj.map(IntMap.CONFIG).update(u32Key(0), encodeIntConfig(this.config));
  }
}
