// SPDX-License-Identifier: GPL-2.0
/* The datapath with its tables' set masks compiled in (the sizes of the
 * build) instead of read from the maps: make bench measures what reading
 * them at run time costs. */
#define XK_BENCH_CONST_MASK
#include "../../bpf/xdpkit.bpf.c"
