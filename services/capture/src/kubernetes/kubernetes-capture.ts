import { KubeConfig } from '@kubernetes/client-node';
import { errorMessage, type Component, type Logger } from '@clovisor/core';
import { ifindexOf } from '@clovisor/libbpf';
import { planInterfaces } from '../core/interface-plan.js';
import type { CaptureRedisConfig, EgressRule, OtlpSuggestion } from '../core/redis-config.js';
import type { CaptureStage } from '../io/capture-stage.js';
import { RedisConfigWatcher } from '../io/redis-config-watcher.js';
import { resolveHostInterface, type HostInterface } from './host-interface.js';
import { PodWatcher, loadKubeConfig } from './pod-watcher.js';
import type { MonitoredPod } from './selection.js';

// `clovisor capture --kubernetes`: the control plane around CaptureStage. The Redis configuration
// (clovisor_labels, egress rules) and the pods of this node (PodWatcher) give the monitored
// pods; each pod's host-side interface is found from its IP (resolveHostInterface, retried
// until found); the plan (core/interface-plan.ts) goes to CaptureStage.applyInterfaces(), which
// attaches, detaches and rewrites the kernel maps. Everything is re-planned on any change.

const MAX_CONCURRENT_LOOKUPS = 8;

export interface KubernetesCaptureOptions {
  node: string;
  redisUrl: string;
  /** a kubeconfig file; absent = KUBECONFIG, ~/.kube/config or in-cluster */
  kubeconfig?: string | null;
  /** host-interface lookup; default `ip -j` (host-interface.ts) */
  resolve?: (podIp: string) => Promise<HostInterface | null>;
  /** retry period for pods whose interface was not found yet; default 1000 ms */
  retryMs?: number;
}

interface Resolved {
  /** pod IP the interface was found for: a new IP (sandbox recreated) means look again */
  ip: string;
  host: HostInterface;
}

export class KubernetesCapture implements Component {
  readonly name = 'capture';
  private readonly redis: RedisConfigWatcher;
  private readonly pods: PodWatcher;
  private monitored: MonitoredPod[] = [];
  private egress: EgressRule[] = [];
  private readonly resolved = new Map<string, Resolved>();
  private readonly resolving = new Set<string>();
  /** pods whose lookup failed, with the failure already logged (logged once until found) */
  private readonly unresolved = new Map<string, string>();
  private retryTimer: NodeJS.Timeout | undefined;
  private running = false;
  private configSeen = false;
  private startOtlp: OtlpSuggestion | null = null;
  /** the collector endpoint Redis named last (null: none) */
  private lastOtlpEndpoint: string | null = null;
  private otlpListener: ((suggestion: OtlpSuggestion | null) => void) | null = null;
  private readonly resolve: (podIp: string) => Promise<HostInterface | null>;

  constructor(private readonly stage: CaptureStage, private readonly o: KubernetesCaptureOptions, private readonly log: Logger) {
    this.resolve = o.resolve ?? ((ip) => resolveHostInterface(ip));
    this.redis = new RedisConfigWatcher({ url: o.redisUrl, onConfig: (config) => this.onConfig(config) }, log.child('redis-config'));
    this.pods = new PodWatcher({ node: o.node, log: log.child('kubernetes'), kubeConfig: kubeConfigFrom(o.kubeconfig ?? null), onChange: (pods) => this.onPods(pods) });
  }

  /** Local checks (root, BPF object, stale filters) and the first Redis read (at most ~1 s). */
  async prepare(): Promise<void> {
    await this.stage.prepare();
    await this.redis.start();
    this.startOtlp = this.redis.current().otlp;
    this.lastOtlpEndpoint = this.startOtlp?.endpoint ?? null;
  }

  /** Called when clovisor_jaeger_collector/agent changes while running (`clovisor run`'s exporter follows it). */
  onOtlpSuggestion(listener: (suggestion: OtlpSuggestion | null) => void): void {
    this.otlpListener = listener;
  }

  /** The export endpoint suggested by clovisor_jaeger_collector/agent when the agent started. */
  otlpSuggestion(): OtlpSuggestion | null {
    return this.startOtlp;
  }

  /** The stage it drives (INT telemetry follows its interfaces). */
  captureStage(): CaptureStage {
    return this.stage;
  }

  async start(): Promise<void> {
    await this.prepare();
    await this.stage.start();
    this.running = true;
    this.pods.setSelections(this.redis.current().selectors);
    await this.pods.start();
    this.retryTimer = setInterval(() => this.resolveMissing(), this.o.retryMs ?? 1000);
    this.log.info('following the pods of this node', { node: this.o.node, selectors: this.redis.current().selectors.map(selectorText).join(' ') });
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = undefined;
    await this.pods.stop();
    await this.redis.stop();
    await this.stage.stop();
  }

  private onConfig(config: CaptureRedisConfig): void {
    this.egress = config.egress;
    // the first delivery is the defaults/first read at start, not a reload
    const reload = this.configSeen;
    if (reload) this.stage.noteConfigReload();
    this.configSeen = true;
    const otlpEndpoint = config.otlp?.endpoint ?? null;
    if (reload && otlpEndpoint !== this.lastOtlpEndpoint) {
      this.lastOtlpEndpoint = otlpEndpoint;
      if (this.otlpListener) this.otlpListener(config.otlp ?? null);
      else this.log.info('the Jaeger collector in Redis changed (this process exports no spans)', { now: otlpEndpoint });
    }
    if (!this.running) return;
    this.pods.setSelections(config.selectors);
    this.replan();
  }

  private onPods(pods: MonitoredPod[]): void {
    this.monitored = pods;
    const uids = new Set(pods.map((p) => p.uid));
    for (const uid of [...this.resolved.keys()]) if (!uids.has(uid)) this.resolved.delete(uid);
    for (const uid of [...this.unresolved.keys()]) if (!uids.has(uid)) this.unresolved.delete(uid);
    this.replan();
    this.resolveMissing();
  }

  private resolveMissing(): void {
    if (!this.running) return;
    this.dropVanished();
    for (const pod of this.monitored) {
      const ip = pod.ips[0];
      if (!ip || this.resolving.has(pod.uid) || this.resolved.get(pod.uid)?.ip === ip) continue;
      // each lookup runs `ip` a few times: a node full of new pods is looked up a batch at a time
      if (this.resolving.size >= MAX_CONCURRENT_LOOKUPS) break;
      this.resolving.add(pod.uid);
      this.resolve(ip).then((host) => {
        if (!host) throw new Error(`no veth on this host routes to ${ip} (see docs/kubernetes.md, "Finding the host-side interface")`);
        const stillMonitored = this.monitored.some((p) => p.uid === pod.uid && p.ips[0] === ip);
        if (!stillMonitored) return;
        this.resolved.set(pod.uid, { ip, host });
        if (this.unresolved.delete(pod.uid)) this.log.info('host-side interface found after retrying', { pod: podName(pod), interface: host.name });
        this.replan();
      }).catch((err: unknown) => {
        const message = errorMessage(err);
        if (this.unresolved.get(pod.uid) !== message) {
          this.unresolved.set(pod.uid, message);
          this.log.warn(`host-side interface of a pod not found; retrying every ${this.o.retryMs ?? 1000} ms`, { pod: podName(pod), ip, error: message });
        }
      }).finally(() => {
        this.resolving.delete(pod.uid);
        // the next batch at once, not at the next retry tick
        if (!this.unresolved.has(pod.uid)) this.resolveMissing();
      });
    }
  }

  /**
   * A pod's veth can be replaced under the same pod and IP (sandbox recreated): an interface
   * found earlier that is gone, or whose name now has another ifindex, is looked up again.
   */
  private dropVanished(): void {
    let dropped = false;
    for (const [uid, r] of this.resolved) {
      if (currentIfindex(r.host.name) === r.host.ifindex) continue;
      this.resolved.delete(uid);
      dropped = true;
      this.log.info('host-side interface of a pod went away; looking it up again', { interface: r.host.name, ip: r.ip });
    }
    if (dropped) this.replan();
  }

  private replan(): void {
    if (!this.running) return;
    const hosts = new Map([...this.resolved].map(([uid, r]) => [uid, r.host]));
    try {
      const { failed } = this.stage.applyInterfaces(planInterfaces(this.monitored, hosts, this.egress));
      // e.g. the veth was recreated under a new ifindex: look the pod's interface up again
      const failedNames = new Set(failed.map((f) => f.name));
      for (const [uid, r] of this.resolved) if (failedNames.has(r.host.name)) this.resolved.delete(uid);
    } catch (err) {
      this.log.error('applying the monitored set failed', { error: errorMessage(err) });
    }
  }
}

function currentIfindex(name: string): number | null {
  try {
    return ifindexOf(name);
  } catch {
    return null;
  }
}

function kubeConfigFrom(path: string | null): KubeConfig {
  if (!path) return loadKubeConfig();
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

function podName(pod: MonitoredPod): string {
  return `${pod.meta.namespace}/${pod.meta.name}`;
}

function selectorText(s: { namespace: string; label: { key: string; value: string } | null }): string {
  return s.label ? `${s.namespace}:${s.label.key}=${s.label.value}` : s.namespace;
}
