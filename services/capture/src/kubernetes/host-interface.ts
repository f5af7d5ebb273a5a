import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

// Finds the host-side interface of a pod from its IP (see docs/kubernetes.md):
// - routed CNIs (Calico, Cilium in routing mode, kindnet's ptp): the host has a route to the
//   pod IP through the pod's veth, so `ip route get <podIP>` names it;
// - bridge CNIs (the `bridge` plugin, flannel's cni0, docker0): the route names the bridge;
//   then each veth port of the bridge is followed to its peer (link_netnsid + link_index) and
//   the port whose peer holds the pod IP, in a named netns (/var/run/netns, where containerd's
//   and CRI-O's CNI netns live), is the one.
// Reading the peer's addresses from the netns rather than trusting ARP/FDB state means it works
// before the pod has sent a packet.

export interface HostInterface {
  name: string;
  ifindex: number;
  /** how it was found; 'bridge' also names the bridge */
  via: 'route' | 'bridge';
  bridge?: string;
}

/** Runs `ip <args>` and returns stdout; injectable so the resolution logic stays testable. */
export type IpRunner = (args: string[]) => Promise<string>;

const execFileAsync = promisify(execFile);
export const runIp: IpRunner = async (args) => (await execFileAsync('ip', args, { timeout: 5000, maxBuffer: 16 * 1024 * 1024 })).stdout;

interface IpLink { ifindex: number; ifname: string; link_index?: number; link_netnsid?: number; linkinfo?: { info_kind?: string } }
interface IpAddrLink { ifindex: number; addr_info?: Array<{ local?: string }> }

export async function resolveHostInterface(podIp: string, ip: IpRunner = runIp): Promise<HostInterface | null> {
  const routes = json<Array<{ dev?: string; type?: string }>>(await ip(['-j', 'route', 'get', podIp]));
  const dev = routes[0]?.dev;
  // a local address or an unreachable pod: not a pod behind a veth of this host
  if (!dev || routes[0]?.type === 'local') return null;
  const [link] = json<IpLink[]>(await ip(['-j', '-d', 'link', 'show', 'dev', dev]));
  if (!link) return null;
  const kind = link.linkinfo?.info_kind;
  if (kind === 'veth') return { name: link.ifname, ifindex: link.ifindex, via: 'route' };
  if (kind !== 'bridge') return null;
  return viaBridge(podIp, link.ifname, ip);
}

async function viaBridge(podIp: string, bridge: string, ip: IpRunner): Promise<HostInterface | null> {
  const ports = json<IpLink[]>(await ip(['-j', '-d', 'link', 'show', 'master', bridge]))
    .filter((p) => p.linkinfo?.info_kind === 'veth' && p.link_netnsid !== undefined && p.link_index !== undefined);
  if (ports.length === 0) return null;
  const names = new Map(json<Array<{ nsid: number; name?: string }>>(await ip(['-j', 'netns', 'list-id'])).map((n) => [n.nsid, n.name]));
  const addrsByNs = new Map<string, IpAddrLink[]>();
  for (const port of ports) {
    const ns = names.get(port.link_netnsid!);
    if (!ns) continue; // a netns without a name in /var/run/netns (see docs/kubernetes.md)
    let links = addrsByNs.get(ns);
    if (!links) {
      links = json<IpAddrLink[]>(await ip(['-j', '-n', ns, 'addr', 'show']));
      addrsByNs.set(ns, links);
    }
    const peer = links.find((l) => l.ifindex === port.link_index);
    if (peer?.addr_info?.some((a) => a.local === podIp)) return { name: port.ifname, ifindex: port.ifindex, via: 'bridge', bridge };
  }
  return null;
}

function json<T>(text: string): T {
  // `ip -j` prints nothing at all for an empty list on some iproute2 versions
  return (text.trim() === '' ? [] : JSON.parse(text)) as T;
}

/**
 * The IPv4/IPv6 addresses of the other end of a veth (the pod side), read from its network
 * namespace when that has a name in /var/run/netns (containerd's and CRI-O's CNI netns, the
 * lab's pods); [] when it cannot be found. For the INT topology API in --interface mode, where
 * no pod IPs are known from Kubernetes.
 */
export async function vethPeerAddresses(name: string, ip: IpRunner = runIp): Promise<string[]> {
  const [link] = json<IpLink[]>(await ip(['-j', '-d', 'link', 'show', 'dev', name]));
  if (!link || link.link_index === undefined) return [];
  let links: IpAddrLink[];
  if (link.link_netnsid === undefined) {
    links = json<IpAddrLink[]>(await ip(['-j', 'addr', 'show']));
  } else {
    const ns = json<Array<{ nsid: number; name?: string }>>(await ip(['-j', 'netns', 'list-id'])).find((n) => n.nsid === link.link_netnsid)?.name;
    if (!ns) return [];
    links = json<IpAddrLink[]>(await ip(['-j', '-n', ns, 'addr', 'show']));
  }
  const peer = links.find((l) => l.ifindex === link.link_index);
  return (peer?.addr_info ?? []).map((a) => a.local).filter((a): a is string => typeof a === 'string');
}
