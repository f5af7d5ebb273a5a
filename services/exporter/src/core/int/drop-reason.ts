// Kernel drop reason (enum skb_drop_reason, by name: the numbers differ between kernels) →
// INT drop reason code, as int-host-reporter and fabric-tna number them (0-89 from
// p4lang/switch's drop_reason_codes, 180-184 int-host-reporter's Calico-specific codes).
// docs/int.md "Drop reasons" is this table rendered by renderDropReasonTable(); a test keeps
// the two equal.
import { ipHeaderAt } from './frame.js';

export const IntDropReason = {
  UNKNOWN: 0,
  IP_VERSION_INVALID: 25,
  IP_TTL_ZERO: 26,
  ROUTING_MISS: 29,
  IP_IHL_INVALID: 30,
  IP_CHECKSUM: 31,
  PORT_VLAN_MAPPING_MISS: 55,
  TRAFFIC_MANAGER: 71,
  ACL_DENY: 80,
  BRIDGING_MISS: 89,
  ENCAP_FAIL: 180,
  DECAP_FAIL: 181,
  CHECKSUM_FAIL: 182,
  IP_OPTIONS: 183,
  UNAUTHORIZED_SOURCE: 184,
} as const;
export type IntDropReasonCode = (typeof IntDropReason)[keyof typeof IntDropReason];

interface MappingRow {
  code: IntDropReasonCode;
  kernel: readonly string[];
  why: string;
}

/** IP_INHDR is refined from the packet (refineIpHeaderDrop), so it is in no row. */
// A full socket queue or protocol memory is a queue that was full (71), as a qdisc's is.
export const DROP_REASON_TABLE: readonly MappingRow[] = [
  { code: IntDropReason.ROUTING_MISS, kernel: ['IP_INNOROUTES', 'IP_OUTNOROUTES', 'IP_INADDRERRORS', 'IP_INVALID_DEST'], why: 'no route, or no valid destination to route to' },
  { code: IntDropReason.IP_CHECKSUM, kernel: ['IP_CSUM'], why: 'IPv4 header checksum' },
  { code: IntDropReason.TRAFFIC_MANAGER, kernel: ['QDISC_DROP', 'QDISC_OVERLIMIT', 'QDISC_CONGESTED', 'CAKE_FLOOD', 'FQ_BAND_LIMIT', 'FQ_HORIZON_LIMIT', 'FQ_FLOW_LIMIT', 'DUALPI2_STEP_DROP', 'CPU_BACKLOG', 'FULL_RING', 'NEIGH_QUEUEFULL', 'QUEUE_PURGE', 'SOCKET_RCVBUFF', 'SOCKET_BACKLOG', 'PROTO_MEM'], why: 'a queue (qdisc, CPU backlog, device ring, neighbour queue, a socket\'s receive buffer or backlog, the protocol\'s memory) was full or purged' },
  { code: IntDropReason.ACL_DENY, kernel: ['NETFILTER_DROP', 'TC_INGRESS', 'TC_EGRESS', 'BPF_CGROUP_EGRESS', 'XDP', 'SECURITY_HOOK', 'SOCKET_FILTER', 'XFRM_POLICY', 'TAP_FILTER', 'TAP_TXFILTER'], why: 'a filter or policy decided to drop (nftables/iptables, tc, BPF, LSM, IPsec policy)' },
  { code: IntDropReason.BRIDGING_MISS, kernel: ['OTHERHOST', 'NEIGH_FAILED', 'NEIGH_CREATEFAIL', 'NEIGH_DEAD', 'NEIGH_HH_FILLFAIL'], why: 'no L2 destination: the frame was for another host, or the next hop\'s address could not be resolved' },
  { code: IntDropReason.ENCAP_FAIL, kernel: ['TUNNEL_TXINFO'], why: 'no tunnel metadata to encapsulate with' },
  { code: IntDropReason.DECAP_FAIL, kernel: ['VXLAN_INVALID_HDR', 'VXLAN_VNI_NOT_FOUND', 'IP_TUNNEL_ECN'], why: 'a tunnel packet could not be decapsulated' },
  { code: IntDropReason.CHECKSUM_FAIL, kernel: ['TCP_CSUM', 'UDP_CSUM', 'ICMP_CSUM', 'SKB_CSUM'], why: 'transport (L4) checksum' },
  { code: IntDropReason.IP_OPTIONS, kernel: ['IPV6_BAD_EXTHDR'], why: 'bad IPv6 extension header (the IPv6 counterpart of IP options)' },
  { code: IntDropReason.UNAUTHORIZED_SOURCE, kernel: ['IP_RPFILTER', 'IP_INVALID_SOURCE', 'IP_LOCAL_SOURCE', 'MAC_INVALID_SOURCE', 'IP_LOCALNET'], why: 'source address refused (reverse-path filter, martian or local source, a 127/8 address off loopback)' },
];

const BY_NAME = new Map<string, IntDropReasonCode>(DROP_REASON_TABLE.flatMap((row) => row.kernel.map((name) => [name, row.code] as const)));

/** ethertypes of an Ethernet frame, after at most two VLAN tags */
/**
 * IP_INHDR ("IP header error") when the copied packet's TTL / hop limit is ≤ 1 (the kernel drops
 * expiring packets as IP_INHDR when forwarding) → 26, else 0. A wrong IP version or an IPv4 IHL
 * < 5 (codes 25, 30) cannot occur here: int.bpf.c never tracks such packets.
 */
export function refineIpHeaderDrop(frame: Buffer): IntDropReasonCode {
  const ip = ipHeaderAt(frame);
  const ttlAt = ip === null ? -1 : ip.version === 4 ? ip.at + 8 : ip.at + 7;
  if (ttlAt < 0 || frame.length <= ttlAt) return IntDropReason.UNKNOWN;
  return frame[ttlAt]! <= 1 ? IntDropReason.IP_TTL_ZERO : IntDropReason.UNKNOWN;
}

/** The INT code of a kernel drop reason name (without SKB_DROP_REASON_); unknown or null ⇒ 0. */
export function intDropReason(kernelName: string | null, frame: Buffer): IntDropReasonCode {
  if (kernelName === null) return IntDropReason.UNKNOWN;
  if (kernelName === 'IP_INHDR') return refineIpHeaderDrop(frame);
  return BY_NAME.get(kernelName) ?? IntDropReason.UNKNOWN;
}

const CODE_NAMES: Record<IntDropReasonCode, string> = {
  0: 'unknown', 25: 'IP version invalid', 26: 'IP TTL zero', 29: 'routing miss', 30: 'IP IHL invalid', 31: 'IP checksum',
  55: 'port/VLAN mapping miss', 71: 'traffic manager', 80: 'ACL deny', 89: 'bridging miss', 180: 'encap fail', 181: 'decap fail',
  182: 'checksum fail', 183: 'IP options', 184: 'unauthorized source',
};

/** The Markdown table of docs/int.md "Drop reasons". */
export function renderDropReasonTable(): string {
  const lines = ['| INT code | meaning | kernel drop reasons (SKB_DROP_REASON_…) | why |', '|---|---|---|---|'];
  lines.push(`| 26 or 0 | ${CODE_NAMES[26]} | IP_INHDR | refined from the copied packet: TTL / hop limit ≤ 1 → 26; else 0 |`);
  for (const row of DROP_REASON_TABLE) {
    lines.push(`| ${row.code} | ${CODE_NAMES[row.code]} | ${row.kernel.join(', ')} | ${row.why} |`);
  }
  lines.push(`| ${IntDropReason.PORT_VLAN_MAPPING_MISS} | ${CODE_NAMES[55]} | (none: a switch VLAN concept the host kernel does not report) | |`);
  lines.push(`| ${IntDropReason.IP_VERSION_INVALID}, ${IntDropReason.IP_IHL_INVALID} | ${CODE_NAMES[25]}, ${CODE_NAMES[30]} | (none: int.bpf.c tracks only packets with a valid IPv4/IPv6 header, so an IP_INHDR drop is never one of these) | |`);
  lines.push(`| 0 | ${CODE_NAMES[0]} | NOT_SPECIFIED and every other name, e.g. NO_SOCKET; TCP_OFOMERGE, TCP_OLD_DATA (duplicates discarded, no data lost) | the kernel said nothing more precise, or no code fits |`);
  return lines.join('\n');
}

/** What an INT drop reason code means ("routing miss"), or null for a code not in the table. */
export function intDropReasonMeaning(code: number): string | null {
  return CODE_NAMES[code as IntDropReasonCode] ?? null;
}
