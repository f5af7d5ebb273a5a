import { existsSync } from 'node:fs';
import {
  ConfigError, ProtocolIds, UnavailableError, errorMessage,
  type Component, type Logger, type PortRule, type RecordProducer, type SegmentBatch,
} from '@clovisor/core';
import {
  BpfError, BpfObject, CAPTURE_OBJECT_PATH, CaptureMap, CaptureProgram, clockOffsetNs, decodeCaptureEvent, encodeCaptureConfig,
  encodePortKey, encodeProtocolId, forEachRecord, ifindexOf, readCaptureCounters, type CaptureCounters, type RingReader, type TcLink,
} from '@clovisor/libbpf';
import { FlowTracker, type MonitoredInterface } from '../core/flow-tracker.js';
import { TcpEventJoin, type TcpEventJoinStats } from '../core/tcp-event-join.js';
import { createCaptureMetrics, type CaptureMetrics, type CaptureMetricsSnapshot } from './metrics.js';
import { MetricsServer } from './metrics-server.js';
import { SegmentSender } from './segment-sender.js';
import { TcpTracer, type TcpTracerStats } from './tcp-tracer.js';

export interface CaptureSettings {
  node: string;
  interfaces: Array<{ name: string; service: string | null }>;
  ports: PortRule[];
  snaplen: number;
  /** Prometheus /metrics on 0.0.0.0:<port>; absent or 0 = no metrics server */
  metricsPort?: number;
}

/** Null parts: not started yet (or stopped). */
export interface CaptureStats extends CaptureMetricsSnapshot {
  kernel: CaptureCounters | null;
  /** TCP socket events (tp_btf): what is attached, kernel counters, and the join to flows */
  tcp: (TcpTracerStats & { join: TcpEventJoinStats | null }) | null;
}

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
  private tcpTracer: TcpTracer | null = null;
  private tcpJoin: TcpEventJoin | null = null;
  private sender: SegmentSender | null = null;
  private timer: NodeJS.Timeout | undefined;
  private monitored = new Map<number, MonitoredInterface>();
  private offsetNs = 0n;
  private decodeErrors = 0;
  private lastLost = 0n;
  private ticks = 0;
  private attached = 0;
  private configReloads = 0;
  /** only with a metrics port: prom-client's process metrics cost timers and GC observers */
  private metrics: CaptureMetrics | null = null;
  private metricsServer: MetricsServer | null = null;
  private readonly settings: CaptureSettings;

  /** `producer` is started by the caller (it is shared by the stages of one process). */
  constructor(private readonly producer: RecordProducer, settings: CaptureSettings, private readonly log: Logger) {
    this.settings = settings;
  }

  /** Counts a configuration change applied (e.g. from Redis); shown as clovisor_capture_config_reloads_total. */
  noteConfigReload(): void {
    this.configReloads += 1;
  }

  /** The port /metrics is served on, or null without a metrics server. */
  metricsPort(): number | null {
    return this.metricsServer?.port() ?? null;
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
    const path = process.env['CLOVISOR_BPF_OBJECT'] ?? CAPTURE_OBJECT_PATH;
    if (!existsSync(path)) throw new ConfigError(`eBPF object ${path} is missing: run \`npm run build\` (needs clang and libbpf-dev: scripts/ensure-system.sh)`);
    try {
      this.object = BpfObject.open(path);
      this.object.map(CaptureMap.CONFIG).update(u32Zero, encodeCaptureConfig({ snaplen: this.settings.snaplen }));
      const ports = this.object.map(CaptureMap.PORTS);
      for (const ifindex of this.monitored.keys()) {
        for (const rule of this.settings.ports) ports.update(encodePortKey(ifindex, rule.port), encodeProtocolId(ProtocolIds[rule.protocol]));
      }
    } catch (err) {
      this.object?.close();
      this.object = null;
      throw bpfFailure(err);
    }
    // listen here, not in start(): a port in use should fail before the caller waits on Kafka
    if (this.settings.metricsPort) {
      const metrics = (this.metrics ??= createCaptureMetrics(() => this.stats()));
      const server = new MetricsServer({ port: this.settings.metricsPort, render: () => metrics.render(), contentType: metrics.contentType }, this.log.child('metrics'));
      try {
        await server.start();
      } catch (err) {
        this.object.close();
        this.object = null;
        throw err;
      }
      this.metricsServer = server;
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
    this.sender = new SegmentSender(this.producer, this.log.child('sender'), { onSendDuration: (s, ok) => this.metrics?.observeSendDuration(s, ok) });
    this.sender.start();
    this.offsetNs = clockOffsetNs();
    try {
      this.reader = object.openRingReader(CaptureMap.EVENTS, (batch) => this.onBatch(batch), {
        onError: (err) => this.log.error('ring buffer batch failed', { error: errorMessage(err) }),
      });
      for (const iface of this.monitored.values()) {
        for (const hook of ['ingress', 'egress'] as const) this.links.push(object.attachTc(hook === 'ingress' ? CaptureProgram.INGRESS : CaptureProgram.EGRESS, iface.ifindex, hook));
        this.attached += 1;
        this.log.info('attached', { interface: iface.name, ifindex: iface.ifindex, service: iface.pod?.service });
      }
    } catch (err) {
      await this.stop();
      throw bpfFailure(err);
    }
    this.startTcpTracing();
    this.timer = setInterval(() => this.onTick(), 50);
  }

  /** Socket state changes and retransmits, joined to the flows; without them when the kernel says no. */
  private startTcpTracing(): void {
    const join = new TcpEventJoin(this.tracker!);
    this.tcpTracer = new TcpTracer(this.log.child('tcp'));
    this.tcpTracer.start(this.settings.ports.map((r) => r.port), (event) => join.add(event, event.tsNs + this.offsetNs));
    this.tcpJoin = join;
  }

  stats(): CaptureStats {
    return {
      kernel: this.object ? readCaptureCounters(this.object) : null,
      tcp: this.tcpTracer ? { ...this.tcpTracer.stats(), join: this.tcpJoin?.stats() ?? null } : null,
      decodeErrors: this.decodeErrors,
      flows: this.tracker?.stats() ?? null,
      sender: this.sender?.stats() ?? { queued: 0, sent: 0, droppedQueueFull: 0, sendErrors: 0, lastSendLatencyMs: 0 },
      ring: this.reader?.stats() ?? null,
      interfacesAttached: this.attached,
      configReloads: this.configReloads,
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
    this.attached = 0;
    this.tcpTracer?.close();
    this.tcpTracer = null;
    this.reader?.close();
    this.reader = null;
    if (this.tracker && this.sender) this.sender.enqueue(this.tracker.flushAll());
    await this.sender?.drain(10_000);
    this.sender = null;
    if (this.object) {
      const { lost } = readCaptureCounters(this.object);
      if (lost > 0) this.log.warn('kernel events lost during this run (ring buffer full)', { lost });
    }
    this.object?.close();
    this.object = null;
    await this.metricsServer?.stop();
    this.metricsServer = null;
  }

  private onBatch(batch: Buffer): void {
    const tracker = this.tracker!;
    const out: SegmentBatch[] = [];
    forEachRecord(batch, (record) => {
      try {
        const event = decodeCaptureEvent(record);
        out.push(...tracker.add(event, event.tsNs + this.offsetNs));
      } catch (err) {
        this.decodeErrors += 1;
        if (this.decodeErrors <= 10) this.log.warn('undecodable capture event', { error: errorMessage(err) });
      }
    });
    this.sender!.enqueue(out);
  }

  private onTick(): void {
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    // kernel counters are read once a second: each read is a syscall per counter
    if (++this.ticks % 20 === 0) {
      const { lost } = readCaptureCounters(this.object!);
      if (lost > this.lastLost) {
        this.tracker!.noteLostEvents(Number(lost - this.lastLost));
        this.log.warn('kernel ring buffer full: events lost', { lost: lost - this.lastLost, total: lost });
        this.lastLost = lost;
      }
    }
    this.tcpJoin?.retry(nowNs);
    this.sender!.enqueue(this.tracker!.flushDue(nowNs));
  }
}

const u32Zero = Buffer.alloc(4);

function bpfFailure(err: unknown): Error {
  if (err instanceof BpfError) {
    if (err.code === 'EPERM' || err.code === 'EACCES') {
      return new ConfigError(`eBPF not permitted: ${err.message} (run as root; in a container: privileged, or CAP_BPF + CAP_NET_ADMIN + CAP_PERFMON)`, { cause: err });
    }
    return new UnavailableError(`BPF_${err.code}`, `eBPF: ${err.message}`, { cause: err, retryable: false });
  }
  return err instanceof Error ? err : new Error(String(err));
}
