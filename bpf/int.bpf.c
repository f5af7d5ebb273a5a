// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * int.bpf.c — In-band Network Telemetry on the host (int-host-reporter's job, done per packet):
 * hops across the node and drops with the kernel's reason.
 *
 * `int_ingress` / `int_egress` are tc (clsact) programs attached to every monitored interface
 * (pod host-side veths and node NICs). They observe only (return TC_ACT_UNSPEC, as capture.bpf.c
 * does, so filters behind ours still run). A packet is followed by the address of its kernel
 * `struct sk_buff` (bpf_cast_to_kern_ctx): forwarding across the host keeps the same skb.
 *   - ingress: a TCP/UDP packet matching the watchlist is entered in `int_inflight` (LRU) with its
 *     ingress ifindex, time and fingerprint.
 *   - egress: the skb's entry, if its fingerprint matches and it is fresh (younger than
 *     max_age_ns) and its ingress ifindex differs from this one, is a hop: rate-limited per
 *     (flow, ingress, egress) in `int_rate`, reported into `int_events`. The entry is kept, with
 *     the egress ifindex and time, so a later drop (qdisc, or inside the receiving pod) knows both
 *     ports. A matching packet without an entry (originated on this host) is entered with
 *     ingress 0 so a later drop is known; it is not a hop.
 *   - `int_kfree_skb` (tp_btf/kfree_skb, needs kernel BTF) reports a drop of a tracked skb with
 *     the kernel's `enum skb_drop_reason` value, after checking the fingerprint against the skb's
 *     own headers, rate-limited per (flow, ingress, egress, reason) like hops (the first at once);
 *     the entry is then deleted. SKB_CONSUMED and NOT_DROPPED_YET are not drops (their values
 *     resolved by CO-RE). A reported drop forces a ring wake-up, at most one per CPU per ms.
 * The tracepoint is what needs BTF (and the kfunc, which libbpf resolves against vmlinux BTF), so
 * this is an object of its own: capture.bpf.c keeps working without BTF.
 *
 * Fingerprint (guards against a freed skb's address being reused by another packet): family,
 * protocol, IPv4 id + tot_len / IPv6 payload length + flow label, TCP seq / UDP length, the
 * addresses and ports, and the skb's data buffer (skb->head). TTL is left out (forwarding changes
 * it). Addresses and ports match when the source side (address+port) OR the destination side is
 * unchanged, so one NAT between ingress and egress (a Service's DNAT, or its reverse) still makes
 * a hop. skb->head must match only once the entry has passed an egress: before that, forwarding
 * may replace the buffer (ip_forward's skb_cow of a cloned skb: TCP data segments, or any packet
 * a packet socket saw), and it is updated at egress. Unconnected UDP with DF sends IPv4 id 0
 * (IPv6: a constant flow label), so equal-sized datagrams of a flow differ only by the buffer.
 *
 * Watchlist: `int_config.mode` 0 = off (nothing tracked), 1 = rules, 2 = every TCP/UDP packet.
 * In mode 1 a packet is tracked when it matches one of the first `rule_count` entries of
 * `int_rules` (≤ 64; struct int_rule below: family 0 = any, protocol 0 = TCP or UDP, address
 * under mask equals net, port 0 = any).
 *
 * Rate limit (`int_rate`, LRU, per flow × ingress × egress, and drop reason for drops): the first
 * hop is reported (trigger FIRST); then one whenever interval_ns has passed since the last
 * periodic report (INTERVAL; interval_ns 0 = every packet), and one whenever latency >>
 * latency_shift differs from the previous report's bucket (LATENCY_BUCKET; shift ≥ 64 turns it
 * off), at most LATENCY_REPORTS_PER_INTERVAL of those between two periodic reports. Drops: the
 * first at once, then one per interval. Others are counted. An evicted key comes back as FIRST.
 *
 * Event ABI (host byte order = little-endian on x86/arm64; mirrored by
 * packages/libbpf/src/int-abi.ts — change both together). Every record is 216 bytes:
 *
 *   off size field
 *     0    8 ingress_ns      bpf_ktime_get_ns() (CLOCK_MONOTONIC) at ingress; 0 = not seen
 *     8    8 egress_ns       at egress; 0 = not (yet) left
 *    16    8 drop_ns         at the drop; 0 for a hop
 *    24    4 ingress_ifindex 0 = originated on this host
 *    28    4 egress_ifindex  0 = dropped before egress
 *    32    4 drop_reason     the kernel's enum skb_drop_reason value; 0 for a hop
 *    36    4 length          full length from the first copied byte (hop: the frame, skb->len)
 *    40    1 kind            1 hop, 2 drop
 *    41    1 trigger         1 FIRST, 2 INTERVAL, 3 LATENCY_BUCKET, 4 DROP
 *    42    1 flags           bit 0: the bytes start at the link-layer (Ethernet) header; when 0
 *                            they start at the IP header (no L2 header was set)
 *    43    1 family          4 | 6
 *    44    1 protocol        6 TCP | 17 UDP
 *    45    1 cap_len         bytes copied (≤ 128)
 *    46    2 pad
 *    48   16 saddr           network order, IPv4 in the first 4 bytes; at egress (or the drop)
 *    64   16 daddr
 *    80    2 sport           host order
 *    82    2 dport
 *    84    4 pad
 *    88  128 packet          first cap_len bytes: hop = the frame as it leaves (tc egress);
 *                            drop = from skb->head + mac_header (flag bit 0) or network_header
 *
 * Map layouts (struct int_rule, struct int_config) are below; int-abi.ts encodes them.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "l2.h"
#include <bpf/bpf_tracing.h>

#define SNAP_LEN 128
#define EVENT_LEN (88 + SNAP_LEN)
#define RULES_MAX 64

#define KIND_HOP 1
#define KIND_DROP 2

#define TRIGGER_FIRST 1
#define TRIGGER_INTERVAL 2
#define TRIGGER_LATENCY_BUCKET 3
#define TRIGGER_DROP 4

#define FLAG_HAS_L2 1

#define MODE_OFF 0
#define MODE_RULES 1
#define MODE_ALL 2

#define DEFAULT_MAX_AGE_NS 1000000000ULL

/*
 * The kernel's enum skb_drop_reason, only the members this program tells apart. Their values are
 * resolved by CO-RE against the running kernel (SKB_CONSUMED exists only since ≈6.3; before it,
 * value 1 was a real reason), so these local values are never used as such.
 */
enum skb_drop_reason {
	SKB_NOT_DROPPED_YET = 0,
	SKB_CONSUMED = 1,
	SKB_DROP_REASON_QUEUE_PURGE = 104,
};

/* Bucket-change reports allowed per rate key between two FIRST/INTERVAL reports. */
#define LATENCY_REPORTS_PER_INTERVAL 8
/* At most one forced ring wake-up per CPU per this many ns (drops); see drop_wakeup_flag(). */
#define WAKEUP_GAP_NS 1000000ULL

/* counters map indices */
#define CNT_HOP_EMITTED 0
#define CNT_DROP_EMITTED 1
#define CNT_LOST 2              /* ring buffer full */
#define CNT_SUPPRESSED 3        /* hops not reported by the rate limit */
#define CNT_FP_MISMATCH 4       /* an entry at the skb's address belonged to another packet */
#define CNT_INFLIGHT_CREATED 5  /* entries made at ingress */
#define CNT_INFLIGHT_LOCAL 6    /* entries made at egress (packet originated on this host) */
#define CNT_STALE 7             /* entry older than max_age_ns */
#define CNT_INSERT_FAILED 8     /* int_inflight / int_rate update failed */
#define CNT_SAME_IFINDEX 9      /* left on the interface it entered: not a hop */
#define CNT_DROP_SUPPRESSED 10  /* drops not reported by the rate limit */
#define CNT_RATE_KEY_CREATED 11 /* int_rate entries made (beyond its size: evicted keys made again) */
#define CNT_LATENCY_CAPPED 12   /* bucket changes not reported: LATENCY_REPORTS_PER_INTERVAL reached */
#define CNT_WAKEUP_FORCED 13    /* drops submitted with a forced ring wake-up */
#define CNT_NOT_NETWORK_DROP 14 /* tracked packets freed as QUEUE_PURGE: not reported (not network loss) */
#define CNT_MAX 15

/* What identifies a packet between ingress and egress (and at its drop). */
struct fingerprint {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport; /* host order */
	__u16 dport;
	__u8 family;
	__u8 protocol;
	__u16 pad;
	__u32 l3_len; /* IPv4 tot_len / IPv6 payload_len */
	__u32 ident;  /* IPv4 id / IPv6 flow label */
	__u32 l4;     /* TCP seq / UDP length */
	__u32 pad2;
	__u64 head;   /* the skb's data buffer (skb->head): tells apart equal packets of one flow */
};

struct inflight {
	struct fingerprint fp;
	__u64 ingress_ns;
	__u64 egress_ns;
	__u32 ingress_ifindex;
	__u32 egress_ifindex;
};

struct rate_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u8 family;
	__u8 protocol;
	__u16 pad;
	__u32 ingress_ifindex;
	__u32 egress_ifindex;
	__u32 drop_reason; /* 0 for hops: drops are limited per reason, apart from hops */
};

struct rate_state {
	__u64 last_ns;        /* last FIRST/INTERVAL report */
	__u64 bucket;         /* latency bucket of the last report */
	__u32 bucket_reports; /* LATENCY_BUCKET reports since last_ns */
	__u32 pad;
};

/* Watchlist rule, 72 bytes (encodeIntRule in int-abi.ts). */
struct int_rule {
	__u8 src_net[16]; /* network order, IPv4 in the first 4 bytes; = address & mask */
	__u8 src_mask[16];
	__u8 dst_net[16];
	__u8 dst_mask[16];
	__u16 src_port; /* host order; 0 = any */
	__u16 dst_port;
	__u8 family;   /* 0 = any, 4, 6 */
	__u8 protocol; /* 0 = TCP or UDP, 6, 17 */
	__u8 pad[2];
};

/* Configuration, 32 bytes (encodeIntConfig in int-abi.ts). */
struct int_config {
	__u32 mode;          /* MODE_OFF / MODE_RULES / MODE_ALL */
	__u32 rule_count;    /* rules in use (mode 1) */
	__u64 interval_ns;   /* periodic report interval; 0 = report every hop */
	__u32 latency_shift; /* bucket = latency_ns >> shift; >= 64: no bucket reports */
	__u32 pad;
	__u64 max_age_ns;    /* an entry older than this is not trusted; 0 = 1 s */
};

struct int_event {
	__u64 ingress_ns;
	__u64 egress_ns;
	__u64 drop_ns;
	__u32 ingress_ifindex;
	__u32 egress_ifindex;
	__u32 drop_reason;
	__u32 length;
	__u8 kind;
	__u8 trigger;
	__u8 flags;
	__u8 family;
	__u8 protocol;
	__u8 cap_len;
	__u16 pad;
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u32 pad2;
	__u8 packet[SNAP_LEN];
};

_Static_assert(sizeof(struct int_event) == EVENT_LEN, "event must be 216 bytes");
_Static_assert(__builtin_offsetof(struct int_event, kind) == 40, "kind offset");
_Static_assert(__builtin_offsetof(struct int_event, saddr) == 48, "saddr offset");
_Static_assert(__builtin_offsetof(struct int_event, sport) == 80, "sport offset");
_Static_assert(__builtin_offsetof(struct int_event, packet) == 88, "packet offset");
_Static_assert(sizeof(struct int_rule) == 72, "int_rule must be 72 bytes");
_Static_assert(sizeof(struct int_config) == 32, "int_config must be 32 bytes");

/* Kernel types, only the fields read here; CO-RE relocates them against the running kernel. */
struct sk_buff {
	unsigned int len;
	unsigned char *head;
	unsigned char *data;
	unsigned int tail; /* sk_buff_data_t: an offset from head on 64-bit kernels */
	__u16 mac_header;
	__u16 network_header;
} __attribute__((preserve_access_index));

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* kernel address of the struct sk_buff */
	__type(value, struct inflight);
} int_inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct rate_key);
	__type(value, struct rate_state);
} int_rate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RULES_MAX);
	__type(key, __u32);
	__type(value, struct int_rule);
} int_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct int_config);
} int_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} int_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} int_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64); /* when this CPU last forced a ring wake-up */
} int_wakeup SEC(".maps");

/* Hops wake the reader only once a backlog builds (see capture.bpf.c); drops at once (drop_wakeup_flag). */
#define WAKEUP_BYTES (64 * 1024)

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&int_counters, &idx);

	if (c)
		*c += 1; /* per-CPU slot: no atomics needed */
}

static __always_inline struct int_config *config(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&int_config, &zero);
}

static __always_inline int addr_in(const __u8 *addr, const __u8 *net, const __u8 *mask)
{
	__u64 a0, a1, n0, n1, m0, m1;

	__builtin_memcpy(&a0, addr, 8);
	__builtin_memcpy(&a1, addr + 8, 8);
	__builtin_memcpy(&n0, net, 8);
	__builtin_memcpy(&n1, net + 8, 8);
	__builtin_memcpy(&m0, mask, 8);
	__builtin_memcpy(&m1, mask + 8, 8);
	return (a0 & m0) == n0 && (a1 & m1) == n1;
}

static __always_inline int rule_matches(const struct int_rule *r, const struct fingerprint *fp)
{
	if (r->family && r->family != fp->family)
		return 0;
	if (r->protocol && r->protocol != fp->protocol)
		return 0;
	if (r->src_port && r->src_port != fp->sport)
		return 0;
	if (r->dst_port && r->dst_port != fp->dport)
		return 0;
	return addr_in(fp->saddr, r->src_net, r->src_mask) && addr_in(fp->daddr, r->dst_net, r->dst_mask);
}

static __always_inline int watched(const struct int_config *cfg, const struct fingerprint *fp)
{
	if (cfg->mode == MODE_ALL)
		return 1;
	if (cfg->mode != MODE_RULES)
		return 0;
	__u32 n = cfg->rule_count;

	for (__u32 i = 0; i < RULES_MAX; i++) {
		if (i >= n)
			break;
		struct int_rule *r = bpf_map_lookup_elem(&int_rules, &i);

		if (r && rule_matches(r, fp))
			return 1;
	}
	return 0;
}

/* Fills the fingerprint from IP header bytes at `ip` (already read); returns the L4 offset from ip, or -1. */
static __always_inline int fp_from_ipv4(const struct iphdr *ip, struct fingerprint *fp)
{
	__u32 ihl = ip->ihl * 4;

	if (ip->version != 4 || ihl < sizeof(*ip))
		return -1;
	if (ip->frag_off & bpf_htons(0x1fff))
		return -1; /* a non-first fragment has no ports */
	fp->family = 4;
	fp->protocol = ip->protocol;
	__builtin_memcpy(fp->saddr, &ip->saddr, 4);
	__builtin_memcpy(fp->daddr, &ip->daddr, 4);
	fp->l3_len = bpf_ntohs(ip->tot_len);
	fp->ident = bpf_ntohs(ip->id);
	return ihl;
}

static __always_inline int fp_from_ipv6(const struct ipv6hdr *ip6, struct fingerprint *fp)
{
	if (ip6->version != 6)
		return -1;
	fp->family = 6;
	fp->protocol = ip6->nexthdr; /* extension headers are not followed */
	__builtin_memcpy(fp->saddr, &ip6->saddr, 16);
	__builtin_memcpy(fp->daddr, &ip6->daddr, 16);
	fp->l3_len = bpf_ntohs(ip6->payload_len);
	fp->ident = ((__u32)(ip6->flow_lbl[0] & 0x0f) << 16) | ((__u32)ip6->flow_lbl[1] << 8) | ip6->flow_lbl[2];
	return sizeof(*ip6);
}

/* L4 part of the fingerprint from the first 8 bytes of the TCP/UDP header. */
static __always_inline int fp_l4(const __u8 *l4, struct fingerprint *fp)
{
	__u16 sport, dport;

	if (fp->protocol != IPPROTO_TCP && fp->protocol != IPPROTO_UDP)
		return -1;
	__builtin_memcpy(&sport, l4, 2);
	__builtin_memcpy(&dport, l4 + 2, 2);
	fp->sport = bpf_ntohs(sport);
	fp->dport = bpf_ntohs(dport);
	if (fp->protocol == IPPROTO_TCP) {
		__u32 seq;

		__builtin_memcpy(&seq, l4 + 4, 4);
		fp->l4 = bpf_ntohl(seq);
	} else {
		__u16 ulen;

		__builtin_memcpy(&ulen, l4 + 4, 2);
		fp->l4 = bpf_ntohs(ulen);
	}
	return 0;
}

/* Parses the frame at tc (Ethernet, one VLAN tag, IPv4/IPv6, TCP/UDP). 0 on success. */
static __always_inline int parse_tc(struct __sk_buff *skb, struct fingerprint *fp)
{
	__u8 l4[8];
	__u32 off;
	int proto = l3_ethertype(skb, &off);
	int l3;

	if (proto < 0)
		return -1;
	if (proto == ETH_P_IP) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)) < 0)
			return -1;
		l3 = fp_from_ipv4(&ip, fp);
	} else if (proto == ETH_P_IPV6) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, off, &ip6, sizeof(ip6)) < 0)
			return -1;
		l3 = fp_from_ipv6(&ip6, fp);
	} else {
		return -1;
	}
	if (l3 < 0 || l3 > 60)
		return -1;
	if (fp->protocol != IPPROTO_TCP && fp->protocol != IPPROTO_UDP)
		return -1;
	if (bpf_skb_load_bytes(skb, off + l3, l4, sizeof(l4)) < 0)
		return -1;
	return fp_l4(l4, fp);
}

static __always_inline int same_addr(const __u8 *a, const __u8 *b)
{
	__u64 a0, a1, b0, b1;

	__builtin_memcpy(&a0, a, 8);
	__builtin_memcpy(&a1, a + 8, 8);
	__builtin_memcpy(&b0, b, 8);
	__builtin_memcpy(&b1, b + 8, 8);
	return a0 == b0 && a1 == b1;
}

/* Same packet? Everything but addresses/ports exactly; of those, one side may be NATed. */
static __always_inline int same_packet(const struct fingerprint *a, const struct fingerprint *b)
{
	if (a->family != b->family || a->protocol != b->protocol || a->l3_len != b->l3_len ||
	    a->ident != b->ident || a->l4 != b->l4)
		return 0;
	int src = a->sport == b->sport && same_addr(a->saddr, b->saddr);
	int dst = a->dport == b->dport && same_addr(a->daddr, b->daddr);

	return src || dst;
}

/*
 * The entry belongs to this skb: the same packet, and the same data buffer once the packet has
 * left through an egress. Before that the buffer may legitimately be replaced (ip_forward's
 * skb_cow copies a cloned skb: every TCP data segment, or any packet a packet socket saw).
 */
static __always_inline int entry_matches(const struct inflight *in, const struct fingerprint *fp)
{
	if (!same_packet(&in->fp, fp))
		return 0;
	return in->egress_ns == 0 || in->fp.head == fp->head;
}

static __always_inline __u64 max_age(const struct int_config *cfg)
{
	return cfg->max_age_ns ? cfg->max_age_ns : DEFAULT_MAX_AGE_NS;
}

static __always_inline void fill_tuple(struct int_event *e, const struct fingerprint *fp)
{
	e->family = fp->family;
	e->protocol = fp->protocol;
	__builtin_memcpy(e->saddr, fp->saddr, 16);
	__builtin_memcpy(e->daddr, fp->daddr, 16);
	e->sport = fp->sport;
	e->dport = fp->dport;
}

/*
 * Rate limit: the trigger to report this hop (reason 0) or drop (reason > 0) with, or 0 to
 * suppress it. Drops have no latency buckets: FIRST (reported as DROP), then one per interval.
 */
static __always_inline __u8 rate_decision(const struct int_config *cfg, const struct fingerprint *fp, __u32 in_if,
					  __u32 out_if, __u32 reason, __u64 now, __u64 latency)
{
	struct rate_key k = {};
	__u32 shift = reason ? 64 : cfg->latency_shift;
	__u64 bucket = shift >= 64 ? 0 : latency >> (shift & 63);

	__builtin_memcpy(k.saddr, fp->saddr, 16);
	__builtin_memcpy(k.daddr, fp->daddr, 16);
	k.sport = fp->sport;
	k.dport = fp->dport;
	k.family = fp->family;
	k.protocol = fp->protocol;
	k.ingress_ifindex = in_if;
	k.egress_ifindex = out_if;
	k.drop_reason = reason;

	struct rate_state *st = bpf_map_lookup_elem(&int_rate, &k);

	if (!st) {
		struct rate_state init = { .last_ns = now, .bucket = bucket };

		if (bpf_map_update_elem(&int_rate, &k, &init, BPF_ANY) < 0)
			count(CNT_INSERT_FAILED);
		else
			count(CNT_RATE_KEY_CREATED);
		return TRIGGER_FIRST;
	}
	if (now - st->last_ns >= cfg->interval_ns) {
		st->last_ns = now;
		st->bucket = bucket;
		st->bucket_reports = 0;
		return TRIGGER_INTERVAL;
	}
	if (shift < 64 && bucket != st->bucket) {
		/* a latency jittering around a boundary would otherwise report every alternation */
		if (st->bucket_reports >= LATENCY_REPORTS_PER_INTERVAL) {
			count(CNT_LATENCY_CAPPED);
			return 0;
		}
		st->bucket = bucket; /* the periodic timer is left alone */
		st->bucket_reports += 1;
		return TRIGGER_LATENCY_BUCKET;
	}
	return 0;
}

static __always_inline void emit_hop(struct __sk_buff *skb, const struct inflight *in, __u8 trigger)
{
	struct int_event *e = bpf_ringbuf_reserve(&int_events, sizeof(*e), 0);

	if (!e) {
		count(CNT_LOST);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e) - SNAP_LEN);
	e->ingress_ns = in->ingress_ns;
	e->egress_ns = in->egress_ns;
	e->ingress_ifindex = in->ingress_ifindex;
	e->egress_ifindex = in->egress_ifindex;
	e->length = skb->len;
	e->kind = KIND_HOP;
	e->trigger = trigger;
	e->flags = FLAG_HAS_L2;
	fill_tuple(e, &in->fp);

	__u64 cap = skb->len;

	asm volatile("" : "+r"(cap));
	if (cap > SNAP_LEN)
		cap = SNAP_LEN;
	if (cap == 0 || bpf_skb_load_bytes(skb, 0, e->packet, cap) < 0)
		cap = 0;
	e->cap_len = cap;
	bpf_ringbuf_submit(e, bpf_ringbuf_query(&int_events, BPF_RB_AVAIL_DATA) >= WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP
												  : BPF_RB_NO_WAKEUP);
	count(CNT_HOP_EMITTED);
}

SEC("tc")
int int_ingress(struct __sk_buff *skb)
{
	struct int_config *cfg = config();
	struct inflight in = {};

	if (!cfg || cfg->mode == MODE_OFF)
		return TC_ACT_UNSPEC;
	if (parse_tc(skb, &in.fp) < 0 || !watched(cfg, &in.fp))
		return TC_ACT_UNSPEC;
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);
	__u64 key = (__u64)kskb;

	in.fp.head = (__u64)kskb->head;
	in.ingress_ns = bpf_ktime_get_ns();
	in.ingress_ifindex = skb->ifindex;
	if (bpf_map_update_elem(&int_inflight, &key, &in, BPF_ANY) < 0)
		count(CNT_INSERT_FAILED);
	else
		count(CNT_INFLIGHT_CREATED);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int int_egress(struct __sk_buff *skb)
{
	struct int_config *cfg = config();
	struct fingerprint fp = {};

	if (!cfg || cfg->mode == MODE_OFF)
		return TC_ACT_UNSPEC;
	if (parse_tc(skb, &fp) < 0)
		return TC_ACT_UNSPEC;
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);
	__u64 key = (__u64)kskb;

	fp.head = (__u64)kskb->head;	__u64 now = bpf_ktime_get_ns();
	__u32 ifindex = skb->ifindex;
	struct inflight *in = bpf_map_lookup_elem(&int_inflight, &key);

	if (in) {
		if (!entry_matches(in, &fp)) {
			count(CNT_FP_MISMATCH);
			in = NULL;
		} else if (now - (in->egress_ns ? in->egress_ns : in->ingress_ns) > max_age(cfg)) {
			count(CNT_STALE);
			in = NULL;
		}
	}
	if (!in) {
		/* originated here (or an entry we cannot trust): remember it for a later drop */
		struct inflight local = {};

		if (!watched(cfg, &fp))
			return TC_ACT_UNSPEC;
		local.fp = fp;
		local.egress_ns = now;
		local.egress_ifindex = ifindex;
		if (bpf_map_update_elem(&int_inflight, &key, &local, BPF_ANY) < 0)
			count(CNT_INSERT_FAILED);
		else
			count(CNT_INFLIGHT_LOCAL);
		return TC_ACT_UNSPEC;
	}
	in->egress_ns = now;
	in->egress_ifindex = ifindex;
	in->fp = fp; /* as it leaves: a NATed side now shows its new address */
	if (in->ingress_ifindex == 0)
		return TC_ACT_UNSPEC; /* a local packet leaving again */
	if (in->ingress_ifindex == ifindex) {
		count(CNT_SAME_IFINDEX);
		return TC_ACT_UNSPEC;
	}
	__u8 trigger = rate_decision(cfg, &fp, in->ingress_ifindex, ifindex, 0, now, now - in->ingress_ns);

	if (!trigger) {
		count(CNT_SUPPRESSED);
		return TC_ACT_UNSPEC;
	}
	emit_hop(skb, in, trigger);
	return TC_ACT_UNSPEC;
}

/* ---- Drops -------------------------------------------------------------------------------- */

/* Fingerprint from the skb's own headers (at head + network_header). 0 on success. */
static __always_inline int parse_kernel_skb(const struct sk_buff *skb, struct fingerprint *fp)
{
	unsigned char *head = skb->head;
	__u16 nh = skb->network_header;
	__u8 first;
	__u8 l4[8];
	int l3;

	if (nh == (__u16)~0U)
		return -1;
	fp->head = (__u64)head;
	if (bpf_probe_read_kernel(&first, 1, head + nh) < 0)
		return -1;
	if ((first >> 4) == 4) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh) < 0)
			return -1;
		l3 = fp_from_ipv4(&ip, fp);
	} else if ((first >> 4) == 6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh) < 0)
			return -1;
		l3 = fp_from_ipv6(&ip6, fp);
	} else {
		return -1;
	}
	if (l3 < 0 || l3 > 60)
		return -1;
	if (fp->protocol != IPPROTO_TCP && fp->protocol != IPPROTO_UDP)
		return -1;
	if (bpf_probe_read_kernel(l4, sizeof(l4), head + nh + l3) < 0)
		return -1;
	return fp_l4(l4, fp);
}

/*
 * Drops wake the reader at once, but at most once per WAKEUP_GAP_NS per CPU: a drop flood on an
 * overloaded host must not add a wake-up per packet. In between, the default (adaptive)
 * notification still wakes a reader that had read everything; otherwise the reader finds the
 * record on its current pass or its next poll.
 */
static __always_inline __u64 drop_wakeup_flag(__u64 now)
{
	__u32 zero = 0;
	__u64 *last = bpf_map_lookup_elem(&int_wakeup, &zero);

	if (!last)
		return BPF_RB_FORCE_WAKEUP;
	if (*last && now - *last < WAKEUP_GAP_NS)
		return 0;
	*last = now;
	count(CNT_WAKEUP_FORCED);
	return BPF_RB_FORCE_WAKEUP;
}

/*
 * QUEUE_PURGE frees what is still queued when its queue goes away, above all segments an
 * application never read before closing its socket (every curl request leaves the server's FIN
 * there): not a packet the network lost, so it is counted, not reported.
 */
static __always_inline int not_network_loss(int reason)
{
	return bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_QUEUE_PURGE) &&
	       reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_QUEUE_PURGE);
}

static __always_inline int not_a_drop(int reason)
{
	if (reason == bpf_core_enum_value(enum skb_drop_reason, SKB_NOT_DROPPED_YET))
		return 1;
	return bpf_core_enum_value_exists(enum skb_drop_reason, SKB_CONSUMED) &&
	       reason == bpf_core_enum_value(enum skb_drop_reason, SKB_CONSUMED);
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(int_kfree_skb, struct sk_buff *skb, void *location, int reason)
{
	if (not_a_drop(reason))
		return 0;
	__u64 key = (__u64)skb;
	struct inflight *in = bpf_map_lookup_elem(&int_inflight, &key);

	if (!in)
		return 0;
	if (not_network_loss(reason)) {
		count(CNT_NOT_NETWORK_DROP);
		bpf_map_delete_elem(&int_inflight, &key);
		return 0;
	}
	struct int_config *cfg = config();
	struct fingerprint fp = {};
	__u64 now = bpf_ktime_get_ns();

	if (!cfg || parse_kernel_skb(skb, &fp) < 0 || !entry_matches(in, &fp)) {
		count(CNT_FP_MISMATCH);
		bpf_map_delete_elem(&int_inflight, &key);
		return 0;
	}
	if (now - (in->egress_ns ? in->egress_ns : in->ingress_ns) > max_age(cfg)) {
		count(CNT_STALE);
		bpf_map_delete_elem(&int_inflight, &key);
		return 0;
	}

	if (!rate_decision(cfg, &fp, in->ingress_ifindex, in->egress_ifindex, reason, now, 0)) {
		count(CNT_DROP_SUPPRESSED);
		bpf_map_delete_elem(&int_inflight, &key);
		return 0;
	}

	struct int_event *e = bpf_ringbuf_reserve(&int_events, sizeof(*e), 0);

	if (!e) {
		count(CNT_LOST);
		bpf_map_delete_elem(&int_inflight, &key);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e) - SNAP_LEN);
	e->ingress_ns = in->ingress_ns;
	e->egress_ns = in->egress_ns;
	e->drop_ns = now;
	e->ingress_ifindex = in->ingress_ifindex;
	e->egress_ifindex = in->egress_ifindex;
	e->drop_reason = reason;
	e->kind = KIND_DROP;
	e->trigger = TRIGGER_DROP;
	fill_tuple(e, &fp);

	unsigned char *head = skb->head;
	unsigned char *data = skb->data;
	__u32 start = skb->network_header;
	__u16 mac = skb->mac_header;

	/* a set mac header lies before the network header (else it is stale or unset) */
	if (mac != (__u16)~0U && mac < start) {
		start = mac;
		e->flags = FLAG_HAS_L2;
	}
	/* length from `start`: skb->len counts from data, which may sit before or after start */
	__u32 data_off = (__u32)(data - head);
	__u32 len = skb->len;
	__u32 length = data_off >= start ? len + (data_off - start) : (len > start - data_off ? len - (start - data_off) : 0);
	__u32 tail = skb->tail;
	__u32 linear = tail > start ? tail - start : 0;

	e->length = length;
	__u64 cap = linear < length ? linear : length;

	asm volatile("" : "+r"(cap));
	if (cap > SNAP_LEN)
		cap = SNAP_LEN;
	if (bpf_probe_read_kernel(e->packet, cap, head + start) < 0)
		cap = 0;
	e->cap_len = cap;
	bpf_ringbuf_submit(e, drop_wakeup_flag(now));
	count(CNT_DROP_EMITTED);
	bpf_map_delete_elem(&int_inflight, &key);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
