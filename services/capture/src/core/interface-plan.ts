import type { PodMeta, PortRule } from '@clovisor/core';
import type { EgressRule } from './redis-config.js';

// Pure: what the capture stage should have attached, per interface. The Kubernetes shell builds
// it from the monitored pods, their host-side interfaces and the egress rules from Redis; the
// static --interface mode builds it from flags. CaptureStage.applyInterfaces() diffs it against
// what is attached.

/** Outbound destination of an interface's pod whose traffic is copied (an `egress_rules` entry). */
export interface EgressTarget {
  family: 4 | 6;
  address: string;
  prefixLength: number;
  port: number;
}

export interface DesiredInterface {
  name: string;
  ifindex: number;
  pod: PodMeta | null;
  /** served ports (one protocol per port number; the kernel map has no transport) */
  ports: PortRule[];
  egress: EgressTarget[];
  /** the pod's IPs when known (Kubernetes), for the INT topology API; absent in --interface mode */
  addresses?: string[];
}

/** What the plan needs of a monitored pod (MonitoredPod of kubernetes/selection.ts fits). */
export interface PlannedPod {
  uid: string;
  meta: PodMeta;
  ports: ReadonlyArray<{ port: number; protocol: PortRule['protocol'] }>;
  /** pod IPs (MonitoredPod has them); only carried into DesiredInterface.addresses */
  ips?: readonly string[];
}

/** Egress rules of one pod: those without prefix, and those whose prefix starts its name. */
export function egressTargetsFor(podName: string | null, rules: readonly EgressRule[]): EgressTarget[] {
  const out = new Map<string, EgressTarget>();
  for (const rule of rules) {
    if (rule.podPrefix !== null && !(podName ?? '').startsWith(rule.podPrefix)) continue;
    // Clovisor's "0" = any address, of either family
    const targets: EgressTarget[] = rule.network
      ? [{ family: rule.network.family, address: rule.network.address, prefixLength: rule.network.prefixLength, port: rule.port }]
      : [{ family: 4, address: '0.0.0.0', prefixLength: 0, port: rule.port }, { family: 6, address: '::', prefixLength: 0, port: rule.port }];
    for (const t of targets) out.set(`${t.family}/${t.address}/${t.prefixLength}/${t.port}`, t);
  }
  return [...out.values()];
}

/**
 * One DesiredInterface per pod whose host interface is known (keyed by pod uid). Two pods on one
 * interface (should not happen with veth CNIs) merge: the first pod's metadata, all ports.
 */
export function planInterfaces(
  pods: readonly PlannedPod[],
  hostInterfaces: ReadonlyMap<string, { name: string; ifindex: number }>,
  egress: readonly EgressRule[],
): DesiredInterface[] {
  const byIfindex = new Map<number, DesiredInterface>();
  for (const pod of pods) {
    const host = hostInterfaces.get(pod.uid);
    if (!host) continue;
    let d = byIfindex.get(host.ifindex);
    if (!d) {
      d = { name: host.name, ifindex: host.ifindex, pod: pod.meta, ports: [], egress: [] };
      byIfindex.set(host.ifindex, d);
    }
    for (const ip of pod.ips ?? []) if (!(d.addresses ??= []).includes(ip)) d.addresses.push(ip);
    for (const p of pod.ports) {
      if (!d.ports.some((q) => q.port === p.port)) d.ports.push({ port: p.port, protocol: p.protocol });
    }
    for (const t of egressTargetsFor(pod.meta.name, egress)) {
      if (!d.egress.some((e) => sameTarget(e, t))) d.egress.push(t);
    }
  }
  return [...byIfindex.values()].sort((a, b) => a.ifindex - b.ifindex);
}

export function sameTarget(a: EgressTarget, b: EgressTarget): boolean {
  return a.family === b.family && a.address === b.address && a.prefixLength === b.prefixLength && a.port === b.port;
}
