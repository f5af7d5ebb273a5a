// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tcp-events.bpf.c — BTF-typed tracepoints (tp_btf) on the kernel's TCP sockets: state changes
 * and retransmits (plus resets sent/received), for the sockets of monitored ports. A separate
 * object from capture.bpf.c: it needs kernel BTF, which the tc program does not, so a kernel
 * without BTF (or without one of these tracepoints) loses only this part. kprobes and fentry are
 * not used: some kernels refuse them; tp_btf needs only BTF and the tracepoint.
 *
 * Each program can be left out at load (user space checks vmlinux BTF for `btf_trace_<name>`
 * first), so an older kernel lacking e.g. tcp_receive_reset still gets the others.
 *
 * Filter: the socket's local or remote port is in `tcp_ports` (filled by user space with the
 * union of the configured ports; this object does not share capture.bpf.c's per-interface map,
 * sockets have no ifindex). Listening sockets (remote port 0) are skipped: they match no flow.
 *
 * Event ABI (host byte order = little-endian on x86/arm64; mirrored by
 * packages/libbpf/src/tcp-events-abi.ts — change both together):
 *
 *   off size field
 *     0    8 ts_ns       bpf_ktime_get_ns() (CLOCK_MONOTONIC)
 *     8    4 netns_ino   inode of the socket's network namespace (= stat -L /proc/<pid>/ns/net)
 *    12    1 kind        1 state change, 2 retransmit, 3 reset sent, 4 reset received
 *    13    1 family      4 | 6
 *    14    1 old_state   kernel TCP state (1 ESTABLISHED … 12 NEW_SYN_RECV); kind 1 only
 *    15    1 new_state   kind 1: the new state; other kinds: the socket's state at the event
 *    16   16 saddr       local address, network order; IPv4 in the first 4 bytes, rest zero
 *    32   16 daddr       remote address
 *    48    2 sport       local port, host order
 *    50    2 dport       remote port, host order
 *    52    4 seq         kind 2/3: sequence number of the segment (TCP_SKB_CB(skb)->seq); else 0
 *    56    8 sock_cookie bpf_get_socket_cookie(): the same for every event of one socket
 *
 * Each ring-buffer record is exactly 64 bytes. The local port is 0 in CLOSE→SYN_SENT: connect()
 * changes the state before it picks the port; the socket cookie ties that event to the later
 * ones. IPv4 peers of an IPv6 socket appear as v4-mapped IPv6 addresses (::ffff:a.b.c.d). Types below declare only the fields read here;
 * `preserve_access_index` makes libbpf relocate them against the running kernel's BTF (CO-RE).
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define EVENT_LEN 64

#define KIND_STATE 1
#define KIND_RETRANSMIT 2
#define KIND_RESET_SENT 3
#define KIND_RESET_RECEIVED 4

#define TCP_TIME_WAIT 6
#define TCP_NEW_SYN_RECV 12

#define AF_INET 2
#define AF_INET6 10

/* counters map indices */
#define CNT_EMITTED 0
#define CNT_LOST 1
#define CNT_MAX 2

struct ns_common {
	unsigned int inum;
} __attribute__((preserve_access_index));

struct net {
	struct ns_common ns;
} __attribute__((preserve_access_index));

typedef struct {
	struct net *net;
} possible_net_t;

struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	volatile unsigned char skc_state;
	possible_net_t skc_net;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));

struct sock {
	struct sock_common __sk_common;
	__u16 sk_protocol;
} __attribute__((preserve_access_index));

struct inet_sock {
	__be16 inet_sport;
} __attribute__((preserve_access_index));

struct sk_buff {
	char cb[48];
} __attribute__((preserve_access_index));

struct tcp_event {
	__u64 ts_ns;
	__u32 netns_ino;
	__u8 kind;
	__u8 family;
	__u8 old_state;
	__u8 new_state;
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u32 seq;
	__u64 sock_cookie;
} __attribute__((packed));

_Static_assert(sizeof(struct tcp_event) == EVENT_LEN, "event must be 64 bytes");
_Static_assert(__builtin_offsetof(struct tcp_event, saddr) == 16, "saddr offset");
_Static_assert(__builtin_offsetof(struct tcp_event, sport) == 48, "sport offset");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);   /* port, host order */
	__type(value, __u8);  /* nonzero */
} tcp_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} tcp_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} tcp_events SEC(".maps");

/* Same reasoning as capture.bpf.c: a wake-up per event costs an IPI; the reader polls every 100 ms. */
#define WAKEUP_BYTES (64 * 1024)

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&tcp_counters, &idx);

	if (c)
		*c += 1; /* per-CPU slot: no atomics needed */
}

static __always_inline int monitored(__u16 port)
{
	return bpf_map_lookup_elem(&tcp_ports, &port) != NULL;
}

static __always_inline __u32 netns_ino(const struct sock *sk)
{
	struct net *net = sk->__sk_common.skc_net.net;

	return net ? net->ns.inum : 0;
}

/* TIME_WAIT and NEW_SYN_RECV sockets are smaller structs (TCP only): only sock_common is there. */
static __always_inline int is_tcp(const struct sock *sk)
{
	__u8 state = sk->__sk_common.skc_state;

	if (state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV)
		return 1;
	return sk->sk_protocol == IPPROTO_TCP;
}

/* Read, not dereferenced: the verifier types sk as struct sock and refuses offsets beyond it. */
static __always_inline __u16 inet_sport(const struct sock *sk)
{
	__be16 p = 0;

	bpf_probe_read_kernel(&p, sizeof(p), &((const struct inet_sock *)sk)->inet_sport);
	return __builtin_bswap16(p);
}

static __always_inline void emit(const struct sock *sk, __u8 kind, __u8 old_state, __u8 new_state, __u32 seq)
{
	struct tcp_event *e;
	__u16 family, sport, dport;

	if (!sk || !is_tcp(sk))
		return;
	family = sk->__sk_common.skc_family;
	if (family != AF_INET && family != AF_INET6)
		return;
	sport = sk->__sk_common.skc_num;
	/* a full socket past close has given its port back (skc_num 0) but still knows it */
	if (sport == 0 && sk->__sk_common.skc_state != TCP_TIME_WAIT && sk->__sk_common.skc_state != TCP_NEW_SYN_RECV)
		sport = inet_sport(sk);
	dport = __builtin_bswap16(sk->__sk_common.skc_dport);
	if (dport == 0)
		return; /* listening socket */
	/* sport is still 0 in CLOSE→SYN_SENT: the remote (server) port decides */
	if (!monitored(sport) && !monitored(dport))
		return;

	e = bpf_ringbuf_reserve(&tcp_events, sizeof(*e), 0);
	if (!e) {
		count(CNT_LOST);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->netns_ino = netns_ino(sk);
	e->kind = kind;
	e->old_state = old_state;
	e->new_state = new_state;
	e->sport = sport;
	e->dport = dport;
	e->seq = seq;
	e->sock_cookie = bpf_get_socket_cookie((void *)sk);
	if (family == AF_INET) {
		__be32 s = sk->__sk_common.skc_rcv_saddr, d = sk->__sk_common.skc_daddr;

		e->family = 4;
		__builtin_memcpy(e->saddr, &s, 4);
		__builtin_memcpy(e->daddr, &d, 4);
	} else {
		e->family = 6;
		bpf_probe_read_kernel(e->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_probe_read_kernel(e->daddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
	bpf_ringbuf_submit(e, bpf_ringbuf_query(&tcp_events, BPF_RB_AVAIL_DATA) >= WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP
												 : BPF_RB_NO_WAKEUP);
	count(CNT_EMITTED);
}

/* TCP_SKB_CB(skb)->seq: struct tcp_skb_cb starts with `__u32 seq` in skb->cb. */
static __always_inline __u32 skb_seq(const struct sk_buff *skb)
{
	__u32 seq = 0;

	if (skb)
		bpf_probe_read_kernel(&seq, sizeof(seq), &skb->cb[0]);
	return seq;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcp_state_change, const struct sock *sk, int oldstate, int newstate)
{
	emit(sk, KIND_STATE, oldstate, newstate, 0);
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tcp_retransmit, const struct sock *sk, const struct sk_buff *skb)
{
	emit(sk, KIND_RETRANSMIT, 0, sk->__sk_common.skc_state, skb_seq(skb));
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(tcp_reset_sent, const struct sock *sk, const struct sk_buff *skb)
{
	/* sk is NULL for a reset answering a packet no socket owns */
	if (sk)
		emit(sk, KIND_RESET_SENT, 0, sk->__sk_common.skc_state, 0);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(tcp_reset_received, const struct sock *sk)
{
	emit(sk, KIND_RESET_RECEIVED, 0, sk->__sk_common.skc_state, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
