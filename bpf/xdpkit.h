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
 *   xk_dname_t     a domain name in DNS wire form (labels, each its length
 *                  and its bytes, up to a zero), printed in presentation
 *                  form as dig prints it: null when its first byte is not
 *                  a label length (0xff: no name)
 *   xk_maybe_t     an integer that may be missing: all ones prints as null
 *   enum xk_UPPER  an enum whose name is upper case after xk_ (enum
 *                  xk_QTYPE) prints its enumerators in upper case (XK_TYPE_AAAA
 *                  is "AAAA"), and a value it has no name for as the prefix
 *                  its enumerators share, less XK_, and the number
 *                  ("TYPE65280"), as dig does; xk_NAME_t finds it too (an
 *                  xk_qtype_t key is the field "qtype", printed by enum
 *                  xk_QTYPE)
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
typedef __u8 xk_dname_t[256];  /* a DNS name in wire form */
typedef __u32 xk_maybe_t;      /* ~0: none */

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
	XK_F_DNS = 1 << 3,    /* DNS counters and latency; events into
			       * "dns_events" while a reader keeps
			       * "dns".deadline ahead (xdp-dns) */
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

/*
 * DNS (feature "dns"): every UDP message to or from port 53, and every TCP
 * segment on port 53 whose payload is exactly one DNS message with its
 * length prefix (the common case of a query or a short answer; a message
 * split over segments, or several in one, is not seen). Decoded: the
 * header and the first question. Counted in maps while the feature is on;
 * events into the ring buffer "dns_events" while a reader keeps
 * dns.deadline ahead (xdp-dns), as for capture.
 */
enum xk_qr {
	XK_QR_QUERY = 0,
	XK_QR_RESPONSE = 1,
};

/* Header flags, printed lower case as dig does. */
enum xk_dnsflags {
	XK_DF_QR = 1 << 15,
	XK_DF_AA = 1 << 10,
	XK_DF_TC = 1 << 9,
	XK_DF_RD = 1 << 8,
	XK_DF_RA = 1 << 7,
	XK_DF_Z = 1 << 6,
	XK_DF_AD = 1 << 5,
	XK_DF_CD = 1 << 4,
};
#define XK_DF_ALL 0x87f0

enum xk_OPCODE {
	XK_OPCODE_QUERY = 0,
	XK_OPCODE_IQUERY = 1,
	XK_OPCODE_STATUS = 2,
	XK_OPCODE_NOTIFY = 4,
	XK_OPCODE_UPDATE = 5,
	XK_OPCODE_DSO = 6,
};

/* The header's four bits (an EDNS extended rcode is not read). */
enum xk_RCODE {
	XK_RCODE_NOERROR = 0,
	XK_RCODE_FORMERR = 1,
	XK_RCODE_SERVFAIL = 2,
	XK_RCODE_NXDOMAIN = 3,
	XK_RCODE_NOTIMP = 4,
	XK_RCODE_REFUSED = 5,
	XK_RCODE_YXDOMAIN = 6,
	XK_RCODE_YXRRSET = 7,
	XK_RCODE_NXRRSET = 8,
	XK_RCODE_NOTAUTH = 9,
	XK_RCODE_NOTZONE = 10,
};
#define XK_NRCODES 16

/* Question types by the names dig gives them (a map key xk_qtype_t). */
enum xk_QTYPE {
	XK_TYPE_A = 1, XK_TYPE_NS = 2, XK_TYPE_MD = 3, XK_TYPE_MF = 4,
	XK_TYPE_CNAME = 5, XK_TYPE_SOA = 6, XK_TYPE_MB = 7, XK_TYPE_MG = 8,
	XK_TYPE_MR = 9, XK_TYPE_NULL = 10, XK_TYPE_WKS = 11, XK_TYPE_PTR = 12,
	XK_TYPE_HINFO = 13, XK_TYPE_MINFO = 14, XK_TYPE_MX = 15, XK_TYPE_TXT = 16,
	XK_TYPE_RP = 17, XK_TYPE_AFSDB = 18, XK_TYPE_X25 = 19, XK_TYPE_ISDN = 20,
	XK_TYPE_RT = 21, XK_TYPE_NSAP = 22, XK_TYPE_SIG = 24, XK_TYPE_KEY = 25,
	XK_TYPE_PX = 26, XK_TYPE_GPOS = 27, XK_TYPE_AAAA = 28, XK_TYPE_LOC = 29,
	XK_TYPE_NXT = 30, XK_TYPE_SRV = 33, XK_TYPE_NAPTR = 35, XK_TYPE_KX = 36,
	XK_TYPE_CERT = 37, XK_TYPE_A6 = 38, XK_TYPE_DNAME = 39, XK_TYPE_SINK = 40,
	XK_TYPE_OPT = 41, XK_TYPE_APL = 42, XK_TYPE_DS = 43, XK_TYPE_SSHFP = 44,
	XK_TYPE_IPSECKEY = 45, XK_TYPE_RRSIG = 46, XK_TYPE_NSEC = 47,
	XK_TYPE_DNSKEY = 48, XK_TYPE_DHCID = 49, XK_TYPE_NSEC3 = 50,
	XK_TYPE_NSEC3PARAM = 51, XK_TYPE_TLSA = 52, XK_TYPE_SMIMEA = 53,
	XK_TYPE_HIP = 55, XK_TYPE_NINFO = 56, XK_TYPE_RKEY = 57, XK_TYPE_TALINK = 58,
	XK_TYPE_CDS = 59, XK_TYPE_CDNSKEY = 60, XK_TYPE_OPENPGPKEY = 61,
	XK_TYPE_CSYNC = 62, XK_TYPE_ZONEMD = 63, XK_TYPE_SVCB = 64, XK_TYPE_HTTPS = 65,
	XK_TYPE_SPF = 99, XK_TYPE_UINFO = 100, XK_TYPE_UID = 101, XK_TYPE_GID = 102,
	XK_TYPE_UNSPEC = 103, XK_TYPE_NID = 104, XK_TYPE_L32 = 105, XK_TYPE_L64 = 106,
	XK_TYPE_LP = 107, XK_TYPE_EUI48 = 108, XK_TYPE_EUI64 = 109,
	XK_TYPE_TKEY = 249, XK_TYPE_TSIG = 250, XK_TYPE_IXFR = 251, XK_TYPE_AXFR = 252,
	XK_TYPE_MAILB = 253, XK_TYPE_MAILA = 254, XK_TYPE_ANY = 255, XK_TYPE_URI = 256,
	XK_TYPE_CAA = 257, XK_TYPE_AVC = 258, XK_TYPE_DOA = 259, XK_TYPE_AMTRELAY = 260,
	XK_TYPE_TA = 32768, XK_TYPE_DLV = 32769,
};
/* Queries are counted by qtype for qtypes below XK_NQTYPES - 1; the others
 * under XK_NQTYPES - 1 (xdp-stats calls it "other"). */
#define XK_NQTYPES 512

enum xk_QCLASS {
	XK_CLASS_IN = 1,
	XK_CLASS_CH = 3,
	XK_CLASS_HS = 4,
	XK_CLASS_NONE = 254,
	XK_CLASS_ANY = 255,
};

/* Why a message on port 53 is not read as DNS (malformed), or ok. */
enum xk_dnsstatus {
	XK_DS_OK = 0,
	XK_DS_SHORT = 1,          /* shorter than the 12-byte header */
	XK_DS_NO_QUESTION = 2,    /* qdcount 0 */
	XK_DS_POINTER = 3,        /* a compression pointer in the question */
	XK_DS_BAD_LABEL = 4,      /* a label type other than a length of 0-63 */
	XK_DS_PAST_END = 5,       /* the question runs past the message */
	XK_DS_LONG_NAME = 6,      /* a name of more than 255 bytes */
};

typedef __u32 xk_rcode_t;     /* enum xk_RCODE, as an array map key */
typedef __u32 xk_qtype_t;     /* enum xk_QTYPE, as an array map key */
typedef __u8 xk_rcode8_t;
typedef __u16 xk_qtype16_t;
typedef __u16 xk_qclass16_t;
typedef __u8 xk_opcode8_t;
typedef __u8 xk_qr8_t;
typedef __u16 xk_dnsflags16_t;
typedef __u8 xk_dnsstatus8_t;

/* What a match must have, in settings "dns" (xdp-dns --qtype, --rcode,
 * --qname-suffix): events only; the counters count every message. */
enum xk_dns_match {
	XK_DM_QTYPE = 1 << 0,
	XK_DM_RCODE = 1 << 1,     /* responses with that rcode (no queries) */
	XK_DM_SUFFIX = 1 << 2,    /* names ending in these labels */
};

#ifndef XK_DNS_TIMEOUT_MS
#define XK_DNS_TIMEOUT_MS 5000 /* a query unanswered this long timed out */
#endif
#ifndef XK_DNS_RING_BYTES
#define XK_DNS_RING_BYTES (2 << 20) /* ~6,000 events */
#endif

/* Map "dns", an array of one entry: written by xdp-dns before its reader
 * starts. */
struct xk_dns_select {
	xk_ts_ns_t deadline;          /* CLOCK_MONOTONIC ns; 0: no events */
	enum xk_dns_match match;
	xk_gauge_t pid;               /* the xdp-dns that owns it */
	xk_gauge_t attached;          /* 1: xdp-dns attached xdpkit for itself */
	xk_gauge_t timeout_ms;        /* 0: XK_DNS_TIMEOUT_MS */
	xk_gauge_t qtype;
	xk_gauge_t rcode;
	xk_gauge_t suffix_len;        /* bytes of suffix, its final zero included */
	__u8 suffix[256];             /* wire form, lower case, e.g. 7example3com0 */
};

/* Latency of answered queries (query to response, as seen here), in
 * buckets: le_N counts responses of at most N that are longer than the
 * bound before (not cumulative). */
struct xk_dns_latency {
	__u64 le_100us;
	__u64 le_250us;
	__u64 le_500us;
	__u64 le_1ms;
	__u64 le_2500us;
	__u64 le_5ms;
	__u64 le_10ms;
	__u64 le_25ms;
	__u64 le_50ms;
	__u64 le_100ms;
	__u64 le_250ms;
	__u64 le_500ms;
	__u64 le_1s;
	__u64 le_2500ms;
	__u64 le_5s;
	__u64 le_inf;
};

/* Map "dns_stats", a per-CPU array indexed by xk_dir_t. A message counts in
 * the direction it was seen in; a timeout or an eviction in its query's. */
struct xk_dns_stats {
	__u64 queries;                /* well-formed queries */
	__u64 responses;              /* well-formed responses */
	__u64 malformed;              /* on port 53 but not DNS as read (status) */
	__u64 truncated;              /* responses with TC set */
	__u64 answered;               /* responses matched to their query */
	__u64 unmatched;              /* responses without a query pending */
	__u64 timeouts;               /* queries without a response in time */
	__u64 evictions;              /* pending queries pushed out of a full set */
	__u64 events;                 /* written to the ring buffer */
	__u64 lost;                   /* selected, but the ring buffer was full */
	__u64 latency_sum_us;         /* the answered ones' latency, added up */
	struct xk_dns_latency latency;
};

/* Maps "dns_rcodes" (responses) and "dns_qtypes" (queries): per-CPU arrays
 * indexed by rcode and qtype. */
struct xk_dir_ctr {
	__u64 ingress;
	__u64 egress;
};

/*
 * Map "dns_pending": queries waiting for their response, a table shared by
 * the CPUs (a query and its response may be seen on different ones) of sets
 * of XK_DNS_WAYS slots; a slot is taken and given back with atomics. Keyed
 * by (client, server, their ports, protocol, id). A query in a full set
 * pushes out the set's oldest (dns_stats.evictions). A query unanswered
 * for timeout_ms is a timeout: counted by the sweep (a BPF timer, every
 * XK_DNS_TICK_NS, up to XK_DNS_SWEEP_SETS sets a tick: the default table
 * every second), or earlier when its slot is wanted or its late response
 * comes (then unmatched).
 */
#define XK_DNS_WAYS 4
#ifndef XK_DNS_SLOTS
#define XK_DNS_SLOTS 8192
#endif
#define XK_DNS_SWEEP_SETS 512
#define XK_DNS_TICK_NS 250000000ULL

struct xk_dns_key {
	xk_addr_t client;
	xk_addr_t server;
	xk_be16_t cport;
	xk_be16_t sport;
	__u16 id;
	xk_proto8_t proto;
	__u8 family;
} __attribute__((aligned(8)));

struct xk_dns_slot {
	struct xk_dns_key key;
	xk_ts_ns_t since;             /* the query's time; 0 free, 1 being written */
	xk_dir8_t dir;                /* the query's direction */
	__u8 _pad[7];
};

struct xk_dns_set {
	struct xk_dns_slot way[XK_DNS_WAYS];
};

/*
 * Ring buffer "dns_events": one event per message while a reader runs.
 */
struct xk_dns {
	xk_ts_ns_t ts;                /* bpf_ktime_get_ns() when the hook ran */
	xk_addr_t src;
	xk_addr_t dst;
	xk_be16_t sport;
	xk_be16_t dport;
	xk_proto8_t proto;            /* udp or tcp */
	__u8 family;
	xk_dir8_t dir;
	xk_qr8_t qr;
	__u16 id;
	xk_opcode8_t opcode;
	xk_rcode8_t rcode;
	xk_dnsflags16_t flags;
	xk_qtype16_t qtype;            /* of the first question */
	xk_qclass16_t qclass;
	__u16 qdcount;
	__u16 ancount;
	__u16 nscount;
	__u16 arcount;
	xk_dnsstatus8_t status;       /* ok, or why it is malformed */
	__u8 _pad;
	__u32 len;                    /* the DNS message's length */
	xk_maybe_t latency_us;        /* a response matched to its query */
	__u32 _pad2;
	xk_dname_t qname;             /* the first question's name (ok only) */
};

#endif /* XDPKIT_H */
