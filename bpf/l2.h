/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * l2.h — the link layer as both tc objects read it: an Ethernet header, optionally one 802.1Q /
 * 802.1ad tag. Include after linux/if_ether.h, bpf/bpf_endian.h and bpf/bpf_helpers.h.
 */
#ifndef CLOVISOR_L2_H
#define CLOVISOR_L2_H

struct vlan_tag {
	__be16 tci;
	__be16 encap_proto;
};

/*
 * The EtherType after the Ethernet header and at most one VLAN tag, in host order, and in *off
 * the offset of the L3 header; -1 when the frame is too short.
 */
static __always_inline int l3_ethertype(struct __sk_buff *skb, __u32 *off)
{
	struct ethhdr eth;
	__u16 proto;

	*off = ETH_HLEN;
	if (bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth)) < 0)
		return -1;
	proto = bpf_ntohs(eth.h_proto);
	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD) {
		struct vlan_tag tag;

		if (bpf_skb_load_bytes(skb, *off, &tag, sizeof(tag)) < 0)
			return -1;
		proto = bpf_ntohs(tag.encap_proto);
		*off += sizeof(tag);
	}
	return proto;
}

#endif
