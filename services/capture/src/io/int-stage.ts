import { networkInterfaces } from 'node:os';
import {
  ConfigError, Topics, UnavailableError, backoffDelayMs, codecs, errorMessage, sleep,
  type Component, type Logger, type RecordProducer,
} from '@clovisor/core';
import { BpfError, IntProbe, clockOffsetNs, type IntRawEvent, type IntRule } from '@clovisor/libbpf';
import { IntEventQueue, toIntEvent } from '../core/int-events.js';
import { topologyDocument, type TopologyLink } from '../core/topology.js';
import type { WatchlistRule } from '../core/watchlist.js';
import { vethPeerAddresses } from '../kubernetes/host-interface.js';
import type { CaptureStage, TracedInterface } from './capture-stage.js';
import type { IntMetricsSnapshot } from './metrics.js';
import { TopologyServer } from './topology-server.js';
import { WatchlistWatcher } from './watchlist-watcher.js';

export interface IntSettings {
  node: string;
  /** the node's IPv4 (INT switch_id); null = the first IPv4 of the first --node-interface, if any */
  nodeAddress: string | null;
  /** --int-watchlist; null = every TCP/UDP packet on the traced interfaces */
  watchlistPath: string | null;
  /** one hop report per (flow, ingress, egress) per this interval */
  reportIntervalMs: number;
  /** also one whenever hop latency >> shift changes; 64 = never */
  latencyBucketShift: number;
  /** GET /api/v1/topology on 0.0.0.0:<port>; 0 = off */
  topologyPort: number;
  /** hop events wait at most this long before they go to Kafka (drops go at once); default 100 ms */
  flushMs?: number;
  /** events queued for Kafka at most; default 50 000 */
  maxQueuedEvents?: number;
  /** events per IntReportBatch at most; default 500 */
  maxPerBatch?: number;
  /** the kernel BTF checked for what INT needs; default /sys/kernel/btf/vmlinux (tests pass others) */
  btfPath?: string;
}

/**
 * INT telemetry of the capture agent (`--int`): loads bpf/int.bpf.c through IntProbe, attaches
 * it to the interfaces capture traces (it follows CaptureStage's set live), turns the kernel's
 * events into IntEvent records and publishes them to clovisor.int.v1 as IntReportBatch (key =
 * node). Hops are sent every flushMs; a drop is sent at once. Hops also go to the capture stage's
 * flows (FlowTracker.noteIntHop), so the spans of those flows carry the hop. Also serves the
 * topology API.
 * prepare() fails with a ConfigError when the kernel cannot do it: INT was asked for explicitly.
 */
export class IntStage implements Component {
  readonly name = 'int';
  private probe: IntProbe | null = null;
  private watcher: WatchlistWatcher | null = null;
  private topology: TopologyServer | null = null;
  private queue: IntEventQueue | null = null;
  private offsetNs = 0n;
  private started = false;
  private traced: TracedInterface[] = [];
  private readonly attached = new Map<number, string>();
  /** last attach failure per interface name: logged once until it changes */
  private readonly lastFailure = new Map<string, string>();
  private readonly counters = { batchesSent: 0, sendErrors: 0, attachFailures: 0 };
  private peerCache = new Map<number, { name: string; addresses: string[]; at: number }>();
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private due = false;
  private draining = false;
  private readonly abort = new AbortController();
  private nodeAddress: string | null = null;

  constructor(private readonly producer: RecordProducer, private readonly capture: CaptureStage, private readonly settings: IntSettings, private readonly log: Logger) {
    capture.onTracedInterfaces((traced) => this.follow(traced));
    capture.setIntStats(() => this.stats());
    capture.expectIntHops();
  }

  /** Checks the kernel, loads the programs, reads the watchlist, listens for topology; nothing attached yet. */
  async prepare(): Promise<void> {
    if (this.probe) return;
    const rules = this.settings.watchlistPath ? this.startWatchlist(this.settings.watchlistPath) : 'all';
    try {
      this.probe = IntProbe.open(this.settings.btfPath ? { btfPath: this.settings.btfPath } : {});
      this.probe.setRateLimit({ intervalNs: BigInt(this.settings.reportIntervalMs) * 1_000_000n, latencyBucketShift: this.settings.latencyBucketShift });
      this.probe.setWatchlist(rules === 'all' ? 'all' : rules.map(toProbeRule));
    } catch (err) {
      this.probe?.close();
      this.probe = null;
      this.watcher?.stop();
      throw intFailure(err);
    }
    if (this.settings.topologyPort > 0) {
      const server = new TopologyServer({ port: this.settings.topologyPort, links: () => this.topologyLinks() }, this.log.child('topology'));
      try {
        await server.start();
      } catch (err) {
        this.probe.close();
        this.probe = null;
        this.watcher?.stop();
        throw err;
      }
      this.topology = server;
    }
  }

  async start(): Promise<void> {
    await this.prepare();
    const probe = this.probe!;
    // after capture's start: its node NICs are attached and listed by then
    this.nodeAddress = this.settings.nodeAddress ?? firstNodeIpv4(this.capture.tracedInterfaces());
    if (this.nodeAddress === null) this.log.warn('no node IPv4 for the INT records (switch id): give --node-address or NODE_IP, or a --node-interface that is up with an IPv4; the exporter then needs --int-switch-id');
    this.queue = new IntEventQueue({ node: this.settings.node, nodeAddress: this.nodeAddress, maxEvents: this.settings.maxQueuedEvents ?? 50_000, maxPerBatch: this.settings.maxPerBatch ?? 500 });
    // capture's own offset (it starts first): hop times then compare exactly with its packets'
    this.offsetNs = this.capture.clockOffset() ?? clockOffsetNs();
    try {
      probe.start((events) => this.onEvents(events), { onError: (err) => this.log.error('INT ring batch failed', { error: errorMessage(err) }) });
    } catch (err) {
      await this.stop();
      throw intFailure(err);
    }
    this.started = true;
    this.loop = this.run();
    this.timer = setInterval(() => {
      this.due = true;
      this.wake?.();
    }, this.settings.flushMs ?? 100);
    this.follow(this.capture.tracedInterfaces());
    this.log.info('INT telemetry on', {
      node: this.settings.node, nodeAddress: this.nodeAddress ?? undefined, watchlist: this.settings.watchlistPath ?? 'all TCP/UDP',
      reportIntervalMs: this.settings.reportIntervalMs, latencyBucketShift: this.settings.latencyBucketShift, interfaces: this.attached.size,
    });
  }

  /** The port the topology API listens on, or null when off. */
  topologyPort(): number | null {
    return this.topology?.port() ?? null;
  }

  /** The node address put on the records (the INT switch id), once started. */
  nodeAddressInUse(): string | null {
    return this.nodeAddress;
  }

  /** Ifindexes the INT programs are attached to now. */
  attachedIfindexes(): number[] {
    return [...this.attached.keys()];
  }

  stats(): IntMetricsSnapshot {
    const kernel = this.probe && !this.probe.closed ? this.probe.counters() : null;
    return {
      kernel: kernel
        ? { hopsEmitted: kernel.hopsEmitted, dropsEmitted: kernel.dropsEmitted, lost: kernel.lost, suppressed: kernel.suppressed, dropsSuppressed: kernel.dropsSuppressed, rateKeysCreated: kernel.rateKeysCreated, wakeupsForced: kernel.wakeupsForced }
        : null,
      ringDroppedRecords: kernel?.ring?.droppedRecords ?? 0,
      decodeErrors: kernel?.decodeErrors ?? 0,
      dropsIgnored: Number(kernel?.dropsNotNetwork ?? 0n),
      queue: this.queue?.stats() ?? { queued: 0, dropped: 0, droppedDrops: 0 },
      batchesSent: this.counters.batchesSent,
      sendErrors: this.counters.sendErrors,
      watchlist: this.watcher?.stats() ?? null,
      interfacesAttached: this.attached.size,
      attachFailures: this.counters.attachFailures,
    };
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.watcher?.stop();
    this.watcher = null;
    if (this.probe && !this.probe.closed) {
      for (const ifindex of [...this.attached.keys()]) this.detachOne(ifindex);
      // the ring reader polls every 100 ms: let it hand over the last events before closing
      if (this.started) await new Promise((resolve) => setTimeout(resolve, 250));
      this.probe.close();
    }
    this.probe = null;
    this.started = false;
    this.draining = true;
    this.due = true;
    this.wake?.();
    if (this.loop) {
      const timer = setTimeout(() => this.abort.abort(), 10_000);
      await this.loop;
      clearTimeout(timer);
      if (this.queue && this.queue.size > 0) this.log.warn('INT events not sent before exit', { events: this.queue.size });
    }
    this.loop = undefined;
    await this.topology?.stop();
    this.topology = null;
  }

  private startWatchlist(path: string): WatchlistRule[] {
    this.watcher = new WatchlistWatcher({
      path,
      onRules: (rules) => {
        try {
          this.probe?.setWatchlist(rules.map(toProbeRule));
        } catch (err) {
          this.log.error('writing the reloaded INT watchlist to the kernel failed; the previous rules may be partly replaced', { error: errorMessage(err) });
        }
      },
    }, this.log.child('watchlist'));
    return this.watcher.start();
  }

  /** Makes the attached set equal to capture's traced interfaces (same ifindex and name). */
  private follow(traced: TracedInterface[]): void {
    this.traced = traced;
    if (!this.started || !this.probe) return;
    const wanted = new Map(traced.map((t) => [t.ifindex, t.name]));
    for (const [ifindex, name] of this.attached) if (wanted.get(ifindex) !== name) this.detachOne(ifindex);
    for (const [ifindex, name] of wanted) {
      if (this.attached.has(ifindex)) continue;
      try {
        this.probe.attach(ifindex);
        this.attached.set(ifindex, name);
        this.lastFailure.delete(name);
        this.log.info('INT attached', { interface: name, ifindex });
      } catch (err) {
        this.counters.attachFailures += 1;
        const error = errorMessage(err);
        if (this.lastFailure.get(name) !== error) {
          this.lastFailure.set(name, error);
          this.log.warn('attaching INT to an interface failed; retried on the next change', { interface: name, ifindex, error });
        }
      }
    }
    for (const name of this.lastFailure.keys()) if (!traced.some((t) => t.name === name)) this.lastFailure.delete(name);
  }

  private detachOne(ifindex: number): void {
    const name = this.attached.get(ifindex);
    this.attached.delete(ifindex);
    this.peerCache.delete(ifindex);
    try {
      this.probe?.detach(ifindex);
      this.log.info('INT detached', { interface: name, ifindex });
    } catch (err) {
      // usually the interface is gone, and its filters with it
      this.log.debug('INT detach failed', { interface: name, ifindex, error: errorMessage(err) });
    }
  }

  private onEvents(raw: IntRawEvent[]): void {
    const queue = this.queue;
    const probe = this.probe;
    if (!queue || !probe) return;
    const events = raw.map((r) => toIntEvent(r, this.offsetNs, (v) => probe.dropReasonName(v)));
    // hops also go on the segment batches of their flows (span attributes clovisor.int.*)
    for (const e of events) if (e.kind === 'HOP') this.capture.noteIntHop(e);
    queue.add(events);
    if (queue.hasDrop()) {
      this.due = true; // drops must be prompt: not held for the flush interval
      this.wake?.();
    }
  }

  private async run(): Promise<void> {
    const codec = codecs().int;
    for (let failures = 0; !this.abort.signal.aborted; ) {
      const queue = this.queue!;
      if (!this.due || queue.size === 0) {
        if (this.draining && queue.size === 0) return;
        if (queue.size === 0) this.due = false;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const batch = queue.take()!;
      if (queue.size === 0) this.due = false;
      try {
        await this.producer.send(Topics.int, [{ key: batch.node, value: codec.encode(batch) }]);
        this.counters.batchesSent += 1;
        failures = 0;
      } catch (err) {
        queue.restore(batch);
        this.due = true;
        this.counters.sendErrors += 1;
        const delay = backoffDelayMs(failures++, 250, 10_000);
        this.log.warn('cannot publish INT reports, retrying', { retryInMs: delay, queued: queue.size, error: errorMessage(err) });
        await sleep(delay, this.abort.signal);
      }
    }
  }

  private async topologyLinks(): Promise<TopologyLink[]> {
    const nics = networkInterfaces();
    const inputs = await Promise.all(this.traced.map(async (t) => {
      if (t.role === 'node') return { ...t, addresses: (nics[t.name] ?? []).map((a) => a.address) };
      if (t.podAddresses.length > 0) return { ...t, addresses: t.podAddresses };
      return { ...t, addresses: await this.peerAddresses(t) };
    }));
    return topologyDocument(inputs).links;
  }

  /** --interface mode knows no pod IPs: read them from the veth's peer, cached for 30 s. */
  private async peerAddresses(t: TracedInterface): Promise<string[]> {
    const cached = this.peerCache.get(t.ifindex);
    if (cached && cached.name === t.name && Date.now() - cached.at < 30_000) return cached.addresses;
    const addresses = await vethPeerAddresses(t.name).catch(() => []);
    this.peerCache.set(t.ifindex, { name: t.name, addresses, at: Date.now() });
    return addresses;
  }
}

function toProbeRule(rule: WatchlistRule): IntRule {
  const cidr = (n: WatchlistRule['source']) => (n ? `${n.address}/${n.prefixLength}` : undefined);
  return {
    protocol: rule.protocol,
    ...(rule.source ? { srcCidr: cidr(rule.source)! } : {}),
    ...(rule.destination ? { dstCidr: cidr(rule.destination)! } : {}),
    ...(rule.sourcePort !== null ? { srcPort: rule.sourcePort } : {}),
    ...(rule.destinationPort !== null ? { dstPort: rule.destinationPort } : {}),
  };
}

/** The switch id default: the first IPv4 of the first node NIC capture traces. */
function firstNodeIpv4(traced: TracedInterface[]): string | null {
  const nics = networkInterfaces();
  for (const t of traced) {
    if (t.role !== 'node') continue;
    const v4 = (nics[t.name] ?? []).find((a) => a.family === 'IPv4');
    if (v4) return v4.address;
  }
  return null;
}

function intFailure(err: unknown): Error {
  if (err instanceof BpfError) {
    if (err.code === 'ENOTSUP') return new ConfigError(`--int: ${err.message}; run without --int on this kernel`, { cause: err });
    if (err.code === 'EPERM' || err.code === 'EACCES') return new ConfigError(`--int: eBPF not permitted: ${err.message} (run as root; in a container: privileged, or CAP_BPF + CAP_NET_ADMIN + CAP_PERFMON)`, { cause: err });
    return new UnavailableError(`BPF_${err.code}`, `--int: eBPF: ${err.message}`, { cause: err, retryable: false });
  }
  return err instanceof Error ? err : new Error(String(err));
}
