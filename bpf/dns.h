/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dns.h - the feature "dns" of the datapath (bpf/xdpkit.bpf.c includes it
 * once): DNS messages decoded, counted, matched query to response, and
 * written as events while a reader runs (bpf/xdpkit.h: struct xk_dns).
 *
 * A packet that is not DNS pays the port compare of xk_dns_port(). A DNS
 * message is read from the frame into a per-CPU buffer (at most
 * XK_DNS_READ bytes: the header and a question with a 255-byte name), and
 * parsed there with every offset masked into the buffer, in a function the
 * verifier checks once on its own (xk_dns_xdp, xk_dns_tc).
 *
 * The name of the question is walked label by label, at most 128 labels:
 * a label of 64 or more (a compression pointer, an extended label type),
 * a label past the message, a name over 255 bytes and a message without a
 * question are malformed: counted, and never followed.
 */
#ifndef XDPKIT_DNS_H
#define XDPKIT_DNS_H

#define XK_DNS_PORT 53
#define XK_DNS_READ 288   /* header 12, name 255, type and class 4, rounded */
#ifndef XK_DNS_BUF
#define XK_DNS_BUF 512    /* the buffer (a power of two): offsets are masked into it */
#endif
#define XK_CLOCK_MONOTONIC 1

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xk_dns_select);
} dns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XK_NDIRS);
	__type(key, xk_dir_t);
	__type(value, struct xk_dns_stats);
} dns_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XK_NRCODES);
	__type(key, xk_rcode_t);
	__type(value, struct xk_dir_ctr);
} dns_rcodes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XK_NQTYPES);
	__type(key, xk_qtype_t);
	__type(value, struct xk_dir_ctr);
} dns_qtypes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XK_DNS_SLOTS / XK_DNS_WAYS);
	__type(key, __u32);
	__type(value, struct xk_dns_set);
} dns_pending SEC(".maps");

/* The sweep's timer: armed by the first query after the feature went on,
 * every second after while it is on. xdp-attach empties the entry when it
 * loads new programs (which cancels the timer): the next query arms it
 * with the new program's sweep. */
struct xk_dns_sweep {
	struct bpf_timer timer;
	__u64 armed;
	__u64 cursor;                 /* the next set to look at */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xk_dns_sweep);
} dns_sweep SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, XK_DNS_RING_BYTES);
} dns_events SEC(".maps");

/* The message's first bytes. The other members put struct xk_dns and the
 * enums its fields and the maps' keys are printed by in the BTF (a type
 * nothing uses is left out of it). */
union xk_dns_buf {
	__u8 m[XK_DNS_BUF];
	struct xk_dns ev;
	struct {
		enum xk_qr qr;
		enum xk_dnsflags flags;
		enum xk_OPCODE opcode;
		enum xk_RCODE rcode;
		enum xk_QTYPE qtype;
		enum xk_QCLASS qclass;
		enum xk_dnsstatus status;
	} _enums;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, union xk_dns_buf);
} dns_buf SEC(".maps");

_Static_assert(sizeof(struct xk_dns_key) == 40, "dns key: 5 words");
_Static_assert(sizeof(struct xk_dns) % 8 == 0, "dns event: 8-byte records");
_Static_assert((XK_DNS_SLOTS & (XK_DNS_SLOTS - 1)) == 0 && XK_DNS_SLOTS >= XK_DNS_WAYS,
	       "XK_DNS_SLOTS: a power of two, at least XK_DNS_WAYS");

/* What is read of a message. */
struct xk_dns_msg {
	__u16 id, flags, qd, an, ns, ar, qtype, qclass;
	__u32 len;                    /* the message's length */
	__u32 namelen;                /* the name's bytes, its final zero included */
	__u32 status;                 /* enum xk_dnsstatus */
	__u64 starts[4];              /* bit i: a label starts at name byte i */
};

/* Is it DNS by its ports? The one test a packet that is not DNS pays. */
static __always_inline int xk_dns_port(const struct xk_pkt *p)
{
	return (p->key.sport == bpf_htons(XK_DNS_PORT) || p->key.dport == bpf_htons(XK_DNS_PORT)) &&
	       (p->key.proto == IPPROTO_UDP || p->key.proto == IPPROTO_TCP);
}

/* n bytes (1..XK_DNS_READ) of the frame at off into buf; avail: the
 * frame's length (at XDP all of it is in the linear data). */
static __always_inline int xk_dns_read(__u8 *buf, __u32 off, __u32 n, struct __sk_buff *skb,
				       const void *data, __u32 avail)
{
	if (n == 0 || n > XK_DNS_READ || off > 0xffff)
		return -1;
	if (!skb) {
		if (off + n > avail)
			return -1;
		return bpf_probe_read_kernel(buf, n, data + off);
	}
	return bpf_skb_load_bytes(skb, off, buf, n);
}

/* The question's name, from byte 12 of m, lim bytes of message read. */
static __always_inline int xk_dns_name(const __u8 *m, __u32 lim, struct xk_dns_msg *d)
{
	__u32 off = 12;
	int i;

	for (i = 0; i < 128; i++) {
		__u32 o = off - 12;
		__u8 len;

		if (off >= lim)
			return XK_DS_PAST_END;
		len = m[off & (XK_DNS_BUF - 1)];
		d->starts[(o >> 6) & 3] |= 1ULL << (o & 63);
		if (len == 0) {
			d->namelen = o + 1;
			if (off + 5 > lim)
				return XK_DS_PAST_END;
			d->qtype = (__u16)m[(off + 1) & (XK_DNS_BUF - 1)] << 8 | m[(off + 2) & (XK_DNS_BUF - 1)];
			d->qclass = (__u16)m[(off + 3) & (XK_DNS_BUF - 1)] << 8 | m[(off + 4) & (XK_DNS_BUF - 1)];
			return XK_DS_OK;
		}
		if (len > 63)
			return (len & 0xc0) == 0xc0 ? XK_DS_POINTER : XK_DS_BAD_LABEL;
		off += len + 1;
		if (off - 12 >= 255) /* with its final zero, more than 255 */
			return XK_DS_LONG_NAME;
	}
	return XK_DS_LONG_NAME;
}

/* Does the name end in the labels of c->suffix (ASCII case ignored)? */
static __always_inline int xk_dns_suffix(const __u8 *m, const struct xk_dns_msg *d,
					 const struct xk_dns_select *c)
{
	__u32 s = c->suffix_len, start, i;

	if (s == 0 || s > d->namelen)
		return 0;
	start = d->namelen - s;
	if (!(d->starts[(start >> 6) & 3] & (1ULL << (start & 63))))
		return 0;
	for (i = 0; i < 255; i++) {
		__u8 a;

		if (i >= s)
			return 1;
		a = m[(12 + start + i) & (XK_DNS_BUF - 1)];
		if (a >= 'A' && a <= 'Z')
			a += 'a' - 'A';
		if (a != c->suffix[i & 255])
			return 0;
	}
	return 1;
}

static __always_inline struct xk_dns_stats *xk_dns_stats_of(__u32 dir)
{
	return bpf_map_lookup_elem(&dns_stats, &dir);
}

static __always_inline void xk_dir_count(void *map, __u32 key, __u32 dir)
{
	struct xk_dir_ctr *c = bpf_map_lookup_elem(map, &key);

	if (!c)
		return;
	if (dir == XK_DIR_EGRESS)
		c->egress++;
	else
		c->ingress++;
}

static __always_inline __u32 xk_dns_set(const struct xk_dns_key *k)
{
	return xk_hash5(k) & xk_sets_mask(&dns_pending, XK_DNS_SLOTS / XK_DNS_WAYS);
}

/* Take a slot whose time was `seen` (0: free) for writing: since is 1 while
 * it is written, so that no other CPU takes or matches it meanwhile. */
static __always_inline int xk_dns_take(struct xk_dns_slot *s, __u64 seen)
{
	return __sync_val_compare_and_swap(&s->since, seen, 1) == seen;
}

/* Give a taken slot back empty (its key zero: xk-dump counts it free). */
static __always_inline void xk_dns_release(struct xk_dns_slot *s)
{
	__builtin_memset(&s->key, 0, sizeof(s->key));
	__sync_lock_test_and_set(&s->since, 0);
}

/* A slot whose query is older than `to` ns: counted as a timeout of the
 * query's direction, and emptied. */
static __always_inline int xk_dns_expire(struct xk_dns_slot *s, __u64 t, __u64 now, __u64 to)
{
	struct xk_dns_stats *st;

	if (t <= 1 || now < t + to || !xk_dns_take(s, t))
		return 0;
	st = xk_dns_stats_of(s->dir);
	if (st)
		st->timeouts++;
	xk_dns_release(s);
	return 1;
}

/* A query: into its set, unless it is pending already (a retransmission
 * keeps the first one's time). */
static __always_inline void xk_dns_query(const struct xk_dns_key *k, __u32 dir, __u64 now,
					 __u64 to)
{
	__u32 idx = xk_dns_set(k);
	struct xk_dns_set *set = bpf_map_lookup_elem(&dns_pending, &idx);
	struct xk_dns_slot *s, *free = NULL, *victim = NULL;
	struct xk_dns_stats *st;
	__u64 oldest = ~0ULL, t;
	int i;

	if (!set)
		return;
#pragma unroll
	for (i = 0; i < XK_DNS_WAYS; i++) {
		s = &set->way[i];
		t = s->since;
		if (xk_dns_expire(s, t, now, to))
			t = 0;
		if (t > 1 && xk_eq5(&s->key, k))
			return;
		if (t == 0) {
			if (!free)
				free = s;
		} else if (t > 1 && t < oldest) {
			oldest = t;
			victim = s;
		}
	}
	if (free) {
		if (!xk_dns_take(free, 0))
			return; /* another CPU took it this moment: not tracked */
	} else {
		if (!victim || !xk_dns_take(victim, oldest))
			return;
		free = victim;
		st = xk_dns_stats_of(free->dir);
		if (st)
			st->evictions++;
	}
	__builtin_memcpy(&free->key, k, sizeof(free->key));
	free->dir = dir;
	__sync_lock_test_and_set(&free->since, now);
}

/* A response: the latency in ns from its query, or -1 (none pending, or a
 * query that had timed out: then counted as a timeout). */
static __always_inline __s64 xk_dns_response(const struct xk_dns_key *k, __u64 now, __u64 to)
{
	__u32 idx = xk_dns_set(k);
	struct xk_dns_set *set = bpf_map_lookup_elem(&dns_pending, &idx);
	struct xk_dns_slot *s;
	__u64 t;
	int i;

	if (!set)
		return -1;
#pragma unroll
	for (i = 0; i < XK_DNS_WAYS; i++) {
		s = &set->way[i];
		t = s->since;
		if (t > 1 && xk_eq5(&s->key, k)) {
			if (xk_dns_expire(s, t, now, to))
				return -1;
			if (!xk_dns_take(s, t))
				return -1;
			xk_dns_release(s);
			return now > t ? (__s64)(now - t) : 0;
		}
	}
	return -1;
}

static __always_inline void xk_dns_latency(struct xk_dns_latency *l, __u64 us)
{
	if (us <= 100)
		l->le_100us++;
	else if (us <= 250)
		l->le_250us++;
	else if (us <= 500)
		l->le_500us++;
	else if (us <= 1000)
		l->le_1ms++;
	else if (us <= 2500)
		l->le_2500us++;
	else if (us <= 5000)
		l->le_5ms++;
	else if (us <= 10000)
		l->le_10ms++;
	else if (us <= 25000)
		l->le_25ms++;
	else if (us <= 50000)
		l->le_50ms++;
	else if (us <= 100000)
		l->le_100ms++;
	else if (us <= 250000)
		l->le_250ms++;
	else if (us <= 500000)
		l->le_500ms++;
	else if (us <= 1000000)
		l->le_1s++;
	else if (us <= 2500000)
		l->le_2500ms++;
	else if (us <= 5000000)
		l->le_5s++;
	else
		l->le_inf++;
}

static __always_inline __u64 xk_dns_timeout(const struct xk_dns_select *c)
{
	return (__u64)(c->timeout_ms ? c->timeout_ms : XK_DNS_TIMEOUT_MS) * 1000000ULL;
}

/* The sweep: timeouts of up to XK_DNS_SWEEP_SETS sets a tick, a tick every
 * XK_DNS_TICK_NS (a bounded loop, not bpf_loop: kernels before 5.17 have
 * none). */

/* One set's timeouts: a global function, so that the verifier checks it
 * once, not once for every set of the loop that calls it. */
__noinline int xk_dns_sweep_set(__u32 idx, __u64 now, __u64 to)
{
	struct xk_dns_set *set = bpf_map_lookup_elem(&dns_pending, &idx);
	int w;

	if (!set)
		return 0;
#pragma unroll
	for (w = 0; w < XK_DNS_WAYS; w++)
		xk_dns_expire(&set->way[w], set->way[w].since, now, to);
	return 0;
}

static int xk_dns_sweep_tick(void *map, __u32 *key, struct xk_dns_sweep *sw)
{
	__u32 zero = 0, i, mask;
	struct xk_config *cfg = bpf_map_lookup_elem(&config, &zero);
	struct xk_dns_select *c = bpf_map_lookup_elem(&dns, &zero);
	__u64 now, to, cursor;

	(void)map;
	(void)key;
	if (!cfg || !c || !(cfg->features & XK_F_DNS)) {
		sw->armed = 0; /* the next query after it is on again arms it */
		return 0;
	}
	now = bpf_ktime_get_ns();
	to = xk_dns_timeout(c);
	mask = xk_sets_mask(&dns_pending, XK_DNS_SLOTS / XK_DNS_WAYS);
	cursor = sw->cursor;
	for (i = 0; i < XK_DNS_SWEEP_SETS && i <= mask; i++)
		xk_dns_sweep_set((__u32)(cursor + i) & mask, now, to);
	sw->cursor = cursor + i;
	bpf_timer_start(&sw->timer, XK_DNS_TICK_NS, 0);
	return 0;
}

static __always_inline void xk_dns_arm(void)
{
	__u32 zero = 0;
	struct xk_dns_sweep *sw = bpf_map_lookup_elem(&dns_sweep, &zero);

	if (!sw || sw->armed || __sync_val_compare_and_swap(&sw->armed, 0, 1) != 0)
		return;
	bpf_timer_init(&sw->timer, &dns_sweep, XK_CLOCK_MONOTONIC); /* -EBUSY: done before */
	bpf_timer_set_callback(&sw->timer, xk_dns_sweep_tick);
	bpf_timer_start(&sw->timer, XK_DNS_TICK_NS, 0);
}

/* Does the reader's selection take this message? */
static __always_inline int xk_dns_selected(const struct xk_dns_select *c, const __u8 *m,
					   const struct xk_dns_msg *d)
{
	__u32 sel = c->match;

	if (!sel)
		return 1;
	if (d->status != XK_DS_OK)
		return 0;
	if ((sel & XK_DM_QTYPE) && d->qtype != c->qtype)
		return 0;
	if ((sel & XK_DM_RCODE) && (!(d->flags & XK_DF_QR) || (d->flags & 15) != c->rcode))
		return 0;
	if ((sel & XK_DM_SUFFIX) && !xk_dns_suffix(m, d, c))
		return 0;
	return 1;
}

static __always_inline void xk_dns_event(const struct xk_pkt *p, const union xk_dns_buf *b,
					 const struct xk_dns_msg *d, __u64 now, __s64 lat,
					 struct xk_dns_stats *st)
{
	struct xk_dns *ev;
	__u64 pending = bpf_ringbuf_query(&dns_events, BPF_RB_AVAIL_DATA);
	__u64 flags = pending < XK_WAKE_BYTES && pending + sizeof(*ev) + 8 >= XK_WAKE_BYTES ?
		BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;

	ev = bpf_ringbuf_reserve(&dns_events, sizeof(*ev), 0);
	if (!ev) {
		st->lost++;
		return;
	}
	ev->ts = now;
	__builtin_memcpy(ev->src, p->key.src, sizeof(ev->src));
	__builtin_memcpy(ev->dst, p->key.dst, sizeof(ev->dst));
	ev->sport = p->key.sport;
	ev->dport = p->key.dport;
	ev->proto = p->key.proto;
	ev->family = p->key.family;
	ev->dir = p->dir;
	ev->qr = d->flags >> 15;
	ev->id = d->id;
	ev->opcode = (d->flags >> 11) & 15;
	ev->rcode = d->flags & 15;
	ev->flags = d->flags & XK_DF_ALL;
	ev->qtype = d->qtype;
	ev->qclass = d->qclass;
	ev->qdcount = d->qd;
	ev->ancount = d->an;
	ev->nscount = d->ns;
	ev->arcount = d->ar;
	ev->status = d->status;
	ev->_pad = 0;
	ev->len = d->len;
	ev->latency_us = lat >= 0 ? (__u32)((__u64)lat / 1000) : ~0U;
	ev->_pad2 = 0;
	__builtin_memcpy(ev->qname, &b->m[12], sizeof(ev->qname));
	if (d->status != XK_DS_OK)
		ev->qname[0] = 0xff; /* no name */
	bpf_ringbuf_submit(ev, flags);
	st->events++;
}

/* One DNS message (xk_dns_port said so): decode, count, match, event. */
static __always_inline void xk_dns(struct xk_pkt *p, struct __sk_buff *skb, const void *data)
{
	__u32 zero = 0, start = p->hdrs, end = p->pend, avail = p->len, n;
	union xk_dns_buf *b = bpf_map_lookup_elem(&dns_buf, &zero);
	struct xk_dns_select *c = bpf_map_lookup_elem(&dns, &zero);
	struct xk_dns_stats *st = xk_dns_stats_of(p->dir);
	struct xk_dns_msg d = {};
	struct xk_dns_key k;
	__u64 now;
	__s64 lat = -1;

	if (!b || !c || !st || start == 0 || start > 0xffff || end > 0xffff)
		return;
	if (p->key.proto == IPPROTO_TCP) {
		__u8 pfx[2];

		/* exactly one message, its length first: else not seen */
		if (end < start + 2 || xk_dns_read(pfx, start, 2, skb, data, avail))
			return;
		d.len = (__u32)pfx[0] << 8 | pfx[1];
		if (d.len + 2 != end - start)
			return;
		start += 2;
	} else {
		d.len = end > start ? end - start : 0;
	}
	if (end > avail) /* a first fragment: what it holds */
		end = avail;
	n = end > start ? end - start : 0;
	if (n > XK_DNS_READ)
		n = XK_DNS_READ;
	if (d.len < 12 || n < 12) {
		d.status = XK_DS_SHORT;
	} else {
		__u8 *m = b->m;

		if (xk_dns_read(m, start, n, skb, data, avail))
			return;
		d.id = (__u16)m[0] << 8 | m[1];
		d.flags = (__u16)m[2] << 8 | m[3];
		d.qd = (__u16)m[4] << 8 | m[5];
		d.an = (__u16)m[6] << 8 | m[7];
		d.ns = (__u16)m[8] << 8 | m[9];
		d.ar = (__u16)m[10] << 8 | m[11];
		d.status = d.qd ? xk_dns_name(m, n, &d) : XK_DS_NO_QUESTION;
	}
	now = bpf_ktime_get_ns();
	if (d.status != XK_DS_OK) {
		st->malformed++;
	} else {
		__u64 to = xk_dns_timeout(c);

		__builtin_memset(&k, 0, sizeof(k));
		k.id = d.id;
		k.proto = p->key.proto;
		k.family = p->key.family;
		if (!(d.flags & XK_DF_QR)) {
			st->queries++;
			xk_dir_count(&dns_qtypes, d.qtype < XK_NQTYPES - 1 ? d.qtype : XK_NQTYPES - 1, p->dir);
			__builtin_memcpy(k.client, p->key.src, 16);
			__builtin_memcpy(k.server, p->key.dst, 16);
			k.cport = p->key.sport;
			k.sport = p->key.dport;
			xk_dns_query(&k, p->dir, now, to);
			xk_dns_arm();
		} else {
			st->responses++;
			if (d.flags & XK_DF_TC)
				st->truncated++;
			xk_dir_count(&dns_rcodes, d.flags & 15, p->dir);
			__builtin_memcpy(k.client, p->key.dst, 16);
			__builtin_memcpy(k.server, p->key.src, 16);
			k.cport = p->key.dport;
			k.sport = p->key.sport;
			lat = xk_dns_response(&k, now, to);
			if (lat >= 0) {
				__u64 us = (__u64)lat / 1000;

				st->answered++;
				st->latency_sum_us += us;
				xk_dns_latency(&st->latency, us);
			} else {
				st->unmatched++;
			}
		}
	}
	if (xk_now() < c->deadline && xk_dns_selected(c, b->m, &d))
		xk_dns_event(p, b, &d, now, lat, st);
}

/* The entries the hooks call: global functions, checked once on their own. */
__noinline int xk_dns_xdp(struct xdp_md *ctx, struct xk_pkt *p)
{
	if (!p)
		return 0;
	xk_dns(p, NULL, (void *)(long)ctx->data);
	return 0;
}

__noinline int xk_dns_tc(struct __sk_buff *skb, struct xk_pkt *p)
{
	if (skb && p)
		xk_dns(p, skb, NULL);
	return 0;
}

#endif /* XDPKIT_DNS_H */
