// SPDX-License-Identifier: GPL-2.0
/* cycle.bpf.c over the datapath with compiled-in set masks (constmask.bpf.c). */
#define XK_BENCH_CONST_MASK
#include "cycle.bpf.c"
