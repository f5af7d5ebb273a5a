// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * dnat.bpf.c — test fixture, not part of Clovisor: a stateless destination NAT of IPv4 UDP at
 * tc, standing in for a Service's DNAT (kube-proxy, Cilium) between INT's ingress and egress
 * programs (packages/libbpf/src/int.test.ts; this machine has neither iptables nor act_nat).
 * `dnat_rule[0]` = { from, to } (network order): packets to `from` leave addressed to `to`, with
 * the IP and UDP checksums fixed. Returns TC_ACT_UNSPEC so the filters behind it still run.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct dnat {
	__be32 from;
	__be32 to;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dnat);
} dnat_rule SEC(".maps");

SEC("tc")
int dnat_egress(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct dnat *r = bpf_map_lookup_elem(&dnat_rule, &zero);
	struct ethhdr eth;
	struct iphdr ip;

	if (!r || r->from == 0)
		return TC_ACT_UNSPEC;
	if (bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth)) < 0 || eth.h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_UNSPEC;
	if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)) < 0 || ip.protocol != IPPROTO_UDP || ip.daddr != r->from)
		return TC_ACT_UNSPEC;
	__u32 l4 = ETH_HLEN + ip.ihl * 4;
	__be32 to = r->to;

	bpf_l4_csum_replace(skb, l4 + __builtin_offsetof(struct udphdr, check), ip.daddr, to, BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0 | 4);
	bpf_l3_csum_replace(skb, ETH_HLEN + __builtin_offsetof(struct iphdr, check), ip.daddr, to, 4);
	bpf_skb_store_bytes(skb, ETH_HLEN + __builtin_offsetof(struct iphdr, daddr), &to, 4, 0);
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "GPL";
