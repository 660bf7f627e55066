// SPDX-License-Identifier: GPL-2.0
/*
 * xdpkit.bpf.c - the datapath: one object per interface, XDP on ingress and
 * tc (clsact) on egress, both running the same code. Features are bits in the
 * "config" map, switched by user space without reloading; a feature that is
 * off costs one branch. A monitor never changes the traffic: XDP returns
 * XDP_PASS and tc returns TC_ACT_UNSPEC (next filter decides) on every path.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "xdpkit.h"

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

/* Everything a feature needs to know about one frame. */
struct xk_pkt {
	void *data;
	void *data_end;
	__u64 len;      /* frame length at the hook */
	xk_dir_t dir;
};

static __always_inline void xk_count(struct xk_pkt *p)
{
	struct xk_global *g = bpf_map_lookup_elem(&global, &p->dir);

	if (!g)
		return;
	g->packets++;
	g->bytes += p->len;
}

static __always_inline void xk_process(struct xk_pkt *p)
{
	__u32 zero = 0;
	struct xk_config *cfg = bpf_map_lookup_elem(&config, &zero);

	if (!cfg)
		return;
	if (cfg->features & XK_F_COUNT)
		xk_count(p);
}

SEC("xdp")
int xdpkit_ingress(struct xdp_md *ctx)
{
	struct xk_pkt p = {
		.data = (void *)(long)ctx->data,
		.data_end = (void *)(long)ctx->data_end,
		.dir = XK_DIR_INGRESS,
	};

	p.len = p.data_end - p.data;
	xk_process(&p);
	return XDP_PASS;
}

SEC("tc")
int xdpkit_egress(struct __sk_buff *skb)
{
	struct xk_pkt p = {
		.data = (void *)(long)skb->data,
		.data_end = (void *)(long)skb->data_end,
		.len = skb->len,
		.dir = XK_DIR_EGRESS,
	};

	xk_process(&p);
	return TC_ACT_UNSPEC;
}
