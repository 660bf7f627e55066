// SPDX-License-Identifier: GPL-2.0
/*
 * xdpkit.bpf.c - the datapath: one object per interface, on ingress XDP
 * (xdpkit_ingress) or tc clsact (xdpkit_tc_in), on egress tc clsact
 * (xdpkit_egress), all running the same code. Features are bits in the
 * "config" map, switched by user space without reloading; a feature that is
 * off costs one branch. A monitor never changes the traffic: XDP returns
 * XDP_PASS and tc returns TC_ACT_UNSPEC (next filter decides) on every path.
 *
 * Every counter is per-CPU (no atomics, no shared cache lines: see
 * `make bench`, which measures this against a shared-map reference).
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "xdpkit.h"
#include "parse.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xk_config);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XK_NDIRS);
	__type(key, xk_dir_t);
	__type(value, struct xk_global);
} global SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, xk_proto_t);
	__type(value, struct xk_proto_ctr);
} protos SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XK_FLOW_SLOTS / XK_WAYS);
	__type(key, __u32);
	__type(value, struct xk_flow_set);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XK_PORT_SLOTS / XK_WAYS);
	__type(key, __u32);
	__type(value, struct xk_port_set);
} ports SEC(".maps");

/* The kernel's struct bpf_map, as much of it as is read: the number of sets
 * of a table, whatever size xdp-attach made it (CO-RE relocates the field
 * for the running kernel). */
struct bpf_map {
	__u32 max_entries;
} __attribute__((preserve_access_index));

static __always_inline __u32 xk_sets_mask(void *map, __u32 build_sets)
{
#ifdef XK_BENCH_CONST_MASK /* tests/bench/constmask.bpf.c: what reading it costs */
	(void)map;
	return build_sets - 1;
#else
	(void)build_sets;
	return ((struct bpf_map *)map)->max_entries - 1;
#endif
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xk_clock);
} clock SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xk_capture);
} capture SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xk_capture_state);
} capture_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XK_NDIRS);
	__type(key, xk_dir_t);
	__type(value, struct xk_capture_stats);
} capture_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, XK_RING_BYTES);
} packets SEC(".maps");

/* An event with its payload is built here, then copied into the ring
 * (bpf_ringbuf_output: the record is as long as the bytes taken). */
union xk_packet_buf {
	struct xk_packet ev;  /* also puts struct xk_packet in the BTF */
	__u64 w[(sizeof(struct xk_packet) + XK_SNAP_MAX) / 8];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, union xk_packet_buf);
} capture_buf SEC(".maps");

/* Wake the reader only when this much is waiting; it polls on a timer for
 * the rest (PERF-NOTES: 2.8 times the events a second of waking it for
 * every event). */
#define XK_WAKE_BYTES (64 << 10)

_Static_assert(sizeof(struct xk_flow_key) == 40, "flow key: 5 words");
_Static_assert((XK_FLOW_SLOTS & (XK_FLOW_SLOTS - 1)) == 0 && XK_FLOW_SLOTS >= XK_WAYS,
	       "XK_FLOW_SLOTS: a power of two, at least XK_WAYS");
_Static_assert((XK_PORT_SLOTS & (XK_PORT_SLOTS - 1)) == 0 && XK_PORT_SLOTS >= XK_WAYS,
	       "XK_PORT_SLOTS: a power of two, at least XK_WAYS");

/* A seam for tests/fixtures/rebuilt.bpf.c: other code, same maps. */
#ifndef XK_TEST_HOOK
#define XK_TEST_HOOK() ((void)0)
#endif

static __always_inline void xk_size(struct xk_sizes *s, __u64 len, __u64 n)
{
	if (len <= 64)
		s->le_64 += n;
	else if (len <= 128)
		s->le_128 += n;
	else if (len <= 256)
		s->le_256 += n;
	else if (len <= 512)
		s->le_512 += n;
	else if (len <= 1024)
		s->le_1024 += n;
	else if (len <= 1518)
		s->le_1518 += n;
	else if (len <= 9000)
		s->le_9000 += n;
	else
		s->le_inf += n;
}

/* CLOCK_MONOTONIC at jiffy resolution: the coarse clock is read once per tick
 * per CPU, and the jiffies counter (inlined by the verifier) says when. */
static __always_inline __u64 xk_now(void)
{
	__u32 zero = 0;
	struct xk_clock *c = bpf_map_lookup_elem(&clock, &zero);
	__u64 j = bpf_jiffies64();

	if (!c)
		return 0;
	if (c->jiffies != j) {
		c->jiffies = j;
		c->ns = bpf_ktime_get_coarse_ns();
	}
	return c->ns;
}

static __always_inline __u32 xk_mix64(__u64 h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (__u32)h;
}

/* Keys of five 8-byte words (flows, pending DNS queries): their hash, and
 * whether two are equal. */
static __always_inline __u32 xk_hash5(const void *key)
{
	const __u64 *k = key;
	__u64 h = k[0] ^ (k[1] * 0x9e3779b97f4a7c15ULL) ^ (k[2] * 0xc2b2ae3d27d4eb4fULL) ^
		  (k[3] * 0x165667b19e3779f9ULL) ^ (k[4] * 0x27d4eb2f165667c5ULL);

	return xk_mix64(h);
}

static __always_inline int xk_eq5(const void *a, const void *b)
{
	const __u64 *x = a, *y = b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3] && x[4] == y[4];
}

/* The set a flow key hashes to. */
static __always_inline __u32 xk_flow_set(const __u64 *k)
{
	return xk_hash5(k) & xk_sets_mask(&flows, XK_FLOW_SLOTS / XK_WAYS);
}

/* An eviction is charged to the direction of the entry it pushes out, so
 * that per direction, created - evictions = the slots that direction holds. */
static __always_inline struct xk_global *xk_global_of(struct xk_global *g, __u32 cur,
						      __u32 dir)
{
	if (dir == cur)
		return g;
	return bpf_map_lookup_elem(&global, &dir);
}

static __always_inline void xk_flow(struct xk_pkt *p, struct xk_global *g, __u64 now)
{
	const __u64 *k = (const __u64 *)&p->key;
	struct xk_flow_slot *s, *free = NULL, *victim = NULL;
	__u64 oldest = ~0ULL;
	__u32 idx = xk_flow_set(k);
	struct xk_flow_set *set = bpf_map_lookup_elem(&flows, &idx);
	int i;

	if (!set)
		return;
#pragma unroll
	for (i = 0; i < XK_WAYS; i++) {
		s = &set->way[i];
		if (xk_eq5(&s->key, k)) {
			s->packets += p->segs;
			s->bytes += p->wire;
			s->last_seen = now;
			s->tcp_flags |= p->tcp_flags;
			return;
		}
		if (!s->key.family) {
			if (!free)
				free = s;
		} else if (s->last_seen < oldest) {
			oldest = s->last_seen;
			victim = s;
		}
	}
	s = free;
	if (!s) {
		struct xk_global *eg;

		s = victim;
		if (!s)
			return;
		eg = xk_global_of(g, p->key.dir, s->key.dir);
		if (eg)
			eg->flow_evictions++;
	}
	g->flows_created++;
	__builtin_memcpy(&s->key, &p->key, sizeof(s->key));
	s->packets = p->segs;
	s->bytes = p->wire;
	s->first_seen = now;
	s->last_seen = now;
	s->tcp_flags = p->tcp_flags;
}

/*
 * The service side of a TCP or UDP packet: the port a SYN goes to, the port
 * a SYN-ACK comes from, else the lower-numbered of the two (the rule ntop and
 * iftop use: services listen on low ports, clients send from ephemeral ones).
 */
static __always_inline xk_be16_t xk_service_port(const struct xk_pkt *p)
{
	__u16 sport = bpf_ntohs(p->key.sport), dport = bpf_ntohs(p->key.dport);
	__u8 synack = p->tcp_flags & 0x12;

	if (synack == 0x02)
		return p->key.dport;
	if (synack == 0x12)
		return p->key.sport;
	return sport < dport ? p->key.sport : p->key.dport;
}

static __always_inline void xk_port(struct xk_pkt *p, struct xk_global *g)
{
	struct xk_port_key pk = {
		.port = xk_service_port(p),
		.proto = p->key.proto,
		.dir = p->key.dir,
	};
	__u32 k = *(__u32 *)&pk;
	__u32 idx = xk_mix64(k * 0x9e3779b97f4a7c15ULL) & xk_sets_mask(&ports, XK_PORT_SLOTS / XK_WAYS);
	struct xk_port_set *set = bpf_map_lookup_elem(&ports, &idx);
	/* SYN without ACK: a connection attempt */
	__u64 syn = (p->tcp_flags & 0x12) == 0x02;
	struct xk_port_slot *s, *free = NULL, *victim = NULL;
	__u64 fewest = ~0ULL;
	int i;

	if (!set)
		return;
#pragma unroll
	for (i = 0; i < XK_WAYS; i++) {
		s = &set->way[i];
		if (*(__u32 *)&s->key == k) {
			s->packets += p->segs;
			s->bytes += p->wire;
			s->syns += syn;
			return;
		}
		if (!s->key.proto) {
			if (!free)
				free = s;
		} else if (s->packets < fewest) {
			fewest = s->packets;
			victim = s;
		}
	}
	s = free;
	if (!s) {
		/* full set: push out the lightest port, so that a scan of
		 * one-packet ports cannot displace a busy service for good */
		struct xk_global *eg;

		s = victim;
		if (!s)
			return;
		eg = xk_global_of(g, p->key.dir, s->key.dir);
		if (eg)
			eg->port_evictions++;
	}
	g->ports_created++;
	s->key = pk;
	s->packets = p->segs;
	s->bytes = p->wire;
	s->syns = syn;
}

static __always_inline void xk_stats(struct xk_pkt *p, int parsed, struct xk_global *g)
{
	xk_proto_t proto;
	struct xk_proto_ctr *pc;

	__u32 n = p->segs;

	if (n > 1) {
		/* a GSO packet: full frames of headers and gso_size bytes, and
		 * the rest in the last one */
		__u64 full = p->hdrs + p->tag + p->gso_size;

		xk_size(&g->sizes, full, n - 1);
		xk_size(&g->sizes, p->wire - (n - 1) * full, 1);
	} else {
		xk_size(&g->sizes, p->wire, 1);
	}
	if (parsed == XK_P_ERROR) {
		g->parse_errors += n;
		return;
	}
	if (parsed == XK_P_NON_IP) {
		g->non_ip += n;
		return;
	}
	if (p->key.family == 4)
		g->ipv4 += n;
	else
		g->ipv6 += n;
	proto = p->key.proto;
	if (proto == IPPROTO_TCP)
		g->tcp += n;
	else if (proto == IPPROTO_UDP)
		g->udp += n;
	else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
		g->icmp += n;
	else
		g->other += n;
	if (p->frag)
		g->fragments += n;

	pc = bpf_map_lookup_elem(&protos, &proto);
	if (pc) {
		struct xk_ctr *c = p->key.dir == XK_DIR_EGRESS ? &pc->egress : &pc->ingress;

		c->packets += n;
		c->bytes += p->wire;
	}
	xk_flow(p, g, xk_now());
	if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) && !p->frag)
		xk_port(p, g);
}

static __always_inline int xk_addr_eq(const __u8 *a, const __u8 *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1];
}

/* Does the packet pass the capture's filters? (xk_capture, in order) */
static __always_inline int xk_capture_match(const struct xk_capture *c,
					    const struct xk_pkt *p, int parsed)
{
	__u32 m = c->match;

	if (!(m & (p->dir == XK_DIR_EGRESS ? XK_CM_EGRESS : XK_CM_INGRESS)))
		return 0;
	if (!(m & (XK_CM_PROTO | XK_CM_PORT | XK_CM_HOST)))
		return 1;
	if (parsed != XK_P_IP)
		return 0;
	if ((m & XK_CM_PROTO) && p->key.proto != c->proto)
		return 0;
	if ((m & XK_CM_PORT) && p->key.sport != c->port && p->key.dport != c->port)
		return 0;
	if ((m & XK_CM_HOST) && !xk_addr_eq(p->key.src, c->host) &&
	    !xk_addr_eq(p->key.dst, c->host))
		return 0;
	return 1;
}

/* The event's fields but the payload. */
static __always_inline void xk_event_fill(struct xk_packet *ev, const struct xk_pkt *p,
					  int parsed, __u16 caplen)
{
	_Static_assert(sizeof(struct xk_packet) % 8 == 0, "the payload starts aligned");
	__builtin_memcpy(ev->src, p->key.src, sizeof(ev->src));
	__builtin_memcpy(ev->dst, p->key.dst, sizeof(ev->dst));
	ev->sport = p->key.sport;
	ev->dport = p->key.dport;
	ev->proto = p->key.proto;
	ev->family = p->key.family;
	ev->dir = p->dir;
	ev->tcp_flags = p->tcp_flags;
	ev->len = p->len + p->tag;
	ev->segs = p->segs;
	ev->ethertype = p->ethertype;
	ev->vlan[0] = 0;
	ev->vlan[1] = 0;
	ev->parse = parsed;
	ev->_pad = 0;
	ev->caplen = caplen;
	ev->ts = bpf_ktime_get_ns();
}

/* The VLAN ids of a packet: a tag the skb holds out of its data (tc) is the
 * outer one. */
static __always_inline void xk_event_vlans(struct xk_packet *ev, const struct xk_pkt *p,
					   struct __sk_buff *skb)
{
	int i = 0;

	if (skb && p->tag)
		ev->vlan[i++] = 0x8000 | (skb->vlan_tci & 0xfff);
	if (p->nvlan > 0 && i < 2)
		ev->vlan[i++] = 0x8000 | (bpf_ntohs(p->vlan[0]) & 0xfff);
	if (p->nvlan > 1 && i < 2)
		ev->vlan[i] = 0x8000 | (bpf_ntohs(p->vlan[1]) & 0xfff);
}

/* The first n bytes of the frame (1..XK_SNAP_MAX) into buf, as the wire
 * carries them: a VLAN tag that the skb holds out of its data goes back in
 * after the MAC addresses. */
static __always_inline int xk_event_bytes(__u8 *buf, __u32 n, const struct xk_pkt *p,
					  struct __sk_buff *skb, const void *data)
{
	if (n > XK_SNAP_MAX)
		return -1;
	if (!skb) /* XDP: the frame's linear part, which holds all of n */
		return bpf_probe_read_kernel(buf, n, data);
	if (p->tag && n > 16) {
		__be16 tag[2] = { skb->vlan_proto, bpf_htons(skb->vlan_tci) };

		if (bpf_skb_load_bytes(skb, 0, buf, 12))
			return -1;
		__builtin_memcpy(buf + 12, tag, 4);
		n -= 16;
		if (n > XK_SNAP_MAX - 16)
			return -1;
		return bpf_skb_load_bytes(skb, 12, buf + 16, n);
	}
	if (p->tag) /* too short for the tag: the bytes of the data */
		n = n > 16 ? 16 : n;
	if (n > XK_SNAP_MAX)
		return -1;
	return bpf_skb_load_bytes(skb, 0, buf, n);
}

/*
 * Capture: one event into "packets" for a packet that the selection takes
 * (struct xk_capture). A packet it rejects costs the compares; a ring
 * buffer that is full costs the event, counted in capture_stats.lost.
 */
static __always_inline void xk_capture(struct xk_pkt *p, int parsed, struct __sk_buff *skb,
				       const void *data, __u32 avail)
{
	__u32 zero = 0;
	struct xk_capture *c = bpf_map_lookup_elem(&capture, &zero);
	struct xk_capture_state *st;
	struct xk_capture_stats *cs;
	__u32 snap, n;
	__u64 flags, pending;

	if (!c || xk_now() >= c->deadline || !xk_capture_match(c, p, parsed))
		return;
	st = bpf_map_lookup_elem(&capture_state, &zero);
	cs = bpf_map_lookup_elem(&capture_stats, &p->dir);
	if (!st || !cs)
		return;
	if (c->sample > 1 && __sync_fetch_and_add(&st->passed, 1) % c->sample)
		return;
	if (c->rate) {
		__u64 sec = xk_now() / 1000000000ULL;

		if (st->window != sec) {
			st->window = sec;
			st->in_window = 0;
		}
		if (__sync_fetch_and_add(&st->in_window, 1) >= c->rate) {
			cs->capped++;
			return;
		}
	}
	/* wake the reader when this event takes what is waiting past the
	 * mark, not for every event after: a wakeup is an interrupt (in a VM,
	 * an exit), and a reader behind on a full ring would pay one per event */
	pending = bpf_ringbuf_query(&packets, BPF_RB_AVAIL_DATA);
	snap = c->snaplen;
	n = p->len + p->tag;
	if (n > snap)
		n = snap;
	if (!skb && n > avail)
		n = avail;
	if (n > XK_SNAP_MAX)
		n = XK_SNAP_MAX;
	flags = pending < XK_WAKE_BYTES && pending + sizeof(struct xk_packet) + 8 + n >= XK_WAKE_BYTES ?
		BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	if (n == 0) {
		struct xk_packet *ev = bpf_ringbuf_reserve(&packets, sizeof(*ev), 0);

		if (!ev) {
			cs->lost++;
			return;
		}
		xk_event_fill(ev, p, parsed, 0);
		xk_event_vlans(ev, p, skb);
		bpf_ringbuf_submit(ev, flags);
	} else {
		union xk_packet_buf *b = bpf_map_lookup_elem(&capture_buf, &zero);
		struct xk_packet *ev = &b->ev;

		if (!b || xk_event_bytes((__u8 *)b + sizeof(*ev), n, p, skb, data))
			return;
		xk_event_fill(ev, p, parsed, n);
		xk_event_vlans(ev, p, skb);
		if (bpf_ringbuf_output(&packets, b, sizeof(*ev) + n, flags)) {
			cs->lost++;
			return;
		}
	}
	cs->events++;
}

/*
 * At tc the headers may not all be in the linear part: then pull them in
 * and parse again, in a function of its own (a global function: the
 * verifier checks it once on its own, rather than the parser a second time
 * inline on every path of the program). It reads the frame from the skb
 * and fills in the parse results of *out (out->len and out->dir are its
 * inputs). Rare: a frame whose headers are not linear.
 */
__noinline enum xk_parse xk_parse_pulled(struct __sk_buff *skb, struct xk_pkt *out)
{
	struct xk_pkt p = {};
	int r;

	if (!out)
		return XK_P_ERROR;
	if (bpf_skb_pull_data(skb, out->len < 256 ? out->len : 256))
		return XK_P_ERROR;
	p.data = (void *)(long)skb->data;
	p.data_end = (void *)(long)skb->data_end;
	p.len = out->len;
	p.dir = out->dir;
	r = xk_parse(&p);
	__builtin_memcpy(&out->key, &p.key, sizeof(p.key));
	out->tcp_flags = p.tcp_flags;
	out->frag = p.frag;
	out->first_frag = p.first_frag;
	out->hdrs = p.hdrs;
	out->pend = p.pend;
	out->nvlan = p.nvlan;
	out->ethertype = p.ethertype;
	out->vlan[0] = p.vlan[0];
	out->vlan[1] = p.vlan[1];
	return r;
}

/* Parse (skb NULL at XDP: the pull branch compiles away there). */
static __always_inline int xk_parse_pull(struct xk_pkt *p, struct __sk_buff *skb)
{
	int parsed = xk_parse(p);

	if (skb && parsed == XK_P_ERROR && (__u64)(p->data_end - p->data) < p->len)
		parsed = xk_parse_pulled(skb, p);
	return parsed;
}

/*
 * Every feature that is on, on one packet, parsed once (one call site of
 * the parser: each more is the parser checked again by the verifier, on
 * every path that leads there).
 *
 * Count what the wire carries: at tc a GSO packet is one skb for gso_segs
 * frames, each with its own copy of the headers, so it counts as that many
 * packets and their bytes (the skb's length and the headers of every frame
 * but the first). Its headers are parsed for that even with only "count"
 * on; an ordinary packet costs count nothing more.
 *
 * Capture and DNS are left to the caller (functions of their own for the
 * verifier: xk_capture_xdp, xk_dns_xdp, ...): returns those of the two that
 * are on, and the parse result in *parsed.
 */
static __always_inline __u32 xk_process(struct xk_pkt *p, struct __sk_buff *skb, int *parsed_out)
{
	__u32 zero = 0;
	struct xk_config *cfg = bpf_map_lookup_elem(&config, &zero);
	struct xk_global *g = NULL;
	int parsed = -1;
	__u32 f;

	if (!cfg)
		return 0;
	f = cfg->features;
	if (f & (XK_F_COUNT | XK_F_STATS)) {
		g = bpf_map_lookup_elem(&global, &p->dir);
		if (!g)
			f &= ~(XK_F_COUNT | XK_F_STATS);
	}
	if (!f)
		return 0;
	if ((f & (XK_F_STATS | XK_F_CAPTURE | XK_F_DNS)) || p->segs > 1)
		parsed = xk_parse_pull(p, skb);
	if (g) {
		p->wire = p->len + p->tag;
		if (p->segs > 1) {
			if (parsed == XK_P_IP && p->hdrs && p->hdrs < p->len)
				p->wire += (__u64)(p->segs - 1) * (p->hdrs + p->tag);
			else
				p->segs = 1; /* headers unknown: one packet, as the skb is */
		}
		g->packets += p->segs;
		g->bytes += p->wire;
		XK_TEST_HOOK();
		if (f & XK_F_STATS)
			xk_stats(p, parsed, g);
	}
	*parsed_out = parsed;
	return f & (XK_F_CAPTURE | XK_F_DNS);
}

/*
 * Capture, in functions the verifier checks once on their own (global
 * functions): inlined after the parse it would be checked again for every
 * path through the parser. p points to the caller's parsed packet.
 */
__noinline int xk_capture_xdp(struct xdp_md *ctx, struct xk_pkt *p, int parsed)
{
	if (!p)
		return 0;
	xk_capture(p, parsed, NULL, (void *)(long)ctx->data, ctx->data_end - ctx->data);
	return 0;
}

__noinline int xk_capture_tc(struct __sk_buff *skb, struct xk_pkt *p, int parsed)
{
	if (skb && p)
		xk_capture(p, parsed, skb, NULL, 0);
	return 0;
}

#include "dns.h"

/* The entry bodies, inline so that tests/bench can wrap them. */
static __always_inline int xk_xdp(struct xdp_md *ctx)
{
	struct xk_pkt p = {
		.data = (void *)(long)ctx->data,
		.data_end = (void *)(long)ctx->data_end,
		.dir = XK_DIR_INGRESS,
	};

	int parsed = -1;
	__u32 more;

	p.len = p.data_end - p.data;
	p.segs = 1;
	more = xk_process(&p, NULL, &parsed);
	if (more & XK_F_CAPTURE)
		xk_capture_xdp(ctx, &p, parsed);
	if ((more & XK_F_DNS) && parsed == XK_P_IP && xk_dns_port(&p))
		xk_dns_xdp(ctx, &p);
	return XDP_PASS;
}

static __always_inline int xk_tc(struct __sk_buff *skb, __u32 dir)
{
	struct xk_pkt p = {
		.data = (void *)(long)skb->data,
		.data_end = (void *)(long)skb->data_end,
		.len = skb->len,
		.dir = dir,
		.segs = skb->gso_segs > 1 ? skb->gso_segs : 1,
		.gso_size = skb->gso_size,
		.tag = skb->vlan_present ? 4 : 0,
	};
	int parsed = -1;
	__u32 more = xk_process(&p, skb, &parsed);

	if (more & XK_F_CAPTURE)
		xk_capture_tc(skb, &p, parsed);
	if ((more & XK_F_DNS) && parsed == XK_P_IP && xk_dns_port(&p))
		xk_dns_tc(skb, &p);
	return TC_ACT_UNSPEC;
}

SEC("xdp")
int xdpkit_ingress(struct xdp_md *ctx)
{
	return xk_xdp(ctx);
}

SEC("tc")
int xdpkit_egress(struct __sk_buff *skb)
{
	return xk_tc(skb, XK_DIR_EGRESS);
}

/* Ingress at tc (xdp-attach --hook tc): after GRO, so a GSO packet there is
 * the frames GRO merged, counted as such. */
SEC("tc")
int xdpkit_tc_in(struct __sk_buff *skb)
{
	return xk_tc(skb, XK_DIR_INGRESS);
}
