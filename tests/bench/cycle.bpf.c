// SPDX-License-Identifier: GPL-2.0
/*
 * cycle.bpf.c - for `make bench`: BPF_PROG_TEST_RUN runs one frame again and
 * again, so these wrappers rewrite the frame's source port before each run,
 * cycling through cyc_cfg.flows values, then run the empty program, the
 * reference or the datapath on it. All three pay the same rewrite.
 */
#define XK_BENCH_WRAPPED
#include "../../bpf/xdpkit.bpf.c"
#include "reference.bpf.c"

struct cyc_cfg {
	__u32 off;    /* where the 16-bit source port is in the frame */
	__u32 flows;  /* how many distinct values to cycle through */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cyc_cfg);
} cyc_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cyc_n SEC(".maps");

static __always_inline void cycle(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	__u32 zero = 0, off, v;
	struct cyc_cfg *c = bpf_map_lookup_elem(&cyc_cfg, &zero);
	__u32 *n = bpf_map_lookup_elem(&cyc_n, &zero);

	if (!c || !n || !c->flows)
		return;
	off = c->off & 0xff;
	if (data + off + 2 > data_end)
		return;
	v = *n + 1;
	if (v >= c->flows)
		v = 0;
	*n = v;
	*(__u16 *)(data + off) = (__u16)(v + 1024);
}

SEC("xdp")
int cycle_pass(struct xdp_md *ctx)
{
	cycle(ctx);
	return XDP_PASS;
}

SEC("xdp")
int cycle_reference(struct xdp_md *ctx)
{
	cycle(ctx);
	return ref_xdp(ctx);
}

SEC("xdp")
int cycle_xdpkit(struct xdp_md *ctx)
{
	cycle(ctx);
	return xk_xdp(ctx);
}
