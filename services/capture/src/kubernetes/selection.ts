import type { PodMeta, ProtocolName } from '@clovisor/core';
import { protocolOfPort } from './port-protocol.js';

// Pure: pods of this node + services + the `clovisor_labels` selection → what to monitor.
// The object shapes are the subsets of the Kubernetes API types we read (client-node's V1Pod
// and V1Service are assignable to them), so this file has no dependency on the client.

export interface KubeContainerPort { name?: string; containerPort: number; protocol?: string }
export interface KubePod {
  metadata?: { name?: string; namespace?: string; uid?: string; labels?: Record<string, string>; deletionTimestamp?: unknown };
  spec?: { nodeName?: string; hostNetwork?: boolean; containers: Array<{ name: string; ports?: KubeContainerPort[] }> };
  status?: { phase?: string; podIP?: string; podIPs?: Array<{ ip: string }>; containerStatuses?: Array<{ containerID?: string }> };
}
export interface KubeServicePort { name?: string; port: number; targetPort?: number | string; protocol?: string; appProtocol?: string }
export interface KubeService {
  metadata?: { name?: string; namespace?: string };
  spec?: { selector?: Record<string, string>; ports?: KubeServicePort[] };
}

/**
 * One parsed `clovisor_labels` entry (`<namespace>` or `<namespace>:<key>:<value>`), the shape
 * core/redis-config.ts's parseRedisConfig gives as `selectors`.
 */
export interface LabelSelection { namespace: string; label?: { key: string; value: string } | null }

export interface MonitoredPort {
  port: number;
  transport: 'TCP' | 'UDP';
  protocol: ProtocolName;
  /** where the protocol came from: `<service>/<port name or number>`, or `container/<port name>` */
  source: string;
}

export interface MonitoredPod {
  uid: string;
  meta: PodMeta;
  /** primary pod IP, then the others (dual stack) */
  ips: string[];
  /** `containerd://…` ids: with the runtime, they lead to the pod's network namespace */
  containerIds: string[];
  ports: MonitoredPort[];
}

export interface SelectionInput {
  node: string;
  pods: readonly KubePod[];
  services: readonly KubeService[];
  /** parsed `clovisor_labels`; empty ⇒ namespace `default`, as Clovisor did */
  selections: readonly LabelSelection[];
}

export const DEFAULT_SELECTIONS: readonly LabelSelection[] = [{ namespace: 'default', label: null }];

export function isSelected(pod: KubePod, selections: readonly LabelSelection[]): boolean {
  const namespace = pod.metadata?.namespace ?? 'default';
  const labels = pod.metadata?.labels ?? {};
  const effective = selections.length > 0 ? selections : DEFAULT_SELECTIONS;
  return effective.some((s) => s.namespace === namespace && (!s.label || labels[s.label.key] === s.label.value));
}

/** The monitored pods, sorted by namespace/name so equal inputs give equal outputs. */
export function computeMonitoredSet(input: SelectionInput): MonitoredPod[] {
  const services = [...input.services].sort((a, b) => byString(fullName(a), fullName(b)));
  const out: MonitoredPod[] = [];
  for (const pod of input.pods) {
    if (!isCandidate(pod, input.node) || !isSelected(pod, input.selections)) continue;
    const selecting = services.filter((s) => selects(s, pod));
    const labels = pod.metadata?.labels ?? {};
    out.push({
      uid: pod.metadata?.uid ?? '',
      meta: {
        service: selecting[0]?.metadata?.name ?? labels['app.kubernetes.io/name'] ?? labels['app'] ?? null,
        namespace: pod.metadata?.namespace ?? 'default',
        name: pod.metadata?.name ?? null,
        node: input.node,
      },
      ips: podIps(pod),
      containerIds: (pod.status?.containerStatuses ?? []).flatMap((c) => (c.containerID ? [c.containerID] : [])),
      ports: portsOf(pod, selecting),
    });
  }
  return out.sort((a, b) => byString(`${a.meta.namespace}/${a.meta.name}`, `${b.meta.namespace}/${b.meta.name}`));
}

// A pod has its own veth only when it has its own network namespace and an IP; finished and
// terminating pods are dropped so their interfaces are detached early.
function isCandidate(pod: KubePod, node: string): boolean {
  const phase = pod.status?.phase;
  return pod.spec?.nodeName === node && !pod.spec.hostNetwork && podIps(pod).length > 0
    && phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

function podIps(pod: KubePod): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip);
  const primary = pod.status?.podIP;
  if (primary && !ips.includes(primary)) ips.unshift(primary);
  return ips;
}

function selects(service: KubeService, pod: KubePod): boolean {
  const selector = service.spec?.selector;
  // a service without selector has manually managed endpoints: it selects no pod
  if (!selector || Object.keys(selector).length === 0) return false;
  if ((service.metadata?.namespace ?? 'default') !== (pod.metadata?.namespace ?? 'default')) return false;
  const labels = pod.metadata?.labels ?? {};
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

// Service ports first (sorted services: the first one to claim a port number wins), then named
// container ports that no service covers: a pod selected by label need not have a service.
function portsOf(pod: KubePod, services: KubeService[]): MonitoredPort[] {
  const containerPorts = (pod.spec?.containers ?? []).flatMap((c) => c.ports ?? []);
  const byKey = new Map<string, MonitoredPort>();
  const add = (p: MonitoredPort) => {
    const key = `${p.transport}/${p.port}`;
    if (!byKey.has(key)) byKey.set(key, p);
  };
  for (const service of services) {
    for (const sp of service.spec?.ports ?? []) {
      const protocol = protocolOfPort(sp);
      const port = resolveTargetPort(sp, containerPorts);
      if (protocol && port !== null) add({ port, transport: transportOf(sp.protocol), protocol, source: `${service.metadata?.name}/${sp.name ?? sp.port}` });
    }
  }
  for (const cp of containerPorts) {
    const protocol = cp.name ? protocolOfPort({ name: cp.name }) : null;
    if (protocol) add({ port: cp.containerPort, transport: transportOf(cp.protocol), protocol, source: `container/${cp.name}` });
  }
  return [...byKey.values()].sort((a, b) => a.port - b.port || byString(a.transport, b.transport));
}

/** targetPort: a number, a named container port of this pod, or (unset) the service port. */
function resolveTargetPort(sp: KubeServicePort, containerPorts: KubeContainerPort[]): number | null {
  const target = sp.targetPort;
  if (target === undefined || target === null || target === '') return sp.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  // named: this pod must declare it, or the service sends it nothing (no endpoint for this pod)
  return containerPorts.find((cp) => cp.name === target)?.containerPort ?? null;
}

function transportOf(protocol: string | undefined): 'TCP' | 'UDP' {
  return protocol === 'UDP' ? 'UDP' : 'TCP';
}

function fullName(s: KubeService): string {
  return `${s.metadata?.namespace ?? 'default'}/${s.metadata?.name ?? ''}`;
}

// code-unit order, not the locale's: the same input must give the same output on every node
function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
