// SPDX-License-Identifier: GPL-2.0
/* An empty sockops program, the baseline of make bench's connection
 * tracking rows: what calling a sockops program costs by itself. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("sockops")
int xdpkit_sockops_empty(struct bpf_sock_ops *skops)
{
	(void)skops;
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
