// SPDX-License-Identifier: GPL-2.0
/*
 * reference.bpf.c - the textbook statistics datapath that `make bench`
 * measures xdpkit against: the same parser and the same tables, but shared
 * maps updated with atomic adds, an LRU hash for flows, a hash for ports,
 * bpf_ktime_get_ns(), one lookup per map. Never attached; bench only.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xdpkit.h"
#include "parse.h"

#ifndef XK_BENCH_WRAPPED
char LICENSE[] SEC("license") = "GPL";
#endif

/* What a textbook flow and port value holds. */
struct ref_flow {
	__u64 packets;
	__u64 bytes;
	__u64 first_seen;
	__u64 last_seen;
	__u8 tcp_flags;
};

struct ref_port {
	__u64 packets;
	__u64 bytes;
	__u64 syns;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XK_NDIRS);
	__type(key, xk_dir_t);
	__type(value, struct xk_global);
} ref_global SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, xk_proto_t);
	__type(value, struct xk_proto_ctr);
} ref_protos SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XK_FLOW_SLOTS);
	__type(key, struct xk_flow_key);
	__type(value, struct ref_flow);
} ref_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XK_PORT_SLOTS);
	__type(key, struct xk_port_key);
	__type(value, struct ref_port);
} ref_ports SEC(".maps");

#define ADD(x, v) __sync_fetch_and_add(&(x), (v))

static __always_inline int ref_xdp(struct xdp_md *ctx)
{
	struct xk_pkt p = {
		.data = (void *)(long)ctx->data,
		.data_end = (void *)(long)ctx->data_end,
		.dir = XK_DIR_INGRESS,
	};
	struct xk_global *g;
	struct xk_proto_ctr *pc;
	struct ref_flow *f;
	struct ref_port *pv;
	xk_proto_t proto;
	int r;

	p.len = p.data_end - p.data;
	g = bpf_map_lookup_elem(&ref_global, &p.dir);
	if (!g)
		return XDP_PASS;
	ADD(g->packets, 1);
	ADD(g->bytes, p.len);
	r = xk_parse(&p);
	if (r == XK_P_ERROR) {
		ADD(g->parse_errors, 1);
		return XDP_PASS;
	}
	if (r == XK_P_NON_IP) {
		ADD(g->non_ip, 1);
		return XDP_PASS;
	}
	if (p.key.family == 4)
		ADD(g->ipv4, 1);
	else
		ADD(g->ipv6, 1);
	proto = p.key.proto;
	if (proto == IPPROTO_TCP)
		ADD(g->tcp, 1);
	else if (proto == IPPROTO_UDP)
		ADD(g->udp, 1);
	else
		ADD(g->other, 1);

	pc = bpf_map_lookup_elem(&ref_protos, &proto);
	if (pc) {
		ADD(pc->ingress.packets, 1);
		ADD(pc->ingress.bytes, p.len);
	}

	f = bpf_map_lookup_elem(&ref_flows, &p.key);
	if (f) {
		ADD(f->packets, 1);
		ADD(f->bytes, p.len);
		f->last_seen = bpf_ktime_get_ns();
		f->tcp_flags |= p.tcp_flags;
	} else {
		struct ref_flow nf = { .packets = 1, .bytes = p.len };

		nf.first_seen = nf.last_seen = bpf_ktime_get_ns();
		if (bpf_map_update_elem(&ref_flows, &p.key, &nf, BPF_NOEXIST) == 0)
			ADD(g->flows_created, 1);
	}

	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		struct xk_port_key k = { .port = p.key.dport, .proto = proto, .dir = p.dir };

		pv = bpf_map_lookup_elem(&ref_ports, &k);
		if (pv) {
			ADD(pv->packets, 1);
			ADD(pv->bytes, p.len);
			if ((p.tcp_flags & 0x12) == 0x02)
				ADD(pv->syns, 1);
		} else {
			struct ref_port nv = { .packets = 1, .bytes = p.len };

			bpf_map_update_elem(&ref_ports, &k, &nv, BPF_NOEXIST);
		}
	}
	return XDP_PASS;
}

#ifndef XK_BENCH_WRAPPED
SEC("xdp")
int reference(struct xdp_md *ctx)
{
	return ref_xdp(ctx);
}
#endif
