import { isIPv4 } from 'node:net';

// Pure: int-host-reporter's topology document (GET /api/v1/topology), which INT collectors read
// to map the ingress/egress port ids of the reports (ifindexes) to the node's links:
//   {"links":[{"id":<ifindex>,"name":"eth0","ip-addresses":["10.0.0.5"],"is-node-iface":true}]}
// Like int-host-reporter, only IPv4 addresses are listed: its collectors key links by them.

export interface TopologyLink {
  id: number;
  name: string;
  'ip-addresses': string[];
  'is-node-iface': boolean;
}

export interface TopologyInput {
  name: string;
  ifindex: number;
  role: 'pod' | 'node';
  /** node NIC: its own addresses; pod veth: the pod's */
  addresses: readonly string[];
}

/** Node interfaces first, then pod interfaces, each by ifindex. */
export function topologyDocument(interfaces: readonly TopologyInput[]): { links: TopologyLink[] } {
  const links = [...interfaces]
    .sort((a, b) => (a.role === b.role ? a.ifindex - b.ifindex : a.role === 'node' ? -1 : 1))
    .map((i) => ({ id: i.ifindex, name: i.name, 'ip-addresses': [...new Set(i.addresses.filter((a) => isIPv4(a)))], 'is-node-iface': i.role === 'node' }));
  return { links };
}
