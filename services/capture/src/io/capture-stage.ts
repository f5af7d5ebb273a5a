import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConfigError, ProtocolIds, UnavailableError, errorMessage,
  type Component, type Logger, type PortRule, type RecordProducer, type SegmentBatch,
} from '@clovisor/core';
import { BpfError, BpfObject, clockOffsetNs, forEachRecord, ifindexOf, sumPerCpuU64, type RingReader, type TcLink } from '@clovisor/libbpf';
import { decodeCaptureEvent } from '../core/capture-event.js';
import { FlowTracker, type MonitoredInterface } from '../core/flow-tracker.js';
import { SegmentSender } from './segment-sender.js';

export interface CaptureSettings {
  node: string;
  interfaces: Array<{ name: string; service: string | null }>;
  ports: PortRule[];
  snaplen: number;
}

/** Indices of the per-CPU `counters` map in bpf/capture.bpf.c. */
const Counter = { events: 0, lost: 1, truncated: 2, bytes: 3, matched: 4 } as const;
type CounterName = keyof typeof Counter;

export interface CaptureStats {
  kernel: Record<CounterName, number>;
  decodeErrors: number;
  flows: ReturnType<FlowTracker['stats']>;
  sender: ReturnType<SegmentSender['stats']>;
  ring: ReturnType<RingReader['stats']> | null;
}

function bpfObjectPath(): string {
  const fromEnv = process.env['CLOVISOR_BPF_OBJECT'];
  if (fromEnv) return fromEnv;
  // services/capture/dist/io -> repository root
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'bpf', 'build', 'capture.bpf.o');
}

const u32 = (value: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value);
  return b;
};

/**
 * The capture shell: attaches the tc program to each interface (ingress and egress), reads the
 * ring buffer, groups packets into flows (pure FlowTracker) and publishes SegmentBatch records.
 * prepare() checks everything that can fail locally (interfaces, root, the BPF object) before
 * the caller waits on Kafka; stop() detaches first, then flushes what is pending.
 */
export class CaptureStage implements Component {
  readonly name = 'capture';
  private object: BpfObject | null = null;
  private links: TcLink[] = [];
  private reader: RingReader | null = null;
  private tracker: FlowTracker | null = null;
  private sender: SegmentSender | null = null;
  private timer: NodeJS.Timeout | undefined;
  private monitored = new Map<number, MonitoredInterface>();
  private offsetNs = 0n;
  private decodeErrors = 0;
  private lastLost = 0;
  private readonly settings: CaptureSettings;

  /** `producer` is started by the caller (it is shared by the stages of one process). */
  constructor(private readonly producer: RecordProducer, settings: CaptureSettings, private readonly log: Logger) {
    this.settings = settings;
  }

  async prepare(): Promise<void> {
    if (this.object) return;
    for (const spec of this.settings.interfaces) {
      let ifindex: number;
      try {
        ifindex = ifindexOf(spec.name);
      } catch (err) {
        throw new ConfigError(`--interface ${spec.name}: no such interface on this host (check \`ip link\`)`, { cause: err });
      }
      this.monitored.set(ifindex, { ifindex, name: spec.name, pod: { service: spec.service ?? spec.name, namespace: null, name: null, node: this.settings.node } });
    }
    if (typeof process.getuid === 'function' && process.getuid() !== 0) {
      throw new ConfigError('capture loads eBPF programs and needs root (CAP_BPF, CAP_NET_ADMIN): run it with sudo');
    }
    const path = bpfObjectPath();
    if (!existsSync(path)) throw new ConfigError(`eBPF object ${path} is missing: run \`npm run build\` (needs clang and libbpf-dev: scripts/ensure-system.sh)`);
    try {
      this.object = BpfObject.open(path);
      this.object.map('config').update(u32(0), Buffer.concat([u32(this.settings.snaplen), u32(0)]));
      const ports = this.object.map('ports');
      for (const ifindex of this.monitored.keys()) {
        for (const rule of this.settings.ports) ports.update(portKey(ifindex, rule.port), u32(ProtocolIds[rule.protocol]));
      }
    } catch (err) {
      this.object?.close();
      this.object = null;
      throw bpfFailure(err);
    }
  }

  async start(): Promise<void> {
    await this.prepare();
    const object = this.object!;
    const protocolByPort = new Map(this.settings.ports.map((r) => [r.port, r.protocol]));
    this.tracker = new FlowTracker({
      node: this.settings.node,
      interfaces: this.monitored,
      protocolOf: (_ifindex, port) => protocolByPort.get(port) ?? null,
    });
    this.sender = new SegmentSender(this.producer, this.log.child('sender'));
    this.sender.start();
    this.offsetNs = clockOffsetNs();
    try {
      this.reader = object.openRingReader('events', (batch) => this.onBatch(batch), {
        onError: (err) => this.log.error('ring buffer batch failed', { error: errorMessage(err) }),
      });
      for (const iface of this.monitored.values()) {
        for (const hook of ['ingress', 'egress'] as const) this.links.push(object.attachTc(hook === 'ingress' ? 'capture_ingress' : 'capture_egress', iface.ifindex, hook));
        this.log.info('attached', { interface: iface.name, ifindex: iface.ifindex, service: iface.pod?.service });
      }
    } catch (err) {
      await this.stop();
      throw bpfFailure(err);
    }
    this.timer = setInterval(() => this.onTick(), 50);
  }

  stats(): CaptureStats {
    return {
      kernel: this.kernelCounters(),
      decodeErrors: this.decodeErrors,
      flows: this.tracker?.stats() ?? ({} as CaptureStats['flows']),
      sender: this.sender?.stats() ?? { queued: 0, sent: 0, droppedQueueFull: 0, sendErrors: 0 },
      ring: this.reader?.stats() ?? null,
    };
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const link of this.links) {
      try {
        link.detach();
      } catch (err) {
        this.log.error('detach failed; remove it with `tc filter del dev <if> ingress|egress pref 3088`', { link: link.describe(), error: errorMessage(err) });
      }
    }
    this.links = [];
    this.reader?.close();
    this.reader = null;
    if (this.tracker && this.sender) this.sender.enqueue(this.tracker.flushAll());
    await this.sender?.drain(10_000);
    this.sender = null;
    if (this.object) {
      const lost = this.kernelCounters().lost;
      if (lost > 0) this.log.warn('kernel events lost during this run (ring buffer full)', { lost });
    }
    this.object?.close();
    this.object = null;
  }

  private onBatch(batch: Buffer): void {
    const tracker = this.tracker!;
    const out: SegmentBatch[] = [];
    forEachRecord(batch, (record) => {
      try {
        const event = decodeCaptureEvent(record);
        out.push(...tracker.add(event, event.monotonicNs + this.offsetNs));
      } catch (err) {
        this.decodeErrors += 1;
        if (this.decodeErrors <= 10) this.log.warn('undecodable capture event', { error: errorMessage(err) });
      }
    });
    this.sender!.enqueue(out);
  }

  private onTick(): void {
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const lost = this.kernelCounters().lost;
    if (lost > this.lastLost) {
      this.tracker!.noteLostEvents(lost - this.lastLost);
      this.log.warn('kernel ring buffer full: events lost', { lost: lost - this.lastLost, total: lost });
      this.lastLost = lost;
    }
    this.sender!.enqueue(this.tracker!.flushDue(nowNs));
  }

  private kernelCounters(): Record<CounterName, number> {
    const out = { events: 0, lost: 0, truncated: 0, bytes: 0, matched: 0 };
    if (!this.object) return out;
    const map = this.object.map('counters');
    for (const [name, index] of Object.entries(Counter) as Array<[CounterName, number]>) {
      const values = map.lookup(u32(index));
      out[name] = values ? Number(sumPerCpuU64(values)) : 0;
    }
    return out;
  }
}

function portKey(ifindex: number, port: number): Buffer {
  const key = Buffer.alloc(8);
  key.writeUInt32LE(ifindex, 0);
  key.writeUInt16LE(port, 4);
  return key;
}

function bpfFailure(err: unknown): Error {
  if (err instanceof BpfError) {
    if (err.code === 'EPERM' || err.code === 'EACCES') {
      return new ConfigError(`eBPF not permitted: ${err.message} (run as root; in a container: privileged, or CAP_BPF + CAP_NET_ADMIN + CAP_PERFMON)`, { cause: err });
    }
    return new UnavailableError(`BPF_${err.code}`, `eBPF: ${err.message}`, { cause: err, retryable: false });
  }
  return err instanceof Error ? err : new Error(String(err));
}
