// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * capture.bpf.c — tc (clsact) classifier that copies packets of monitored TCP/UDP ports to
 * user space through a ring buffer. Two programs share one body: `capture_ingress` and
 * `capture_egress` (the hook is baked in per program, so user space never has to tell them
 * apart by attach point); `capture_node_ingress`/`capture_node_egress` are their counterparts for
 * node NICs ("Node interfaces" below). These programs observe: they never drop or modify a packet. They return
 * TC_ACT_UNSPEC, not TC_ACT_OK: in a tc filter chain TC_ACT_OK ends classification, which would
 * skip every filter behind ours (e.g. a CNI's program at a later priority); UNSPEC hands the
 * packet on to the next filter and, at the end of the chain, lets it pass exactly like OK.
 *
 * Copy rule: a packet is copied when its src or dst port is in `ports` (for its ifindex or for
 * ifindex 0 = any interface) AND it carries L4 payload, or (TCP) it has SYN, FIN or RST.
 * Or: the packet's remote end matches an `egress_rules` entry of its ifindex (see that block).
 * (A packet of a flow its interface already owns in `flows` skips these lookups: the check
 * was made when the entry was created.) Pure ACKs are counted as matched but not copied. Payload is read with bpf_skb_load_bytes, so
 * non-linear and GSO skbs (up to 64 KiB on veth with TSO) work; only the first `snaplen` bytes
 * are copied and the cut is counted.
 *
 * Event ABI (host byte order = little-endian on x86/arm64; mirrored by
 * packages/libbpf/src/capture-abi.ts — change both together):
 *
 *   off size field
 *     0    8 ts_ns       bpf_ktime_get_ns() (CLOCK_MONOTONIC)
 *     8    4 ifindex     skb->ifindex
 *    12    1 hook        0 = tc ingress, 1 = tc egress
 *    13    1 ip_version  4 | 6
 *    14    1 l4_proto    6 (TCP) | 17 (UDP)
 *    15    1 tcp_flags   TCP header byte 13 (FIN=0x01 SYN=0x02 RST=0x04 PSH=0x08 ACK=0x10 ...); 0 for UDP
 *    16   16 saddr       network order; IPv4 in the first 4 bytes, rest zero
 *    32   16 daddr
 *    48    2 sport       host order
 *    50    2 dport       host order
 *    52    4 seq         host order; 0 for UDP
 *    56    4 ack         host order; 0 for UDP
 *    60    4 wire_len    L4 payload length on the wire (from the IP header)
 *    64    4 cap_len     payload bytes that follow the header (<= snaplen, <= wire_len)
 *    68    1 point       0 = pod interface, 1 = node interface (see "Node interfaces" below)
 *    69    3 pad         0
 *    72  cap_len payload
 *
 * Each ring-buffer record is exactly 72 + cap_len bytes.
 *
 * Flow table (`flows`, LRU hash): one entry per connection seen on a pod interface, keyed by
 * the canonical 5-tuple without ifindex (so a node NIC finds the same entry); layout in
 * struct flow_key / struct flow_state below, mirrored by packages/libbpf/src/flow-abi.ts. BPF
 * creates entries and removes them on RST or the second FIN; user space ages idle ones out
 * (packages/libbpf/src/flow-table.ts) and derives LRU evictions from the counters
 * (docs/capture.md, "Kernel flow table").
 *
 * The licence string must be GPL-compatible for the kernel to allow the ring-buffer helpers.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "l2.h"

#define MAX_SNAPLEN 8192
#define DEFAULT_SNAPLEN 4096
#define EVENT_HDR_LEN 72

#define HOOK_INGRESS 0
#define HOOK_EGRESS 1

#define POINT_POD 0
#define POINT_NODE 1

/* counters map indices */
#define CNT_EMITTED 0
#define CNT_LOST 1
#define CNT_TRUNCATED 2
#define CNT_PAYLOAD_BYTES 3
#define CNT_MATCHED 4
#define CNT_FLOWS_CREATED 5    /* flow entries inserted (BPF_NOEXIST succeeded) */
#define CNT_FLOWS_CLOSED_FIN 6 /* entries removed at the second FIN */
#define CNT_FLOWS_CLOSED_RST 7 /* entries removed at an RST */
#define CNT_FLOWS_INSERT_FAILED 8
#define CNT_NODE_MATCHED 9 /* node-interface packets of a known flow (any kind) */
#define CNT_NODE_EMITTED 10 /* node-interface timing events written to the ring */
#define CNT_MAX 11

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04

struct port_key {
	__u32 ifindex; /* 0 = any interface */
	__u16 port;    /* host order */
	__u16 pad;     /* must be 0: it is part of the hashed key */
};

struct capture_config {
	__u32 snaplen; /* 0 = DEFAULT_SNAPLEN; clamped to MAX_SNAPLEN */
	__u32 flags;   /* reserved, 0 */
};

struct capture_event {
	__u64 ts_ns;
	__u32 ifindex;
	__u8 hook;
	__u8 ip_version;
	__u8 l4_proto;
	__u8 tcp_flags;
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u32 seq;
	__u32 ack;
	__u32 wire_len;
	__u32 cap_len;
	__u8 point;
	__u8 pad[3];
} __attribute__((packed));

_Static_assert(sizeof(struct capture_event) == EVENT_HDR_LEN, "event header must be 72 bytes");
_Static_assert(__builtin_offsetof(struct capture_event, saddr) == 16, "saddr offset");
_Static_assert(__builtin_offsetof(struct capture_event, sport) == 48, "sport offset");
_Static_assert(__builtin_offsetof(struct capture_event, wire_len) == 60, "wire_len offset");

/* The event is assembled here, then copied into the ring with its exact size. */
struct event_buf {
	struct capture_event hdr;
	__u8 payload[MAX_SNAPLEN];
};

/* 802.1Q / 802.1ad tag as it follows the MAC addresses (uapi has no struct for it). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct port_key);
	__type(value, __u32); /* protocol id, opaque here, nonzero */
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct capture_config);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* the agent sets its own before load (--ring-size, default 4 MiB) */
} events SEC(".maps");

/* One slot per program (pod ingress/egress, node ingress/egress): runs never share a buffer. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct event_buf);
} scratch SEC(".maps");

static __always_inline void count(__u32 idx, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);

	if (c)
		*c += n; /* per-CPU slot: no atomics needed */
}

static __always_inline __u32 port_proto(__u32 ifindex, __u16 port)
{
	struct port_key k = { .ifindex = ifindex, .port = port, .pad = 0 };
	__u32 *v = bpf_map_lookup_elem(&ports, &k);

	if (v)
		return *v;
	k.ifindex = 0;
	v = bpf_map_lookup_elem(&ports, &k);
	return v ? *v : 0;
}

/*
 * ---- Egress match rules (Clovisor's clovisor_egress_match) ----
 * Outbound connections of a monitored pod to <address prefix>:<port> are copied even though the
 * port is not one the pod serves. On the pod's host-side veth the pod's outbound packets arrive
 * at tc INGRESS (daddr/dport = the remote) and the replies leave at tc EGRESS (saddr/sport = the
 * remote), so each hook looks up the remote end of the packet. User space expands each rule per
 * pod (the pod-name prefix selects pods) into one entry per ifindex; a rule for any address
 * ("0") is two entries, family 4 and family 6, of address prefix length 0.
 *
 * LPM trie key (mirrored by encodeEgressRuleKey in packages/libbpf/src/capture-abi.ts):
 *   off size field
 *     0    4 prefixlen  EGRESS_FIXED_BITS (64) + address prefix length (0..32 or 0..128)
 *     4    4 ifindex    host order, matched exactly (within the fixed bits)
 *     8    2 port       network order
 *    10    1 family     4 | 6
 *    11    1 pad        0
 *    12   16 addr       network order; IPv4 in the first 4 bytes
 * Value: __u32 rule flags (nonzero = match; reserved).
 */
#define EGRESS_RULES_MAX 4096
#define EGRESS_FIXED_BITS 64

struct egress_key {
	__u32 prefixlen;
	__u32 ifindex;
	__be16 port;
	__u8 family;
	__u8 pad;
	__u8 addr[16];
};

_Static_assert(sizeof(struct egress_key) == 28, "egress_key must be 28 bytes");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, EGRESS_RULES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct egress_key);
	__type(value, __u32);
} egress_rules SEC(".maps");

/* Does the remote end of this packet (by hook, see above) match an egress rule of its interface? */
static __always_inline int egress_match(__u32 ifindex, __u32 hook, const struct capture_event *h)
{
	struct egress_key k = {};
	const __u8 *remote = hook == HOOK_INGRESS ? h->daddr : h->saddr;
	__u16 port = hook == HOOK_INGRESS ? h->dport : h->sport;

	k.prefixlen = EGRESS_FIXED_BITS + (h->ip_version == 4 ? 32 : 128);
	k.ifindex = ifindex;
	k.port = bpf_htons(port);
	k.family = h->ip_version;
	__builtin_memcpy(k.addr, remote, 16);
	return bpf_map_lookup_elem(&egress_rules, &k) != NULL;
}
/* ---- end of egress match rules ---- */

static __always_inline __u32 snaplen(void)
{
	__u32 zero = 0;
	struct capture_config *cfg = bpf_map_lookup_elem(&config, &zero);
	__u32 s = cfg ? cfg->snaplen : 0;

	if (s == 0)
		s = DEFAULT_SNAPLEN;
	if (s > MAX_SNAPLEN)
		s = MAX_SNAPLEN;
	return s;
}

/*
 * Wake the reader only when a backlog has built up. The default (wake whenever the reader had
 * caught up) costs an irq_work self-IPI per event: measured ~11 us per packet in a VM versus
 * ~1 us without. The reader polls with a 100 ms timeout and drains on timeout, so a quiet ring
 * is delivered within ~100 ms, and a busy one wakes the reader every WAKEUP_BYTES.
 */
#define WAKEUP_BYTES (256 * 1024)

static __always_inline __u64 wakeup_flag(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP
									      : BPF_RB_NO_WAKEUP;
}

/*
 * Parses Ethernet (+ one 802.1Q/802.1ad tag in the data; a tag the driver moved into skb
 * metadata is already gone), IPv4 (options skipped by ihl) or IPv6, then TCP or UDP. Fills the
 * addresses, ports, seq/ack/flags and wire_len of `h`; returns the payload offset, or -1 when
 * the packet is not one we parse.
 */
static __always_inline int parse_packet(struct __sk_buff *skb, struct capture_event *h)
{
	__u32 off, l3_end, payload_off;
	int proto = l3_ethertype(skb, &off);

	if (proto < 0)
		return -1;

	if (proto == ETH_P_IP) {
		struct iphdr ip;
		__u32 ihl, tot;

		if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)) < 0)
			return -1;
		ihl = ip.ihl * 4;
		if (ip.version != 4 || ihl < sizeof(ip))
			return -1;
		/* A non-first fragment has no L4 header to read ports from. */
		if (ip.frag_off & bpf_htons(0x1fff))
			return -1;
		tot = bpf_ntohs(ip.tot_len);
		/* tot_len 0 = BIG TCP GSO packet: the skb length is the truth-> */
		l3_end = tot ? off + tot : skb->len;
		h->ip_version = 4;
		h->l4_proto = ip.protocol;
		__builtin_memcpy(h->saddr, &ip.saddr, 4);
		__builtin_memcpy(h->daddr, &ip.daddr, 4);
		off += ihl;
	} else if (proto == ETH_P_IPV6) {
		struct ipv6hdr ip6;
		__u32 plen;

		if (bpf_skb_load_bytes(skb, off, &ip6, sizeof(ip6)) < 0)
			return -1;
		plen = bpf_ntohs(ip6.payload_len);
		off += sizeof(ip6);
		l3_end = plen ? off + plen : skb->len;
		h->ip_version = 6;
		h->l4_proto = ip6.nexthdr; /* extension headers are not followed */
		__builtin_memcpy(h->saddr, &ip6.saddr, 16);
		__builtin_memcpy(h->daddr, &ip6.daddr, 16);
	} else {
		return -1;
	}
	/* Ethernet padding of short frames must not count as payload. */
	if (l3_end > skb->len)
		l3_end = skb->len;

	if (h->l4_proto == IPPROTO_TCP) {
		struct tcphdr tcp;
		__u32 doff;

		if (bpf_skb_load_bytes(skb, off, &tcp, sizeof(tcp)) < 0)
			return -1;
		doff = tcp.doff * 4;
		if (doff < sizeof(tcp))
			return -1;
		h->sport = bpf_ntohs(tcp.source);
		h->dport = bpf_ntohs(tcp.dest);
		h->seq = bpf_ntohl(tcp.seq);
		h->ack = bpf_ntohl(tcp.ack_seq);
		h->tcp_flags = ((__u8 *)&tcp)[13];
		payload_off = off + doff;
	} else if (h->l4_proto == IPPROTO_UDP) {
		struct udphdr udp;

		if (bpf_skb_load_bytes(skb, off, &udp, sizeof(udp)) < 0)
			return -1;
		h->sport = bpf_ntohs(udp.source);
		h->dport = bpf_ntohs(udp.dest);
		payload_off = off + sizeof(udp);
	} else {
		return -1;
	}
	h->wire_len = l3_end > payload_off ? l3_end - payload_off : 0;
	return payload_off;
}

/* ---- Kernel flow table ------------------------------------------------------------------- */

/*
 * Canonical 5-tuple: endpoint `a` is the one whose (address, port) sorts first bytewise, so both
 * directions of a connection share one key. No ifindex: a node NIC looks up the entry a pod
 * interface created (valid while nothing rewrites addresses in between; SNAT is not followed).
 */
struct flow_key {
	__u8 addr_a[16]; /* network order; IPv4 in the first 4 bytes */
	__u8 addr_b[16];
	__u16 port_a; /* host order */
	__u16 port_b;
	__u8 l4_proto;
	__u8 ip_version;
	__u16 pad; /* 0: part of the hashed key */
};

/* Direction index: 0 = sent by endpoint a, 1 = sent by endpoint b. */
struct flow_state {
	__u64 first_ns; /* bpf_ktime_get_ns() of the packet that created the entry */
	__u64 last_ns;  /* of the latest packet on the owning pod interface (idle aging reads it) */
	__u64 packets[2];
	__u64 bytes[2]; /* L4 payload bytes on the wire */
	__u64 node_first_ns[2]; /* first payload/SYN/FIN/RST packet of the direction on a node NIC; 0 = none */
	__u64 node_last_ns[2];
	__u32 ifindex;      /* pod interface that created the entry; only it updates the counters */
	__u32 node_ifindex; /* node NIC that saw the flow last; 0 = none */
	__u8 flags[2];      /* OR of the TCP flags seen per direction (one writer per byte in practice) */
	__u8 pad[6];
};

_Static_assert(sizeof(struct flow_key) == 40, "flow_key must be 40 bytes");
_Static_assert(sizeof(struct flow_state) == 96, "flow_state must be 96 bytes");

/* max_entries is set by user space before load (--flow-table-size); this is the default. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 131072);
	__type(key, struct flow_key);
	__type(value, struct flow_state);
} flows SEC(".maps");

/* A new entry is assembled here (the BPF stack is too small to hold it beside the event). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flow_state);
} flow_scratch SEC(".maps");

/* Returns the direction (0: h's source is endpoint a, 1: it is b) and fills the key. */
static __always_inline __u32 flow_key_of(const struct capture_event *h, struct flow_key *k)
{
	int cmp = 0;

#pragma unroll
	for (int i = 0; i < 16; i++) {
		if (cmp == 0 && h->saddr[i] != h->daddr[i])
			cmp = h->saddr[i] < h->daddr[i] ? -1 : 1;
	}
	if (cmp == 0 && h->sport != h->dport)
		cmp = h->sport < h->dport ? -1 : 1;
	__u32 dir = cmp > 0;

	if (dir == 0) {
		__builtin_memcpy(k->addr_a, h->saddr, 16);
		__builtin_memcpy(k->addr_b, h->daddr, 16);
		k->port_a = h->sport;
		k->port_b = h->dport;
	} else {
		__builtin_memcpy(k->addr_a, h->daddr, 16);
		__builtin_memcpy(k->addr_b, h->saddr, 16);
		k->port_a = h->dport;
		k->port_b = h->sport;
	}
	k->l4_proto = h->l4_proto;
	k->ip_version = h->ip_version;
	k->pad = 0;
	return dir;
}

static __always_inline int tcp_has(const struct capture_event *h, __u8 flags)
{
	return h->l4_proto == IPPROTO_TCP && (h->tcp_flags & flags);
}

/*
 * Accounts a packet of a monitored port on its pod interface: updates the flow's entry, creates
 * one for a packet that opens or carries data (never for a pure ACK, FIN or RST, so the last
 * ACK of a closed connection does not bring it back), removes it at RST or the second FIN.
 */
static __always_inline void flow_account(const struct capture_event *h, const struct flow_key *k, __u32 dir,
					 struct flow_state *st, __u32 ifindex, __u64 now)
{
	dir &= 1;
	if (!st) {
		int opens = h->l4_proto == IPPROTO_UDP ||
			    (!tcp_has(h, TCP_FLAG_FIN | TCP_FLAG_RST) &&
			     (tcp_has(h, TCP_FLAG_SYN) || h->wire_len > 0));
		if (!opens)
			return;
		__u32 zero = 0;
		struct flow_state *init = bpf_map_lookup_elem(&flow_scratch, &zero);

		if (!init)
			return;
		__builtin_memset(init, 0, sizeof(*init));
		init->first_ns = now;
		init->last_ns = now;
		init->packets[dir] = 1;
		init->bytes[dir] = h->wire_len;
		init->flags[dir] = h->tcp_flags;
		init->ifindex = ifindex;
		long r = bpf_map_update_elem(&flows, k, init, BPF_NOEXIST);

		if (r == 0)
			count(CNT_FLOWS_CREATED, 1);
		else if (r != -17 /* EEXIST: another CPU created it first */)
			count(CNT_FLOWS_INSERT_FAILED, 1);
		return;
	}
	if (st->ifindex != ifindex)
		return; /* a second monitored pod interface on the path: its owner accounts */
	__sync_fetch_and_add(&st->packets[dir], 1);
	__sync_fetch_and_add(&st->bytes[dir], h->wire_len);
	st->last_ns = now;
	st->flags[dir] |= h->tcp_flags;
	if (tcp_has(h, TCP_FLAG_RST)) {
		if (bpf_map_delete_elem(&flows, k) == 0)
			count(CNT_FLOWS_CLOSED_RST, 1);
	} else if (tcp_has(h, TCP_FLAG_FIN) && (st->flags[dir ^ 1] & TCP_FLAG_FIN)) {
		if (bpf_map_delete_elem(&flows, k) == 0)
			count(CNT_FLOWS_CLOSED_FIN, 1);
	}
}

/* ---- Pod interfaces ---------------------------------------------------------------------- */

/* Copy rule (see the top of the file): worth copying = payload, or TCP SYN/FIN/RST. */
static __always_inline int worth_copying(const struct capture_event *h)
{
	return h->wire_len > 0 || tcp_has(h, TCP_FLAG_SYN | TCP_FLAG_FIN | TCP_FLAG_RST);
}

static __always_inline void capture(struct __sk_buff *skb, __u32 hook)
{
	/* The header is built in place in the per-CPU buffer: the BPF stack is only 512 bytes. */
	struct event_buf *e = bpf_map_lookup_elem(&scratch, &hook);
	struct flow_key k;

	if (!e)
		return;
	struct capture_event *h = &e->hdr;

	__builtin_memset(h, 0, sizeof(*h));
	int off = parse_packet(skb, h);

	if (off < 0)
		return;
	__u32 payload_off = off;
	__u32 dir = flow_key_of(h, &k);
	struct flow_state *st = bpf_map_lookup_elem(&flows, &k);

	/* A flow this interface already owns passed the port check when it was created. */
	if (!(st && st->ifindex == skb->ifindex) && !port_proto(skb->ifindex, h->dport) &&
	    !port_proto(skb->ifindex, h->sport) && !egress_match(skb->ifindex, hook, h))
		return;
	count(CNT_MATCHED, 1);
	flow_account(h, &k, dir, st, skb->ifindex, bpf_ktime_get_ns());

	if (!worth_copying(h))
		return; /* pure ACK / empty datagram: nothing worth copying */

	__u32 cap = h->wire_len;
	__u32 snap = snaplen();

	if (cap > snap)
		cap = snap;

	if (cap > 0) {
		/*
		 * Re-clamp a 64-bit copy behind a compiler barrier, right before use: otherwise clang
		 * checks a zero-extended twin register and the verifier never sees the bound on the
		 * register actually passed as the length.
		 */
		__u64 len = cap;

		asm volatile("" : "+r"(len));
		if (len > MAX_SNAPLEN)
			len = MAX_SNAPLEN;
		if (len == 0 || bpf_skb_load_bytes(skb, payload_off, e->payload, len) < 0)
			len = 0; /* unreadable payload is reported as truncated, not hidden */
		cap = len;
	}
	h->ts_ns = bpf_ktime_get_ns();
	h->ifindex = skb->ifindex;
	h->hook = hook;
	h->point = POINT_POD;
	h->cap_len = cap;

	if (bpf_ringbuf_output(&events, e, EVENT_HDR_LEN + cap, wakeup_flag()) < 0) {
		count(CNT_LOST, 1);
		return;
	}
	count(CNT_EMITTED, 1);
	count(CNT_PAYLOAD_BYTES, cap);
	if (cap < h->wire_len)
		count(CNT_TRUNCATED, 1);
}

SEC("tc")
int capture_ingress(struct __sk_buff *skb)
{
	capture(skb, HOOK_INGRESS);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int capture_egress(struct __sk_buff *skb)
{
	capture(skb, HOOK_EGRESS);
	return TC_ACT_UNSPEC;
}

/* ---- Node interfaces --------------------------------------------------------------------- */

/*
 * A node NIC carries everybody's traffic: a packet is recorded only when its flow is already in
 * `flows` (created on a monitored pod interface). Its time goes onto the entry and, for packets
 * worth copying, into the ring as a header-only event (point = node, cap_len = 0) so that user
 * space can put the time on the matching segment. Node packets never create, refresh or remove
 * entries: the pod interface owns the flow's life.
 */
static __always_inline void capture_node(struct __sk_buff *skb, __u32 hook)
{
	__u32 slot = hook + 2; /* scratch slots 2 and 3; the pod programs use 0 and 1 */
	struct event_buf *e = bpf_map_lookup_elem(&scratch, &slot);
	struct flow_key k;

	if (!e)
		return;
	struct capture_event *h = &e->hdr;

	__builtin_memset(h, 0, sizeof(*h));
	if (parse_packet(skb, h) < 0)
		return;
	__u32 dir = flow_key_of(h, &k) & 1;
	struct flow_state *st = bpf_map_lookup_elem(&flows, &k);

	if (!st)
		return;
	count(CNT_NODE_MATCHED, 1);
	if (!worth_copying(h))
		return;
	__u64 now = bpf_ktime_get_ns();

	if (st->node_first_ns[dir] == 0)
		st->node_first_ns[dir] = now;
	st->node_last_ns[dir] = now;
	st->node_ifindex = skb->ifindex;

	h->ts_ns = now;
	h->ifindex = skb->ifindex;
	h->hook = hook;
	h->point = POINT_NODE;
	h->cap_len = 0;
	if (bpf_ringbuf_output(&events, h, EVENT_HDR_LEN, wakeup_flag()) < 0) {
		count(CNT_LOST, 1);
		return;
	}
	count(CNT_NODE_EMITTED, 1);
}

SEC("tc")
int capture_node_ingress(struct __sk_buff *skb)
{
	capture_node(skb, HOOK_INGRESS);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int capture_node_egress(struct __sk_buff *skb)
{
	capture_node(skb, HOOK_EGRESS);
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
