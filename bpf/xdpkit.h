/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xdpkit.h - the pinned-map API: every key, value and config layout that
 * user space reads lives here, once.
 *
 * User space never copies these layouts. helpers/xk-dump decodes them from
 * the BTF the maps carry, and the typedef names below tell it how to print
 * a field:
 *
 *   enum xk_*      printed by name: the enumerator's name less the prefix all
 *                  of its enumerators share, in lower case (XK_EGRESS is
 *                  "egress"); an enum of single bits is a set, printed as a
 *                  list of names.
 *   xk_NAME_t      an integer typedef printed through enum xk_NAME when the
 *                  BTF has it (array map keys must be plain integers)
 *   A scalar map key of type xk_NAME_t becomes the JSON field NAME.
 *   xk_be16_t      big-endian 16-bit value, printed in host order
 *   xk_addr_t      16-byte address; IPv4 is stored v4-mapped (::ffff:a.b.c.d)
 *                  and printed as a.b.c.d
 *   xk_proto_t     IP protocol number, printed as "tcp", "udp", ... or a number
 *   xk_tcpflags_t  TCP flag bits, printed as a list of names; OR-ed across CPUs
 *   xk_first_ns_t  CLOCK_MONOTONIC ns, printed as Unix seconds; min across CPUs
 *   xk_last_ns_t   CLOCK_MONOTONIC ns, printed as Unix seconds; max across CPUs
 *   xk_gauge_t, xk_gauge64_t  a setting, not a counter: printed as is, never summed
 *   any other integer is a counter and is summed across CPUs;
 *   members whose name starts with "_" are padding and are not printed.
 *
 * Changing a layout here means bumping XK_SCHEMA: xdp-attach refuses to
 * reuse pinned maps whose schema differs from the object's.
 */
#ifndef XDPKIT_H
#define XDPKIT_H

#include <linux/types.h>

#define XK_SCHEMA 1

typedef __u16 xk_be16_t;
typedef __u8 xk_addr_t[16];
typedef __u8 xk_proto_t;
typedef __u8 xk_tcpflags_t;
typedef __u64 xk_first_ns_t;
typedef __u64 xk_last_ns_t;
typedef __u32 xk_gauge_t;
typedef __u64 xk_gauge64_t;

typedef __u32 xk_dir_t; /* enum xk_dir, as an array map key */

enum xk_dir {
	XK_DIR_INGRESS = 0,
	XK_DIR_EGRESS = 1,
};
#define XK_NDIRS 2

/* Feature bits in xk_config.features. xdp-attach reads the feature names
 * from this enum's BTF: XK_F_COUNT is the feature "count", and so on. */
enum xk_feature {
	XK_F_COUNT = 1 << 0,
};

enum xk_xdp_mode {
	XK_MODE_NONE = 0,     /* no XDP program (egress only) */
	XK_MODE_NATIVE = 1,
	XK_MODE_GENERIC = 2,
	XK_MODE_OFFLOAD = 3,
};

enum xk_config_flags {
	XK_CF_CLSACT_OURS = 1 << 0, /* xdp-attach created the clsact qdisc */
	XK_CF_INGRESS_ONLY = 1 << 1, /* --ingress-only: no tc filter */
};

/* Map "config", an array of one entry. The datapath reads only `features`;
 * the rest is bookkeeping that xdp-attach writes and xdp-status reads. */
struct xk_config {
	enum xk_feature features;
	xk_gauge_t schema;            /* XK_SCHEMA of the object that made the pins */
	xk_gauge_t ifindex;           /* interface the pins belong to */
	enum xk_xdp_mode xdp_mode;
	enum xk_config_flags flags;
	enum xk_dir _pad;             /* unused; keeps enum xk_dir in the BTF */
	xk_gauge64_t attached_at;     /* Unix seconds of the first attach */
	xk_gauge64_t changed_at;      /* Unix seconds of the last change */
};

/* Map "global", a per-CPU array indexed by xk_dir_t. */
struct xk_global {
	__u64 packets;
	__u64 bytes;           /* frame length at the hook, L2 header included */
};

#endif /* XDPKIT_H */
