import { existsSync } from 'node:fs';
import {
  ConfigError, ProtocolIds, UnavailableError, errorMessage,
  type Component, type IntEvent, type Logger, type PortRule, type RecordProducer, type SegmentBatch,
} from '@clovisor/core';
import {
  BpfError, BpfObject, CAPTURE_OBJECT_PATH, CaptureMap, CaptureProgram, FLOW_TABLE_DEFAULT_SIZE, FlowTableSweeper, clockOffsetNs,
  decodeCaptureEvent, encodeCaptureConfig, encodeEgressRuleKey, encodeEgressRuleValue, encodePortKey, encodeProtocolId, forEachRecord,
  ifindexOf, readCaptureCounters,
  type CaptureCounters, type FlowKey, type FlowState, type RingReader, type TcLink,
} from '@clovisor/libbpf';
import { FlowTracker, type MonitoredInterface } from '../core/flow-tracker.js';
import type { DesiredInterface } from '../core/interface-plan.js';
import { AttachmentRecord } from './attachment-record.js';
import { TcpEventJoin, type TcpEventJoinStats } from '../core/tcp-event-join.js';
import { createCaptureMetrics, type CaptureMetrics, type CaptureMetricsSnapshot, type IntMetricsSnapshot } from './metrics.js';
import type { MetricsEndpoint } from '@clovisor/core/metrics';
import { SegmentSender } from './segment-sender.js';
import { TcpTracer, type TcpTracerStats } from './tcp-tracer.js';

export interface CaptureSettings {
  node: string;
  interfaces: Array<{ name: string; service: string | null }>;
  ports: PortRule[];
  snaplen: number;
  /** the process's Prometheus endpoint, started and stopped by its owner (the CLI); capture's families go there. Absent: no metrics */
  metrics?: MetricsEndpoint | null;
  /** node NICs (--node-interface): packets of flows already known from a pod interface are timed there */
  nodeInterfaces?: string[];
  /** max_entries of the kernel flow table (--flow-table-size) */
  flowTableSize?: number;
  /** kernel flow-table entries idle this long are aged out (--flow-idle-timeout) */
  flowIdleTimeoutSeconds?: number;
  /** size of the `events` ring buffer in MiB, a power of two (--ring-size); default 4 */
  ringSizeMiB?: number;
  /**
   * Where the attached interfaces are recorded so that the next start after a crash removes our
   * stale filters (io/attachment-record.ts); absent = not recorded (static --interface mode,
   * where every interface is attached again anyway, replacing our old filter).
   */
  stateFile?: string;
}

/** What applyInterfaces() changed. */
export interface ApplyResult {
  attached: string[];
  detached: string[];
  updated: string[];
  failed: Array<{ name: string; error: string }>;
}

interface Attachment {
  spec: DesiredInterface;
  links: TcLink[];
  /** hex of the `ports` keys and `egress_rules` keys we wrote for this interface */
  portKeys: Map<string, number>;
  egressKeys: Set<string>;
}

export const DEFAULT_FLOW_IDLE_TIMEOUT_SECONDS = 120;

/** An interface the capture programs are attached to: a pod's host-side veth or a node NIC. */
export interface TracedInterface {
  name: string;
  ifindex: number;
  role: 'pod' | 'node';
  /** the pod's IPs when known (Kubernetes); [] for node NICs and --interface pods */
  podAddresses: string[];
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
 * The set of interfaces can change while running: applyInterfaces() takes the desired set
 * (from --interface, or from Kubernetes) and attaches, detaches and rewrites ports to match.
 */
export class CaptureStage implements Component {
  readonly name = 'capture';
  private object: BpfObject | null = null;
  private readonly attachments = new Map<number, Attachment>();
  private readonly protocols = new Map<number, Map<number, string>>();
  private initial: DesiredInterface[] = [];
  private record: AttachmentRecord | null = null;
  private started = false;
  private reader: RingReader | null = null;
  private tracker: FlowTracker | null = null;
  private sweeper: FlowTableSweeper | null = null;
  private nodeLinks: TcLink[] = [];
  private nodeInterfaces = new Map<number, string>();
  private tcpTracer: TcpTracer | null = null;
  private tcpJoin: TcpEventJoin | null = null;
  private batchesDelivered = 0;
  private sender: SegmentSender | null = null;
  private timer: NodeJS.Timeout | undefined;
  private monitored = new Map<number, MonitoredInterface>();
  private offsetNs = 0n;
  private decodeErrors = 0;
  private lastLost = 0n;
  private ticks = 0;
  private configReloads = 0;
  private attachFailures = 0;
  /** detached interfaces whose flows are freed once the ring has delivered their last packets: ifindex → due (ms) */
  private readonly forgetAt = new Map<number, number>();
  /** last failure per interface name: a failure repeated on every re-plan is logged once */
  private readonly lastFailure = new Map<string, string>();
  /** only with a metrics endpoint (--metrics-port not 0) */
  private metrics: CaptureMetrics | null = null;
  private readonly settings: CaptureSettings;
  private readonly tracedListeners: Array<(traced: TracedInterface[]) => void> = [];
  private intStats: (() => IntMetricsSnapshot) | null = null;
  private intHopsExpected = false;

  /** `producer` is started by the caller (it is shared by the stages of one process). */
  constructor(private readonly producer: RecordProducer, settings: CaptureSettings, private readonly log: Logger) {
    this.settings = settings;
  }

  /** Counts a configuration change applied (e.g. from Redis); shown as clovisor_capture_config_reloads_total. */
  noteConfigReload(): void {
    this.configReloads += 1;
  }

  /**
   * Told the traced interfaces after every change of the set (applyInterfaces, start): INT
   * telemetry (io/int-stage.ts) follows the same interfaces.
   */
  onTracedInterfaces(listener: (traced: TracedInterface[]) => void): void {
    this.tracedListeners.push(listener);
  }

  /** The pod and node interfaces attached now. */
  tracedInterfaces(): TracedInterface[] {
    const pods = [...this.attachments.values()].map((a): TracedInterface => ({ name: a.spec.name, ifindex: a.spec.ifindex, role: 'pod', podAddresses: a.spec.addresses ?? [] }));
    const nodes = this.nodeLinks.length === 0 ? [] : [...this.nodeInterfaces].map(([ifindex, name]): TracedInterface => ({ name, ifindex, role: 'node', podAddresses: [] }));
    return [...nodes, ...pods];
  }

  /**
   * INT hop reports will come (noteIntHop): a closing flow's last batch then waits for the reports
   * of its last packets (FlowTracker expectIntHops). Call before start().
   */
  expectIntHops(): void {
    this.intHopsExpected = true;
  }

  /** An INT hop report goes on the segment batches of the flows of its connection (docs/capture.md). */
  noteIntHop(event: IntEvent): void {
    this.tracker?.noteIntHop(event);
  }

  /**
   * CLOCK_REALTIME − CLOCK_MONOTONIC as sampled at start() and added to every kernel time of this
   * stage; null before start. INT events use the same, so their times compare with the packets'.
   */
  clockOffset(): bigint | null {
    return this.started ? this.offsetNs : null;
  }

  /** INT telemetry's numbers, shown in this stage's /metrics. */
  setIntStats(provider: (() => IntMetricsSnapshot) | null): void {
    this.intStats = provider;
  }

  async prepare(): Promise<void> {
    if (this.object) return;
    const initial: DesiredInterface[] = [];
    for (const spec of this.settings.interfaces) {
      let ifindex: number;
      try {
        ifindex = ifindexOf(spec.name);
      } catch (err) {
        throw new ConfigError(`--interface ${spec.name}: no such interface on this host (check \`ip link\`)`, { cause: err });
      }
      const pod = { service: spec.service ?? spec.name, namespace: null, name: null, node: this.settings.node };
      initial.push({ name: spec.name, ifindex, pod, ports: this.settings.ports, egress: [] });
    }
    this.initial = initial;
    for (const name of this.settings.nodeInterfaces ?? []) {
      let ifindex: number;
      try {
        ifindex = ifindexOf(name);
      } catch (err) {
        throw new ConfigError(`--node-interface ${name}: no such interface on this host (check \`ip link\`)`, { cause: err });
      }
      if (initial.some((i) => i.ifindex === ifindex)) throw new ConfigError(`${name} is given both as --interface and as --node-interface: a pod interface or a node NIC, not both`);
      this.nodeInterfaces.set(ifindex, name);
    }
    if (typeof process.getuid === 'function' && process.getuid() !== 0) {
      throw new ConfigError('capture loads eBPF programs and needs root (CAP_BPF, CAP_NET_ADMIN): run it with sudo');
    }
    const path = process.env['CLOVISOR_BPF_OBJECT'] ?? CAPTURE_OBJECT_PATH;
    if (!existsSync(path)) throw new ConfigError(`eBPF object ${path} is missing: run \`npm run build\` (needs clang and libbpf-dev: scripts/ensure-system.sh)`);
    if (this.settings.stateFile) {
      this.record = new AttachmentRecord(this.settings.stateFile, this.log);
      this.record.claim();
    }
    try {
      this.object = BpfObject.open(path, {
        maxEntries: {
          [CaptureMap.FLOWS]: this.settings.flowTableSize ?? FLOW_TABLE_DEFAULT_SIZE,
          [CaptureMap.EVENTS]: (this.settings.ringSizeMiB ?? CAPTURE_RING_DEFAULT_MIB) * 1024 * 1024,
        },
      });
      this.object.map(CaptureMap.CONFIG).update(u32Zero, encodeCaptureConfig({ snaplen: this.settings.snaplen }));
    } catch (err) {
      this.object?.close();
      this.object = null;
      throw bpfFailure(err);
    }
    const endpoint = this.settings.metrics ?? null;
    if (endpoint && !this.metrics) {
      const metrics = (this.metrics = createCaptureMetrics(() => this.stats(), endpoint.registry));
      endpoint.onScrape(() => metrics.update());
    }
  }

  async start(): Promise<void> {
    await this.prepare();
    const object = this.object!;
    this.tracker = new FlowTracker({
      node: this.settings.node,
      interfaces: this.monitored,
      protocolOf: (ifindex, port) => this.protocols.get(ifindex)?.get(port) ?? null,
      nodeInterfaces: this.nodeInterfaces,
      expectIntHops: this.intHopsExpected,
    });
    const idleSeconds = this.settings.flowIdleTimeoutSeconds ?? DEFAULT_FLOW_IDLE_TIMEOUT_SECONDS;
    // Pace the sweep: a whole pass takes a quarter of the idle timeout (2-30 s). A pass costs
    // about 1.2-1.5 us per entry, mostly the kernel's batch copy (bench: flow_table_sweep_pass_ms),
    // so at 100k flows a pass every 30 s is ~0.5% of a core, one every 1.6 s would be ~9%.
    const passMs = Math.min(30_000, Math.max(2_000, (idleSeconds * 1000) / 4));
    const ticksPerPass = Math.max(1, Math.round(passMs / TICK_MS));
    const tableSize = object.map(CaptureMap.FLOWS).maxEntries;
    this.sweeper = new FlowTableSweeper(object, { idleTimeoutNs: BigInt(idleSeconds) * 1_000_000_000n, batchSize: Math.ceil(tableSize / ticksPerPass) });
    this.sender = new SegmentSender(this.producer, this.log.child('sender'), { onSendDuration: (s, ok) => this.metrics?.observeSendDuration(s, ok) });
    this.sender.start();
    this.offsetNs = clockOffsetNs();
    this.started = true;
    try {
      this.reader = object.openRingReader(CaptureMap.EVENTS, (batch) => this.onBatch(batch), {
        onError: (err) => this.log.error('ring buffer batch failed', { error: errorMessage(err) }),
      });
      for (const [ifindex, name] of this.nodeInterfaces) {
        this.nodeLinks.push(object.attachTc(CaptureProgram.NODE_INGRESS, ifindex, 'ingress'));
        this.nodeLinks.push(object.attachTc(CaptureProgram.NODE_EGRESS, ifindex, 'egress'));
        this.log.info('attached to node interface', { interface: name, ifindex });
      }
    } catch (err) {
      await this.stop();
      throw bpfFailure(err);
    }
    this.startTcpTracing();
    const { failed } = this.applyInterfaces(this.initial);
    if (failed.length > 0) {
      await this.stop();
      throw new UnavailableError('ATTACH', `attaching to ${failed.map((f) => `${f.name}: ${f.error}`).join('; ')}`, { retryable: false });
    }
    this.timer = setInterval(() => this.onTick(), TICK_MS);
  }

  /**
   * Makes the attached set equal to `desired` (keyed by ifindex): attaches new interfaces,
   * rewrites the ports and egress rules of kept ones in the kernel maps, detaches the others and
   * frees their flows (flushed to Kafka first). An interface that fails (e.g. its veth vanished
   * meanwhile) is reported and skipped; the others still apply. Synchronous: each step is a
   * syscall, so two calls can never interleave.
   */
  applyInterfaces(desired: readonly DesiredInterface[]): ApplyResult {
    const result: ApplyResult = { attached: [], detached: [], updated: [], failed: [] };
    if (!this.started || !this.object) throw new Error('applyInterfaces() before start()');
    const wanted = new Map(desired.map((d) => [d.ifindex, d]));
    for (const [ifindex, a] of this.attachments) {
      const next = wanted.get(ifindex);
      // the same ifindex under another name is another interface (indexes are reused)
      if (!next || next.name !== a.spec.name) {
        this.detachOne(a);
        result.detached.push(a.spec.name);
      }
    }
    for (const d of desired) {
      const current = this.attachments.get(d.ifindex);
      try {
        if (current) {
          if (this.syncKeys(current, d)) result.updated.push(d.name);
        } else {
          this.attachOne(d);
          result.attached.push(d.name);
        }
        this.lastFailure.delete(d.name);
      } catch (err) {
        const error = errorMessage(err);
        result.failed.push({ name: d.name, error });
        this.attachFailures += 1;
        if (this.lastFailure.get(d.name) !== error) {
          this.lastFailure.set(d.name, error);
          this.log.warn('attaching/updating an interface failed; it is retried on the next change', { interface: d.name, ifindex: d.ifindex, error });
        }
      }
    }
    for (const name of this.lastFailure.keys()) if (!desired.some((d) => d.name === name)) this.lastFailure.delete(name);
    this.record?.write([...this.attachments.values()].map((a) => ({ name: a.spec.name, ifindex: a.spec.ifindex })));
    this.tcpTracer?.setPorts([...this.attachments.values()].flatMap((a) => [...a.spec.ports.map((p) => p.port), ...a.spec.egress.map((t) => t.port)]));
    if (this.tracedListeners.length > 0) {
      const traced = this.tracedInterfaces();
      for (const listener of this.tracedListeners) listener(traced);
    }
    return result;
  }

  /** Names of the interfaces attached now. */
  attachedInterfaces(): string[] {
    return [...this.attachments.values()].map((a) => a.spec.name);
  }

  private attachOne(d: DesiredInterface): void {
    const object = this.object!;
    const a: Attachment = { spec: d, links: [], portKeys: new Map(), egressKeys: new Set() };
    if (this.forgetAt.has(d.ifindex)) {
      // attached again before its flows were freed: they carry on, unless the ifindex now names another interface
      if (this.monitored.get(d.ifindex)?.name !== d.name) this.forgetNow(d.ifindex);
      this.forgetAt.delete(d.ifindex);
    }
    // maps first: the first packet after attach already finds its ports
    this.attachments.set(d.ifindex, a);
    this.monitored.set(d.ifindex, { ifindex: d.ifindex, name: d.name, pod: d.pod });
    try {
      this.syncKeys(a, d);
      for (const hook of ['ingress', 'egress'] as const) a.links.push(object.attachTc(hook === 'ingress' ? CaptureProgram.INGRESS : CaptureProgram.EGRESS, d.ifindex, hook));
    } catch (err) {
      this.detachOne(a, false);
      throw bpfFailure(err);
    }
    this.log.info('attached', { interface: d.name, ifindex: d.ifindex, service: d.pod?.service, pod: d.pod?.name ?? undefined, ports: d.ports.map((p) => `${p.port}=${p.protocol}`).join(','), egressRules: d.egress.length });
  }

  private detachOne(a: Attachment, logIt = true): void {
    const object = this.object!;
    for (const link of a.links) {
      try {
        link.detach();
      } catch (err) {
        this.log.error('detach failed; remove it with `tc filter del dev <if> ingress|egress pref 3088`', { link: link.describe(), error: errorMessage(err) });
      }
    }
    a.links = [];
    const ports = object.map(CaptureMap.PORTS);
    const egress = object.map(CaptureMap.EGRESS_RULES);
    for (const key of a.portKeys.keys()) ports.delete(Buffer.from(key, 'hex'));
    for (const key of a.egressKeys) egress.delete(Buffer.from(key, 'hex'));
    this.attachments.delete(a.spec.ifindex);
    // The ring may still hold the interface's last packets (the reader polls every 100 ms): its
    // flows are flushed and dropped a little later, in onTick (or at stop).
    this.forgetAt.set(a.spec.ifindex, Date.now() + FORGET_GRACE_MS);
    if (logIt) this.log.info('detached', { interface: a.spec.name, ifindex: a.spec.ifindex, ...(a.spec.pod?.name ? { pod: a.spec.pod.name } : {}) });
  }

  /** Writes the difference between what `a` has in the kernel maps and what `d` wants; true if anything changed. */
  private syncKeys(a: Attachment, d: DesiredInterface): boolean {
    const object = this.object!;
    const ports = object.map(CaptureMap.PORTS);
    const egress = object.map(CaptureMap.EGRESS_RULES);
    let changed = false;
    const wantedPorts = new Map(d.ports.map((p) => [encodePortKey(d.ifindex, p.port).toString('hex'), ProtocolIds[p.protocol]]));
    for (const key of a.portKeys.keys()) {
      if (!wantedPorts.has(key)) {
        ports.delete(Buffer.from(key, 'hex'));
        a.portKeys.delete(key);
        const port = Buffer.from(key, 'hex').readUInt16LE(4);
        this.purgeKernelFlows((state, k) => state.ifindex === d.ifindex && (k.a.port === port || k.b.port === port));
        changed = true;
      }
    }
    for (const [key, id] of wantedPorts) {
      if (a.portKeys.get(key) === id) continue;
      ports.update(Buffer.from(key, 'hex'), encodeProtocolId(id));
      a.portKeys.set(key, id);
      changed = true;
    }
    const wantedEgress = new Set(d.egress.map((t) => encodeEgressRuleKey({ ifindex: d.ifindex, ...t }).toString('hex')));
    for (const key of a.egressKeys) {
      if (!wantedEgress.has(key)) {
        egress.delete(Buffer.from(key, 'hex'));
        a.egressKeys.delete(key);
        changed = true;
      }
    }
    for (const key of wantedEgress) {
      if (a.egressKeys.has(key)) continue;
      egress.update(Buffer.from(key, 'hex'), encodeEgressRuleValue());
      a.egressKeys.add(key);
      changed = true;
    }
    this.protocols.set(d.ifindex, new Map(d.ports.map((p) => [p.port, p.protocol])));
    const podChanged = JSON.stringify(a.spec.pod) !== JSON.stringify(d.pod);
    a.spec = d;
    if (podChanged) this.monitored.set(d.ifindex, { ifindex: d.ifindex, name: d.name, pod: d.pod });
    if (changed && a.links.length > 0) this.log.info('interface updated', { interface: d.name, ports: d.ports.map((p) => `${p.port}=${p.protocol}`).join(','), egressRules: d.egress.length });
    return changed || podChanged;
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
      flowTable: this.object && this.sweeper ? this.sweeper.stats() : null,
      sender: this.sender?.stats() ?? { queued: 0, sent: 0, droppedQueueFull: 0, sendErrors: 0, lastSendLatencyMs: 0 },
      ring: this.reader?.stats() ?? null,
      interfacesAttached: this.attachments.size + this.nodeLinks.length / 2,
      attachFailures: this.attachFailures,
      configReloads: this.configReloads,
      int: this.intStats?.() ?? null,
    };
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.object) for (const a of [...this.attachments.values()]) this.detachOne(a);
    for (const link of this.nodeLinks.splice(0)) {
      try {
        link.detach();
      } catch (err) {
        this.log.error('detach failed; remove it with `tc filter del dev <if> ingress|egress pref 3088`', { link: link.describe(), error: errorMessage(err) });
      }
    }
    this.started = false;
    this.record?.remove();
    this.record = null;
    this.tcpTracer?.close();
    this.tcpTracer = null;
    await this.drainRing();
    this.reader?.close();
    this.reader = null;
    this.forgetDetached(Infinity);
    this.sweeper = null;
    if (this.tracker && this.sender) this.sender.enqueue(this.tracker.flushAll());
    await this.sender?.drain(10_000);
    this.sender = null;
    if (this.object) {
      const { lost } = readCaptureCounters(this.object);
      if (lost > 0) this.log.warn('kernel events lost during this run (ring buffer full)', { lost });
    }
    this.object?.close();
    this.object = null;
  }

  /**
   * close() discards what is still in the ring or queued for this thread: after the detach no
   * new packets come, so wait (bounded) until the reader has handed over everything it read.
   */
  private async drainRing(): Promise<void> {
    const deadline = Date.now() + 1000;
    let lastRecords = -1;
    while (this.reader && Date.now() < deadline) {
      const { records, batches } = this.reader.stats();
      if (records === lastRecords && batches === this.batchesDelivered) return;
      lastRecords = records;
      await new Promise((resolve) => setTimeout(resolve, RING_POLL_MS + 20));
    }
  }

  private onBatch(batch: Buffer): void {
    this.batchesDelivered += 1;
    const tracker = this.tracker!;
    const out: SegmentBatch[] = [];
    forEachRecord(batch, (record) => {
      try {
        const event = decodeCaptureEvent(record);
        tracker.add(event, event.tsNs + this.offsetNs, out);
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
    try {
      this.sweeper!.tick(); // one bounded batch of the kernel flow table per tick
    } catch (err) {
      if (this.ticks % 200 === 0) this.log.warn('kernel flow table sweep failed', { error: errorMessage(err) });
    }
    if (this.forgetAt.size > 0) this.forgetDetached(Date.now());
  }

  /** Flushes to Kafka and drops the flows of interfaces detached at least FORGET_GRACE_MS ago. */
  private forgetDetached(nowMs: number): void {
    for (const [ifindex, due] of this.forgetAt) {
      if (due > nowMs) continue;
      this.forgetAt.delete(ifindex);
      this.forgetNow(ifindex);
    }
  }

  private forgetNow(ifindex: number): void {
    if (this.tracker && this.sender) this.sender.enqueue(this.tracker.forgetInterface(ifindex));
    this.protocols.delete(ifindex);
    this.monitored.delete(ifindex);
    this.purgeKernelFlows((state) => state.ifindex === ifindex);
  }

  /** Kernel flow-table entries are copied without a `ports` lookup until they end: purge the ones no longer traced. */
  private purgeKernelFlows(select: (state: FlowState, key: FlowKey) => boolean): void {
    try {
      this.sweeper?.forgetWhere((key, state) => select(state, key));
    } catch (err) {
      this.log.warn('purging kernel flow-table entries failed; they age out instead', { error: errorMessage(err) });
    }
  }
}

const u32Zero = Buffer.alloc(4);
/**
 * 4 MiB holds ~0.2 s of the HTTP overhead bench's packets and the 100k-flow burst without a lost
 * event; libbpf maps the ring twice, so each MiB here is ~2 MiB of the agent's RSS.
 */
const CAPTURE_RING_DEFAULT_MIB = 4;
/** > the ring reader's 100 ms poll: packets of a detached interface still in the ring find their flow */
const FORGET_GRACE_MS = 300;
const TICK_MS = 50;
/** the ring reader thread's poll timeout (packages/libbpf/native/ring_reader.cc kPollTimeoutMs) */
const RING_POLL_MS = 100;

function bpfFailure(err: unknown): Error {
  if (err instanceof BpfError) {
    if (err.code === 'EPERM' || err.code === 'EACCES') {
      return new ConfigError(`eBPF not permitted: ${err.message} (run as root; in a container: privileged, or CAP_BPF + CAP_NET_ADMIN + CAP_PERFMON)`, { cause: err });
    }
    return new UnavailableError(`BPF_${err.code}`, `eBPF: ${err.message}`, { cause: err, retryable: false });
  }
  return err instanceof Error ? err : new Error(String(err));
}
