// SPDX-License-Identifier: GPL-2.0
/* The datapath with a 64 MiB DNS ring buffer, for section 7 of make bench:
 * room for every event of a run (100,000 messages), so that the cost
 * measured is that of writing events, not of finding the ring full. */
#define XK_DNS_RING_BYTES (64 << 20)
#include "../../bpf/xdpkit.bpf.c"
