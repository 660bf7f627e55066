/* SPDX-License-Identifier: GPL-2.0 */
/*
 * conntrack.h - the pinned-map API of the connection tracker
 * (bpf/conntrack.bpf.c, a sockops program on a cgroup v2 directory): its
 * keys, values and events, once. The printing rules of the typedefs are
 * those of bpf/xdpkit.h (helpers/btfjson.c).
 */
#ifndef XDPKIT_CONNTRACK_H
#define XDPKIT_CONNTRACK_H

#include "xdpkit.h"

/* What happened to a connection (an event's "event"). */
enum xk_tcpev {
	XK_TCPEV_CONNECT = 1,         /* active: the first SYN is sent */
	XK_TCPEV_ESTABLISHED = 2,     /* active or passive */
	XK_TCPEV_STATE = 3,           /* any other change of state */
	XK_TCPEV_CLOSE = 4,           /* an established connection ends */
	XK_TCPEV_FAILED = 5,          /* an active open ends before established */
};

enum xk_role {
	XK_ROLE_NONE = 0,             /* not tracked */
	XK_ROLE_ACTIVE = 1,           /* connect() */
	XK_ROLE_PASSIVE = 2,          /* accepted from a listener */
};

/* The kernel's TCP states (include/net/tcp_states.h), by their numbers. */
enum xk_STATE {
	XK_STATE_ESTABLISHED = 1,
	XK_STATE_SYN_SENT = 2,
	XK_STATE_SYN_RECV = 3,
	XK_STATE_FIN_WAIT1 = 4,
	XK_STATE_FIN_WAIT2 = 5,
	XK_STATE_TIME_WAIT = 6,
	XK_STATE_CLOSE = 7,
	XK_STATE_CLOSE_WAIT = 8,
	XK_STATE_LAST_ACK = 9,
	XK_STATE_LISTEN = 10,
	XK_STATE_CLOSING = 11,
	XK_STATE_NEW_SYN_RECV = 12,
};

/* Who sent the first FIN: local, remote, both (a simultaneous close: each
 * sent its FIN before it had the other's), or none (a reset, a failed
 * connect). */
enum xk_closer {
	XK_CLOSER_NONE = 0,
	XK_CLOSER_LOCAL = 1,
	XK_CLOSER_REMOTE = 2,
	XK_CLOSER_BOTH = 3,
};

/* Why an active open failed, from the socket's error (a "failed" event's
 * "reason"); for a close, why it was not a FIN exchange (reset, timeout):
 * none when it was. */
enum xk_tcpwhy {
	XK_WHY_NONE = 0,
	XK_WHY_REFUSED = 1,           /* ECONNREFUSED: a RST answered the SYN */
	XK_WHY_TIMEOUT = 2,           /* ETIMEDOUT: no answer in time */
	XK_WHY_UNREACHABLE = 3,       /* EHOSTUNREACH, ENETUNREACH (ICMP) */
	XK_WHY_RESET = 4,             /* ECONNRESET, EPIPE: the peer reset it */
	XK_WHY_ABORTED = 5,           /* no error: closed by this end first */
	XK_WHY_OTHER = 6,             /* another error: see "error" */
};

typedef __u8 xk_tcpev8_t;
typedef __u8 xk_role8_t;
typedef __u8 xk_state8_t;
typedef __u8 xk_closer8_t;
typedef __u8 xk_tcpwhy8_t;
typedef __u64 xk_cookie_t;    /* the socket's cookie: the key of a connection */
typedef char xk_comm_t[16];   /* a command name; empty prints as null */

/* Map "conntrack", an array of one entry: the settings of a run of
 * xdp-conntrack (events only: the counters count without a reader). */
struct xk_ct_select {
	xk_ts_ns_t deadline;          /* CLOCK_MONOTONIC ns; 0: no events */
	xk_gauge_t pid;               /* the xdp-conntrack that owns it */
	xk_gauge_t attached;          /* 1: it attached the tracker for itself */
	xk_gauge_t events;            /* bits 1 << enum xk_tcpev to write */
	xk_gauge_t _pad;
};

/* Map "ct_scope", an array of one entry: the cgroup it is attached to,
 * written by xdp-attach. */
struct xk_ct_scope {
	xk_gauge64_t cgroup_id;       /* the directory's inode number */
	char path[1024];              /* the directory, as given */
};

/* Durations of closed connections, in buckets: le_N counts those of at
 * most N that are longer than the bucket before (Prometheus sums them). */
struct xk_ct_duration {
	__u64 le_1ms;
	__u64 le_10ms;
	__u64 le_100ms;
	__u64 le_1s;
	__u64 le_10s;
	__u64 le_1min;
	__u64 le_10min;
	__u64 le_1h;
	__u64 le_inf;
};

/* Map "ct_stats", a per-CPU array of one entry. */
struct xk_ct_stats {
	__u64 connects;               /* active opens: first SYN sent */
	__u64 active;                 /* active opens established */
	__u64 passive;                /* passive opens established */
	__u64 closed;                 /* established connections closed */
	__u64 failed_refused;         /* active opens failed, by reason */
	__u64 failed_timeout;
	__u64 failed_unreachable;
	__u64 failed_aborted;
	__u64 failed_other;
	__u64 resets;                 /* closes that were resets (reason reset) */
	__u64 retransmits;            /* segments retransmitted, all tracked */
	__u64 unlisted;               /* live connections the table had no room for */
	__u64 events;                 /* written to the ring buffer */
	__u64 lost;                   /* the ring buffer was full */
	__u64 duration_sum_us;        /* the closed ones' durations, added up */
	struct xk_ct_duration duration;
};

/* A connection: its socket's storage (map "ct_sk", per socket), and the
 * live table "conns" (a hash by the socket's cookie, a copy for readers). */
struct xk_conn {
	xk_addr_t src;                /* the local end */
	xk_addr_t dst;                /* the remote end */
	__u16 sport;                  /* host order */
	__u16 dport;
	__u8 family;                  /* 4 or 6 (v4-mapped IPv6 sockets: 4) */
	xk_role8_t role;
	xk_state8_t state;            /* as of its last change */
	__u8 _flags;                  /* XK_CF_*: for the datapath */
	xk_ts_ns_t start;             /* the first SYN (sent or received) */
	xk_ts_ns_t established;       /* 0: not yet */
	xk_maybe_t pid;               /* the connecting process (active) */
	__u32 retransmits;
	xk_comm_t comm;
	__u64 _acked0;                /* bytes_acked when established */
	__u64 _received0;             /* bytes_received when established */
};

#define XK_CF_FIN_OUT 1               /* this end sent a FIN */
#define XK_CF_LISTED 2                /* it has an entry in conns */
#define XK_CF_CLOSER_LOCAL 4          /* this end's FIN came first */
#define XK_CF_CLOSER_REMOTE 8
#define XK_CF_CLOSER_BOTH 16

#ifndef XK_CT_CONNS
#define XK_CT_CONNS 65536             /* live connections listed */
#endif
#ifndef XK_CT_SYNS
#define XK_CT_SYNS 4096               /* passive opens between SYN and ACK */
#endif
#ifndef XK_CT_RING_BYTES
#define XK_CT_RING_BYTES (1 << 20)    /* ~5,000 events */
#endif

/* Map "ct_syns": when each pending passive open's SYN came (a request
 * socket has no storage), by its addresses and ports; LRU. */
struct xk_ct_tuple {
	xk_addr_t src;
	xk_addr_t dst;
	__u16 sport;
	__u16 dport;
};

/* Ring buffer "ct_events": one event per change, while a reader runs. */
struct xk_tcp {
	xk_ts_ns_t ts;
	xk_tcpev8_t event;
	xk_role8_t role;
	__u8 family;
	xk_state8_t state;            /* the new state; close, failed: the last
	                               * one before CLOSE */
	xk_closer8_t closed_by;
	xk_tcpwhy8_t reason;
	__u16 sport;                  /* the local end */
	__u16 dport;                  /* the remote end */
	__u16 _pad;
	xk_maybe_t error;             /* the socket's errno (close, failed) */
	xk_addr_t src;
	xk_addr_t dst;
	xk_cookie_t cookie;
	xk_maybe_t pid;               /* known for active opens only */
	xk_comm_t comm;
	__u64 duration_us;            /* from the first SYN (close, failed) */
	__u64 bytes_sent;             /* payload: SYN and FIN not counted */
	__u64 bytes_received;
	__u32 retransmits;            /* the socket's total_retrans */
	__u32 srtt_us;
};

#endif /* XDPKIT_CONNTRACK_H */
