// SPDX-License-Identifier: GPL-2.0
/* pass.bpf.c - an empty XDP program: the baseline row of `make bench`. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int xdpkit_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}
