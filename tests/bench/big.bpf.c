// SPDX-License-Identifier: GPL-2.0
/* The datapath with 131,072 flow slots per CPU, for section 4 of make bench. */
#define XK_FLOW_SLOTS 131072
#include "../../bpf/xdpkit.bpf.c"
