// SPDX-License-Identifier: GPL-2.0
/* tcpass.bpf.c - an empty tc program: the baseline row of the tc hook in
 * `make bench-traffic`, and another tool's filter in the tests. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tc")
int xdpkit_tcpass(struct __sk_buff *skb)
{
	(void)skb;
	return TC_ACT_UNSPEC;
}
