// The resource of a span is the pod whose interface we captured on (the server pod for SERVER
// spans, the client pod for CLIENT spans).
//
// service.name: the pod's Kubernetes service. Without one we follow the semconv fallback shape
// "unknown_service:<x>", with x the pod name (the most specific handle an SRE can search for),
// else the interface name (a node interface or a pod not yet known to the informer).

import type { Transaction } from '@clovisor/core';

export function resourceFor(tx: Pick<Transaction, 'pod' | 'node' | 'interfaceName'>): Record<string, string> {
  const pod = tx.pod;
  const resource: Record<string, string> = {
    'service.name': pod?.service || `unknown_service:${pod?.name || tx.interfaceName}`,
  };
  if (pod?.namespace) resource['k8s.namespace.name'] = pod.namespace;
  if (pod?.name) resource['k8s.pod.name'] = pod.name;
  const node = pod?.node || tx.node;
  if (node) resource['k8s.node.name'] = node;
  if (tx.node) resource['host.name'] = tx.node;
  return resource;
}
