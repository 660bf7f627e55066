// SPDX-License-Identifier: GPL-2.0
/*
 * conntrack.bpf.c - the connection tracker: a sockops program on a cgroup
 * v2 directory (xdpkit_sockops), for the TCP sockets of the processes in
 * it and below it, whatever their network namespace.
 *
 * It runs only on the callbacks that come once per connection (connect,
 * established, a change of state, the SYN of a passive open) and once per
 * retransmission; nothing per packet or per ACK. It asks for the STATE and
 * RETRANS callbacks of the sockets it tracks (keeping what other programs
 * asked for), and answers every other callback with the kernel's default.
 *
 * A connection's record lives in the socket's storage (ct_sk) from its
 * first SYN to its close; a copy of it is in the table "conns" while it is
 * open, for readers (xdp-conntrack --live).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>

#include "conntrack.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xk_ct_select);
} conntrack SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xk_ct_scope);
} ct_scope SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xk_ct_stats);
} ct_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* memory as connections come */
	__uint(max_entries, XK_CT_CONNS);
	__type(key, xk_cookie_t);
	__type(value, struct xk_conn);
} conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XK_CT_SYNS);
	__type(key, struct xk_ct_tuple);
	__type(value, xk_ts_ns_t);
} ct_syns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct xk_conn);
} ct_sk SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, XK_CT_RING_BYTES);
} ct_events SEC(".maps");

/* The kernel's struct sock, as much of it as is read (CO-RE relocates the
 * fields for the running kernel): the socket's error, and its flags, of
 * which SOCK_DONE (bit 1) says that a FIN came in. The flags are
 * sk_flags before 6.x, __sk_common.skc_flags since. */
struct sock_common___xk {
	unsigned long skc_flags;
} __attribute__((preserve_access_index));
struct sock___xk {
	struct sock_common___xk __sk_common;
	int sk_err;
	unsigned long sk_flags;
} __attribute__((preserve_access_index));
#define XK_SOCK_DONE 1

#define AF_INET 2
#define AF_INET6 10
/* errno values (asm-generic/errno.h) */
#define XK_EPIPE 32
#define XK_ENETUNREACH 101
#define XK_ECONNRESET 104
#define XK_ETIMEDOUT 110
#define XK_ECONNREFUSED 111
#define XK_EHOSTUNREACH 113

/* Wake the reader when the bytes waiting cross this mark, not for every
 * event (a wakeup per connection would cost more than the tracking); the
 * reader also reads every 0.1 s by itself. */
#ifndef XK_CT_WAKE_BYTES
#define XK_CT_WAKE_BYTES (16 << 10)
#endif

static __always_inline struct xk_ct_stats *stats(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&ct_stats, &k);
}

/* The addresses and ports of the socket (or request socket) into c. */
static __always_inline void ct_tuple(struct bpf_sock_ops *skops, struct xk_conn *c)
{
	__u32 *s = (__u32 *)c->src, *d = (__u32 *)c->dst;

	if (skops->family == AF_INET6) {
		s[0] = skops->local_ip6[0];
		s[1] = skops->local_ip6[1];
		s[2] = skops->local_ip6[2];
		s[3] = skops->local_ip6[3];
		d[0] = skops->remote_ip6[0];
		d[1] = skops->remote_ip6[1];
		d[2] = skops->remote_ip6[2];
		d[3] = skops->remote_ip6[3];
		/* a v4-mapped peer is IPv4 */
		c->family = s[0] == 0 && s[1] == 0 && s[2] == bpf_htonl(0xffff) ? 4 : 6;
	} else {
		s[0] = 0, s[1] = 0, s[2] = bpf_htonl(0xffff);
		s[3] = skops->local_ip4;
		d[0] = 0, d[1] = 0, d[2] = bpf_htonl(0xffff);
		d[3] = skops->remote_ip4;
		c->family = 4;
	}
	c->sport = (__u16)skops->local_port;
	c->dport = (__u16)bpf_ntohl(skops->remote_port);
}

static __always_inline void ct_syn_key(const struct xk_conn *c, struct xk_ct_tuple *t)
{
	__builtin_memcpy(t->src, c->src, sizeof(t->src));
	__builtin_memcpy(t->dst, c->dst, sizeof(t->dst));
	t->sport = c->sport;
	t->dport = c->dport;
}

/* An event of kind ev about connection c into the ring buffer, when a
 * reader asked for that kind; ext (close, failed) fills the rest. */
static __always_inline struct xk_tcp *ct_event_begin(struct xk_ct_stats *st, const struct xk_conn *c,
						    __u8 ev, __u64 now, __u64 cookie)
{
	__u32 k = 0;
	struct xk_ct_select *sel = bpf_map_lookup_elem(&conntrack, &k);
	struct xk_tcp *e;

	if (!sel || sel->deadline <= now || !(sel->events & (1u << ev)))
		return 0;
	e = bpf_ringbuf_reserve(&ct_events, sizeof(*e), 0);
	if (!e) {
		if (st)
			st->lost++;
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts = now;
	e->event = ev;
	e->role = c->role;
	e->family = c->family;
	e->state = c->state;
	e->sport = c->sport;
	e->dport = c->dport;
	e->error = ~0u;
	__builtin_memcpy(e->src, c->src, sizeof(e->src));
	__builtin_memcpy(e->dst, c->dst, sizeof(e->dst));
	e->cookie = cookie;
	e->pid = c->pid;
	__builtin_memcpy(e->comm, c->comm, sizeof(e->comm));
	if (st)
		st->events++;
	return e;
}

/* Submit e, waking the reader only when this event crosses the mark. */
static __always_inline void ct_submit(struct xk_tcp *e)
{
	__u64 pending = bpf_ringbuf_query(&ct_events, BPF_RB_AVAIL_DATA);

	bpf_ringbuf_submit(e, pending < XK_CT_WAKE_BYTES && pending + sizeof(*e) + 8 >= XK_CT_WAKE_BYTES ?
			   BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

static __always_inline void ct_event(struct xk_ct_stats *st, const struct xk_conn *c, __u8 ev,
				     __u64 now, __u64 cookie)
{
	struct xk_tcp *e = ct_event_begin(st, c, ev, now, cookie);

	if (e)
		ct_submit(e);
}

/* Ask for the callbacks of a tracked socket, keeping what others asked. */
static __always_inline void ct_want(struct bpf_sock_ops *skops)
{
	bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags |
				  BPF_SOCK_OPS_STATE_CB_FLAG | BPF_SOCK_OPS_RETRANS_CB_FLAG);
}

/* Copy c into the live table: a new entry, or over the one it has (in
 * place: an update of a table without preallocation would allocate a new
 * element and free the old one each time). */
static __always_inline void ct_list(struct xk_ct_stats *st, struct xk_conn *c, __u64 cookie)
{
	struct xk_conn *v;

	if (c->_flags & XK_CF_LISTED) {
		v = bpf_map_lookup_elem(&conns, &cookie);
		if (v)
			__builtin_memcpy(v, c, sizeof(*c));
		return;
	}
	c->_flags |= XK_CF_LISTED;
	if (bpf_map_update_elem(&conns, &cookie, c, BPF_NOEXIST)) {
		c->_flags &= ~XK_CF_LISTED;
		if (st)
			st->unlisted++;
	}
}

/* A passive open's SYN: its time, for the duration (a request socket). */
static __always_inline void ct_syn(struct bpf_sock_ops *skops)
{
	struct xk_conn c = {};
	struct xk_ct_tuple t = {};
	__u64 now = bpf_ktime_get_ns();

	ct_tuple(skops, &c);
	ct_syn_key(&c, &t);
	bpf_map_update_elem(&ct_syns, &t, &now, BPF_ANY);
}

static __always_inline void ct_connect(struct bpf_sock_ops *skops)
{
	struct bpf_sock *sk = skops->sk;
	struct xk_ct_stats *st = stats();
	struct xk_conn *c;
	__u64 cookie, now = bpf_ktime_get_ns();

	if (!sk)
		return;
	c = bpf_sk_storage_get(&ct_sk, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!c)
		return;
	__builtin_memset(c, 0, sizeof(*c));
	ct_tuple(skops, c);
	c->role = XK_ROLE_ACTIVE;
	c->state = XK_STATE_SYN_SENT;
	c->start = now;
	/* connect() runs in the process that calls it: its pid is true here,
	 * and nowhere later (callbacks then run in softirq or in any process) */
	c->pid = (__u32)(bpf_get_current_pid_tgid() >> 32);
	bpf_get_current_comm(c->comm, sizeof(c->comm));
	ct_want(skops);
	cookie = bpf_get_socket_cookie(skops);
	if (st)
		st->connects++;
	ct_list(st, c, cookie);
	ct_event(st, c, XK_TCPEV_CONNECT, now, cookie);
}

static __always_inline void ct_established(struct bpf_sock_ops *skops, __u8 role)
{
	struct bpf_sock *sk = skops->sk;
	struct xk_ct_stats *st = stats();
	struct xk_ct_tuple t = {};
	struct xk_conn *c;
	xk_ts_ns_t *syn;
	__u64 cookie, now = bpf_ktime_get_ns();

	if (!sk)
		return;
	c = bpf_sk_storage_get(&ct_sk, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!c)
		return;
	if (role == XK_ROLE_PASSIVE || c->role != XK_ROLE_ACTIVE) {
		/* new: a passive open, or an active one from before the
		 * tracker (no SYN time, no pid: from now) */
		__builtin_memset(c, 0, sizeof(*c));
		ct_tuple(skops, c);
		c->role = role;
		c->start = now;
		c->pid = ~0u;
		if (role == XK_ROLE_PASSIVE) {
			ct_syn_key(c, &t);
			syn = bpf_map_lookup_elem(&ct_syns, &t);
			if (syn) {
				if (*syn && *syn <= now)
					c->start = *syn;
				bpf_map_delete_elem(&ct_syns, &t);
			}
		}
	}
	c->state = XK_STATE_ESTABLISHED;
	c->established = now;
	c->_acked0 = skops->bytes_acked;
	c->_received0 = skops->bytes_received;
	ct_want(skops);
	cookie = bpf_get_socket_cookie(skops);
	if (st) {
		if (role == XK_ROLE_ACTIVE)
			st->active++;
		else
			st->passive++;
	}
	ct_list(st, c, cookie);
	ct_event(st, c, XK_TCPEV_ESTABLISHED, now, cookie);
}

static __always_inline __u8 ct_why(int err, __u8 old)
{
	switch (err) {
	case 0:
		/* no error, closed without a FIN exchange: this end aborted */
		return old == XK_STATE_ESTABLISHED || old == XK_STATE_CLOSE_WAIT ||
		       old == XK_STATE_SYN_SENT || old == XK_STATE_SYN_RECV ? XK_WHY_ABORTED : XK_WHY_NONE;
	case XK_ECONNREFUSED: return XK_WHY_REFUSED;
	case XK_ETIMEDOUT: return XK_WHY_TIMEOUT;
	case XK_EHOSTUNREACH:
	case XK_ENETUNREACH: return XK_WHY_UNREACHABLE;
	case XK_ECONNRESET:
	case XK_EPIPE: return XK_WHY_RESET;
	default: return XK_WHY_OTHER;
	}
}

static __always_inline void ct_histogram(struct xk_ct_stats *st, __u64 us)
{
	struct xk_ct_duration *h = &st->duration;

	st->duration_sum_us += us;
	if (us <= 1000)
		h->le_1ms++;
	else if (us <= 10000)
		h->le_10ms++;
	else if (us <= 100000)
		h->le_100ms++;
	else if (us <= 1000000)
		h->le_1s++;
	else if (us <= 10000000)
		h->le_10s++;
	else if (us <= 60000000)
		h->le_1min++;
	else if (us <= 600000000)
		h->le_10min++;
	else if (us <= 3600000000ULL)
		h->le_1h++;
	else
		h->le_inf++;
}

/* The end of a tracked connection: closed, or failed before established. */
static __always_inline void ct_close(struct bpf_sock_ops *skops, struct bpf_sock *sk,
				     struct xk_conn *c, __u8 old)
{
	struct xk_ct_stats *st = stats();
	struct sock___xk *s = (struct sock___xk *)bpf_skc_to_tcp_sock(sk);
	__u64 cookie = bpf_get_socket_cookie(skops), now = bpf_ktime_get_ns();
	__u64 sent, received, us;
	unsigned long flags = 0;
	struct xk_tcp *e;
	int err = 0;
	__u8 why;

	if (s) {
		err = s->sk_err;
		if (bpf_core_field_exists(s->sk_flags))
			flags = s->sk_flags;
		else
			flags = s->__sk_common.skc_flags;
	}
	why = ct_why(err, old);
	us = now > c->start ? (now - c->start) / 1000 : 0;
	c->state = old; /* the last state before CLOSE, for the event */
	if (c->established) {
		/* payload only: the FIN counts in the sequence numbers */
		sent = skops->bytes_acked - c->_acked0;
		if ((c->_flags & XK_CF_FIN_OUT) && skops->snd_una == skops->snd_nxt && sent)
			sent--;
		received = skops->bytes_received - c->_received0;
		if ((flags & (1ul << XK_SOCK_DONE)) && received)
			received--;
		if (st) {
			st->closed++;
			if (why == XK_WHY_RESET)
				st->resets++;
			ct_histogram(st, us);
		}
	} else {
		sent = 0, received = 0;
		if (st) {
			if (why == XK_WHY_REFUSED)
				st->failed_refused++;
			else if (why == XK_WHY_TIMEOUT)
				st->failed_timeout++;
			else if (why == XK_WHY_UNREACHABLE)
				st->failed_unreachable++;
			else if (why == XK_WHY_ABORTED)
				st->failed_aborted++;
			else
				st->failed_other++;
		}
	}
	if (c->_flags & XK_CF_LISTED)
		bpf_map_delete_elem(&conns, &cookie);
	c->_flags &= ~XK_CF_LISTED;
	e = ct_event_begin(st, c, c->established ? XK_TCPEV_CLOSE : XK_TCPEV_FAILED, now, cookie);
	if (e) {
		e->closed_by = c->_flags & XK_CF_CLOSER_BOTH ? XK_CLOSER_BOTH :
			       c->_flags & XK_CF_CLOSER_LOCAL ? XK_CLOSER_LOCAL :
			       c->_flags & XK_CF_CLOSER_REMOTE ? XK_CLOSER_REMOTE : XK_CLOSER_NONE;
		e->reason = why;
		e->error = (__u32)err;
		e->duration_us = us;
		e->bytes_sent = sent;
		e->bytes_received = received;
		e->retransmits = skops->total_retrans;
		e->srtt_us = skops->srtt_us >> 3;
		ct_submit(e);
	}
	c->role = 0; /* done: a reconnect of the socket starts anew */
}

static __always_inline void ct_state(struct bpf_sock_ops *skops)
{
	struct bpf_sock *sk = skops->sk;
	struct xk_ct_stats *st;
	struct xk_conn *c;
	__u64 cookie;
	__u8 old = (__u8)skops->args[0], new = (__u8)skops->args[1];

	if (!sk)
		return;
	c = bpf_sk_storage_get(&ct_sk, sk, 0, 0);
	if (!c || !c->role)
		return;
	if (new == XK_STATE_FIN_WAIT1 || new == XK_STATE_LAST_ACK)
		c->_flags |= XK_CF_FIN_OUT;
	if (!(c->_flags & (XK_CF_CLOSER_LOCAL | XK_CF_CLOSER_REMOTE))) {
		if (new == XK_STATE_FIN_WAIT1)
			c->_flags |= XK_CF_CLOSER_LOCAL;
		else if (new == XK_STATE_CLOSE_WAIT)
			c->_flags |= XK_CF_CLOSER_REMOTE;
	}
	/* their FIN before ours was acked: they sent it before they had ours */
	if (old == XK_STATE_FIN_WAIT1 && new == XK_STATE_CLOSING)
		c->_flags |= XK_CF_CLOSER_BOTH;
	if (new == XK_STATE_CLOSE) {
		ct_close(skops, sk, c, old);
		return;
	}
	/* the established callback tells of that one; close() of a socket
	 * that shut down its side already sets the state it has */
	if (new == XK_STATE_ESTABLISHED || new == old)
		return;
	c->state = new;
	st = stats();
	cookie = bpf_get_socket_cookie(skops);
	ct_list(st, c, cookie);
	ct_event(st, c, XK_TCPEV_STATE, bpf_ktime_get_ns(), cookie);
}

static __always_inline void ct_retrans(struct bpf_sock_ops *skops)
{
	struct bpf_sock *sk = skops->sk;
	struct xk_ct_stats *st;
	struct xk_conn *c;

	if (!sk)
		return;
	c = bpf_sk_storage_get(&ct_sk, sk, 0, 0);
	/* args: seq, segments, error: total_retrans counts the segments of
	 * a retransmission that went out */
	if (!c || !c->role || skops->args[2])
		return;
	c->retransmits += skops->args[1];
	st = stats();
	if (st)
		st->retransmits += skops->args[1];
	if (c->_flags & XK_CF_LISTED)
		ct_list(st, c, bpf_get_socket_cookie(skops));
}

SEC("sockops")
int xdpkit_sockops(struct bpf_sock_ops *skops)
{
	__u32 k = 0;
	struct xk_ct_select *sel = bpf_map_lookup_elem(&conntrack, &k);

	/* attached for a reader that is gone (killed): nothing more to do
	 * until the next xdpkit command takes it off */
	if (sel && sel->attached && sel->deadline <= bpf_ktime_get_ns())
		return 1;
	switch (skops->op) {
	case BPF_SOCK_OPS_TIMEOUT_INIT:
		/* for a SYN received: a request socket (not full) */
		if (!skops->is_fullsock)
			ct_syn(skops);
		break;
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		ct_connect(skops);
		break;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		ct_established(skops, XK_ROLE_ACTIVE);
		break;
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		ct_established(skops, XK_ROLE_PASSIVE);
		break;
	case BPF_SOCK_OPS_STATE_CB:
		ct_state(skops);
		break;
	case BPF_SOCK_OPS_RETRANS_CB:
		ct_retrans(skops);
		break;
	}
	/* reply stays 0: the kernel's defaults (RTO, window, ECN) */
	return 1;
}

/* The types the maps do not name, for the helpers' BTF (xk-drain). */
struct xk_ct_types {
	struct xk_tcp tcp;
	enum xk_tcpev ev;
	enum xk_role role;
	enum xk_STATE state;
	enum xk_closer closer;
	enum xk_tcpwhy why;
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xk_ct_types);
} _ct_types SEC(".maps");
