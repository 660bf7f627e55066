/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xdpkit.h - the pinned-map API: every key, value and config layout that
 * user space reads lives here, once.
 *
 * User space never copies these layouts. helpers/xk-dump decodes them from
 * BTF (the maps', or that of the program using a map made without BTF),
 * and the typedef names below tell it how to print a field (the rules are
 * written once, in helpers/btfjson.c, its table of special types and its
 * enum naming; the README lists them):
 *
 *   enum xk_*      printed by name: the enumerator's name less the prefix all
 *                  of its enumerators share, in lower case (XK_DIR_EGRESS is
 *                  "egress"; an enum of one enumerator loses "XK_" and one
 *                  word); an enum of single bits is a set, printed as a
 *                  list of names.
 *   xk_NAME_t      an integer typedef printed through enum xk_NAME when the
 *                  BTF has it (array map keys must be plain integers)
 *   xk_NAMEbits_t  the same as xk_NAME_t in another width: xk_dir8_t is a
 *                  one-byte xk_dir_t, xk_proto8_t a one-byte xk_proto_t
 *   A scalar map key of type xk_NAME_t becomes the JSON field NAME.
 *   xk_be16_t      big-endian 16-bit value, printed in host order
 *   xk_addr_t      16-byte address; IPv4 is stored v4-mapped (::ffff:a.b.c.d)
 *                  and printed as a.b.c.d
 *   xk_proto_t     IP protocol number, printed as "tcp", "udp", ... or a number
 *   xk_tcpflags_t  TCP flag bits, printed as a list of names; OR-ed across CPUs
 *   xk_first_ns_t  CLOCK_MONOTONIC ns, printed as Unix seconds; min across CPUs
 *   xk_last_ns_t   CLOCK_MONOTONIC ns, printed as Unix seconds; max across CPUs
 *   xk_gauge_t, xk_gauge64_t  a setting, not a counter: printed as is, never summed
 *   xk_ts_ns_t     CLOCK_MONOTONIC ns, printed as Unix seconds (an event's time)
 *   xk_vlans_t     VLAN ids, printed as a list of those present (bit 15 set)
 *   xk_hex_t       a byte; a flexible array of them (the last member of an
 *                  event) holds the bytes the ring buffer record carries after
 *                  the struct, printed as one hex string, left out when none
 *   any other integer is a counter and is summed across CPUs;
 *   bitfields are printed (and folded) by the rule of their type;
 *   members whose name starts with "_" are padding and are not printed;
 *   a value struct { slot way[N]; } is a set of slots (the tables).
 *
 * Layouts are compared map by map (xk-dump --layout): xdp-attach reuses a
 * pinned map, counters and all, when its key and value layout (member names,
 * offsets, widths) and its size are the object's. A settings map (an array
 * of one entry, not per CPU) is carried over by member name when its layout
 * changed; a table of counters whose layout changed is refused unless
 * xdp-attach is given --recreate. So: add members and maps freely; renaming
 * or moving a counter starts that map anew.
 */
#ifndef XDPKIT_H
#define XDPKIT_H

#include <linux/types.h>

typedef __u16 xk_be16_t;
typedef __u8 xk_addr_t[16];
typedef __u32 xk_proto_t;  /* IP protocol number, as an array map key */
typedef __u8 xk_proto8_t;
typedef __u8 xk_dir8_t;
typedef __u8 xk_tcpflags_t;
typedef __u64 xk_first_ns_t;
typedef __u64 xk_last_ns_t;
typedef __u32 xk_gauge_t;
typedef __u64 xk_gauge64_t;
typedef __u64 xk_ts_ns_t;      /* CLOCK_MONOTONIC ns, printed as Unix seconds */
typedef __u16 xk_vlans_t[2];   /* VLAN ids, outer first: bit 15 marks one seen */
typedef __u8 xk_hex_t;         /* bytes printed as hex */
typedef __u8 xk_parse8_t;      /* enum xk_parse (bpf/parse.h) in a byte */

typedef __u32 xk_dir_t;    /* enum xk_dir, as an array map key */

enum xk_dir {
	XK_DIR_INGRESS = 0,
	XK_DIR_EGRESS = 1,
};
#define XK_NDIRS 2

/* Feature bits in xk_config.features. xdp-attach reads the feature names
 * from this enum's BTF: XK_F_COUNT is the feature "count", and so on. */
enum xk_feature {
	XK_F_COUNT = 1 << 0,  /* global packets and bytes per direction */
	XK_F_STATS = 1 << 1,  /* everything in global, protos, flows, ports */
	XK_F_CAPTURE = 1 << 2, /* events into "packets" while a reader keeps
				* "capture".deadline ahead (xdp-capture) */
};

enum xk_xdp_mode {
	XK_MODE_NONE = 0,     /* no XDP program (egress only) */
	XK_MODE_NATIVE = 1,
	XK_MODE_GENERIC = 2,
	XK_MODE_OFFLOAD = 3,
};

/* Where ingress is watched (xdp-attach --hook). */
enum xk_hook {
	XK_HOOK_XDP = 0,      /* XDP, in xdp_mode */
	XK_HOOK_TC = 1,       /* tc clsact ingress (xdp_mode none) */
};

enum xk_config_flags {
	XK_CF_CLSACT_OURS = 1 << 0, /* xdp-attach created the clsact qdisc */
	XK_CF_INGRESS_ONLY = 1 << 1, /* --ingress-only: no tc filter */
};

/* Map "config", an array of one entry. The datapath reads only `features`;
 * the rest is bookkeeping that xdp-attach writes and xdp-status reads. */
struct xk_config {
	enum xk_feature features;
	xk_gauge_t ifindex;           /* interface the pins belong to */
	enum xk_xdp_mode xdp_mode;
	enum xk_config_flags flags;
	enum xk_dir _pad;             /* unused; keeps enum xk_dir in the BTF */
	xk_gauge64_t attached_at;     /* Unix seconds of the first attach */
	xk_gauge64_t changed_at;      /* Unix seconds of the last change */
	enum xk_hook hook;            /* ingress hook (pins of 0.3.0: xdp) */
#ifdef XK_CONFIG_LATER
	XK_CONFIG_LATER               /* tests/fixtures/upgrade.bpf.c: a later field */
#endif
};

/* Frame sizes (bytes at the hook), Prometheus style: le_N counts frames of
 * at most N bytes that are larger than the bound before (not cumulative). */
struct xk_sizes {
	__u64 le_64;
	__u64 le_128;
	__u64 le_256;
	__u64 le_512;
	__u64 le_1024;
	__u64 le_1518;
	__u64 le_9000;
	__u64 le_inf;
};

/* Map "global", a per-CPU array indexed by xk_dir_t. With only "count" on,
 * packets and bytes move; "stats" fills in the rest. */
struct xk_global {
	__u64 packets;              /* frames: a GSO packet at tc counts as its frames */
	__u64 bytes;                /* their length, L2 header included */
	__u64 ipv4;
	__u64 ipv6;
	__u64 non_ip;               /* ARP, LLDP, ...: everything but IPv4/IPv6 */
	__u64 tcp;
	__u64 udp;
	__u64 icmp;                 /* ICMP and ICMPv6 */
	__u64 other;                /* other IP protocols (by number in "protos") */
	__u64 fragments;            /* IP fragments after the first: no ports */
	__u64 parse_errors;         /* shorter than its headers claim, or malformed */
	__u64 flows_created;        /* flow slots taken by a new flow */
	__u64 flow_evictions;       /* flows of this direction pushed out of a full set */
	__u64 ports_created;        /* port slots taken by a new port */
	__u64 port_evictions;       /* ports of this direction pushed out of a full set */
	struct xk_sizes sizes;
};

/* Map "protos", a per-CPU array indexed by IP protocol number. */
struct xk_ctr {
	__u64 packets;
	__u64 bytes;
};

struct xk_proto_ctr {
	struct xk_ctr ingress;
	struct xk_ctr egress;
};

/*
 * Maps "flows" and "ports" are per-CPU arrays used as set-associative tables:
 * an entry is a set of XK_WAYS slots (struct { slot way[XK_WAYS]; }: a
 * value with the single member "way" is a set, for every reader), a key
 * hashes to one set, and each slot holds its key and its counters. A hit
 * costs one array lookup and key compares, no hash map (see `make bench`).
 * Each CPU has its own table, so a flow seen on two CPUs has a slot on each:
 * readers fold the slots of a set by key (xk-dump does, one set at a time).
 * A slot whose key is all zero is empty.
 *
 * Their size is set at attach time (xdp-attach --flows N --ports N): the
 * maps are made with `bpftool map create` and the datapath reads their
 * number of sets from the map itself (CO-RE: struct bpf_map.max_entries),
 * which must be a power of two.
 */
#ifndef XK_WAYS
#define XK_WAYS 2       /* 4 evicts less before a table is full, but costs
			 * 10-15 ns more per packet once the table outgrows
			 * the cache (make bench, 10,000 flows) */
#endif

/* Flows: IPv4 addresses are stored v4-mapped. Ports are 0 for protocols
 * without ports (ICMP too) and for IP fragments after the first. A new flow
 * in a full set evicts the set's least recently seen flow (global
 * .flow_evictions counts them). */
struct xk_flow_key {
	xk_addr_t src;              /* aligned(8): hashed and compared as 5 words */
	xk_addr_t dst;
	xk_be16_t sport;
	xk_be16_t dport;
	xk_proto8_t proto;
	__u8 family;                /* 4 or 6; 0 marks an empty slot */
	xk_dir8_t dir;
	__u8 _pad;
} __attribute__((aligned(8)));

struct xk_flow_slot {
	struct xk_flow_key key;
	__u64 packets;
	__u64 bytes;
	xk_first_ns_t first_seen;   /* CLOCK_MONOTONIC, jiffy resolution */
	xk_last_ns_t last_seen;
	xk_tcpflags_t tcp_flags;    /* every flag seen in the flow */
	__u8 _pad[7];
#ifdef XK_FLOW_SLOT_LATER
	XK_FLOW_SLOT_LATER          /* tests/fixtures/newslot.bpf.c: a later counter */
#endif
};

struct xk_flow_set {
	struct xk_flow_slot way[XK_WAYS];
};

/* Ports: TCP and UDP traffic by service port: the port a SYN goes to, the
 * port a SYN-ACK comes from, else the lower-numbered port of the packet. A
 * new port in a full set pushes out the set's port with the fewest packets
 * (global .port_evictions counts them, by the evicted port's direction). */
struct xk_port_key {
	xk_be16_t port;
	xk_proto8_t proto;          /* 0 marks an empty slot */
	xk_dir8_t dir;
};

struct xk_port_slot {
	struct xk_port_key key;
	__u32 _pad;
	__u64 packets;
	__u64 bytes;
	__u64 syns;                 /* TCP SYN without ACK: connection attempts */
};

struct xk_port_set {
	struct xk_port_slot way[XK_WAYS];
};

/* Map "clock", a per-CPU array of one entry: the coarse monotonic time, read
 * once per jiffy (bpf_ktime_get_coarse_ns() costs more than all the rest of a
 * flow update; bpf_jiffies64() is nearly free). Internal. */
struct xk_clock {
	__u64 jiffies;
	xk_gauge64_t ns;
};

/*
 * The largest default table sizes, in slots per CPU (xdp-attach gives less
 * where many CPUs would make them big: README, "Memory"); the object's maps
 * have this size when loaded by hand. Powers of two, at least XK_WAYS.
 * Memory per CPU: flows 80 bytes a slot (65536: 5 MiB), ports 32 bytes a slot
 * (16384: 512 KiB).
 */
#ifndef XK_FLOW_SLOTS
#define XK_FLOW_SLOTS 65536
#endif
#ifndef XK_PORT_SLOTS
#define XK_PORT_SLOTS 16384
#endif

/*
 * Capture (xdp-capture). The reader (helpers/xk-drain) keeps
 * capture.deadline a few seconds ahead of the clock; when the reader is gone
 * (even killed) the deadline passes and capture stops by itself.
 *
 * Selection, in this order: direction, protocol, port (either end), host
 * (either end); then 1-in-N sampling counts the packets that passed the
 * filters on all CPUs together (one shared counter: the 1st, N+1th, 2N+1th
 * ... are taken); then the cap in events per second. A frame that is not IP
 * passes only when no protocol, port or host is asked for.
 */
enum xk_capture_match {
	XK_CM_PROTO = 1 << 0,
	XK_CM_PORT = 1 << 1,
	XK_CM_HOST = 1 << 2,
	XK_CM_INGRESS = 1 << 3,
	XK_CM_EGRESS = 1 << 4,
};

#define XK_SNAP_MAX 256
#ifndef XK_RING_BYTES
#define XK_RING_BYTES (4 << 20) /* the ring buffer: 4 MiB, ~50,000 events
				 * without payload */
#endif

/* Map "capture", an array of one entry: the settings of the capture, written
 * by xdp-capture before the reader starts. */
struct xk_capture {
	xk_ts_ns_t deadline;          /* CLOCK_MONOTONIC ns; 0: off */
	enum xk_capture_match match;  /* what is filtered on, and directions */
	xk_gauge_t sample;            /* 1 in N of the packets that pass (0, 1: all) */
	xk_gauge_t rate;              /* at most N events a second (0: no cap) */
	xk_gauge_t snaplen;           /* frame bytes from the Ethernet header (<= 256) */
	xk_gauge_t pid;               /* the xdp-capture that owns it */
	xk_gauge_t attached;          /* 1: xdp-capture attached xdpkit for itself */
	xk_proto_t proto;
	xk_be16_t port;
	__u16 _pad;
	xk_addr_t host;               /* v4-mapped for IPv4 */
};

/* Map "capture_state", an array of one entry shared by the CPUs (atomics):
 * the sampling counter and the rate window. Reset by xdp-capture. */
struct xk_capture_state {
	__u64 passed;                 /* packets that passed the filters */
	__u64 window;                 /* the second (of the coarse clock) counted */
	__u64 in_window;              /* events taken in that second */
};

/* Map "capture_stats", a per-CPU array indexed by xk_dir_t. */
struct xk_capture_stats {
	__u64 events;                 /* written to the ring buffer */
	__u64 lost;                   /* selected, but the ring buffer was full */
	__u64 capped;                 /* selected, but over the events-a-second cap */
};

/*
 * Ring buffer "packets": one event per captured frame. A ring buffer has no
 * BTF of its own: readers find struct xk_packet in the program's BTF.
 */
struct xk_packet {
	xk_ts_ns_t ts;                /* bpf_ktime_get_ns() when the hook ran */
	xk_addr_t src;                /* IP addresses ("::" when not IP) */
	xk_addr_t dst;
	xk_be16_t sport;              /* TCP, UDP; else 0 */
	xk_be16_t dport;
	xk_proto8_t proto;
	__u8 family;                  /* 4, 6; 0: not IP */
	xk_dir8_t dir;
	xk_tcpflags_t tcp_flags;
	__u32 len;                    /* the frame's length at the hook (a GSO
				       * packet at tc: all its frames' data) */
	__u16 segs;                   /* frames it is on the wire (GSO), else 1 */
	xk_be16_t ethertype;          /* after the VLAN tags */
	xk_vlans_t vlan;
	xk_parse8_t parse;            /* ip, non_ip, error */
	__u8 _pad;
	__u16 caplen;                 /* bytes of the frame that follow */
	xk_hex_t payload[];           /* the first caplen bytes, from Ethernet */
};

#endif /* XDPKIT_H */
