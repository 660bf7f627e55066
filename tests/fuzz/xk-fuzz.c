// SPDX-License-Identifier: GPL-2.0
/*
 * xk-fuzz - run frames through a pinned datapath with BPF_PROG_TEST_RUN and
 * check what its own counters say about them (the test and `make fuzz`).
 *
 * usage: xk-fuzz PINDIR HOOK --each PCAP
 *        xk-fuzz PINDIR HOOK --random N [--seed S] [--from PCAP]
 *        xk-fuzz --prog PIN N [--seed S]
 *        xk-fuzz --scramble PIN [--seed S]
 *
 * PINDIR is an interface's pin directory (xdp-attach IFACE count stats
 * capture dns made it); HOOK is xdp (xdpkit_ingress), tc_in (xdpkit_tc_in)
 * or egress (xdpkit_egress). The frames run against the maps the
 * attachment uses, so xdp-stats, xdp-capture and xdp-dns see them.
 *
 * --each: every frame of PCAP, one JSON line each: {"i":0,"len":..,
 *   "ret":2,"class":"ipv4 udp","dns":"queries","captured":1,"bad":""}:
 *   class and dns name the counters of "global" and "dns_stats" the frame
 *   moved (a name, or NAME*N when it moved by N), captured the frames
 *   capture selected (events + lost + capped); bad lists the invariants
 *   it broke (the return code is not a pass, packets is not 1, bytes is
 *   not its length, the size histogram did not move by one, the classes
 *   do not add up to the total).
 * --random N: N frames, random and mutated from PCAP's frames (seeds),
 *   up to 1,514 bytes; one JSON line at the end with the frames run, the
 *   time, frames a second and the same invariants over all of them
 *   ("bad":"" when they held). Every frame is 14 to 1,514 bytes.
 *
 * --prog PIN N: N random buffers of 14 to 512 bytes (half of them mostly
 *   zero, so that small enum values and lengths come up) through the
 *   program pinned at PIN, nothing checked (tests/fixtures/records.bpf.c
 *   writes each as a ring-buffer record, for the helper's decoder).
 *
 * --scramble PIN: every entry of the array or per-CPU array map pinned at
 *   PIN (at most 65,536) set to random bytes, on every CPU, half of the
 *   entries mostly zero (hostile values for xk-dump and the commands).
 *
 * The kernel refuses to run a tc program on an IPv4 or IPv6 frame shorter
 * than its IP header: those are "refused" (in --each, {"refused":errno}),
 * and any other refusal is an error ("refused_other", exit 1).
 *
 * Exit status: 0 every invariant held, 1 one broke, 2 usage, 3 a pin or
 * the file could not be used.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include "../../bpf/xdpkit.h"

#define MAXF 1514
#define MINF 14

struct frame {
	uint32_t len;
	unsigned char *data;
};

static struct frame *seeds;
static size_t nseeds;
static int ncpu;

static void die(int rc, const char *what)
{
	fprintf(stderr, "xk-fuzz: %s%s%s\n", what, errno ? ": " : "", errno ? strerror(errno) : "");
	exit(rc);
}

static void read_pcap(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint32_t h[6], r[4];
	size_t cap = 0;

	if (!f)
		die(3, path);
	if (fread(h, 4, 6, f) != 6 || h[0] != 0xa1b2c3d4 || h[5] != 1) {
		errno = 0;
		die(3, "not a little-endian Ethernet pcap");
	}
	while (fread(r, 4, 4, f) == 4) {
		if (r[2] > 65535 || r[2] != r[3]) {
			errno = 0;
			die(3, "a pcap record that is cut or too long");
		}
		if (nseeds == cap) {
			struct frame *n;

			cap = cap ? cap * 2 : 256;
			n = realloc(seeds, cap * sizeof(*seeds));
			if (!n)
				die(3, "realloc");
			seeds = n;
		}
		seeds[nseeds].len = r[2];
		seeds[nseeds].data = malloc(r[2] ? r[2] : 1);
		if (!seeds[nseeds].data)
			die(3, "malloc");
		if (fread(seeds[nseeds].data, 1, r[2], f) != r[2]) {
			errno = 0;
			die(3, "a pcap record that is cut");
		}
		nseeds++;
	}
	fclose(f);
}

static int pin(const char *dir, const char *name)
{
	char path[4096];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		die(3, dir);
	}
	fd = bpf_obj_get(path);
	if (fd < 0)
		die(3, path);
	return fd;
}

/* The sum over the CPUs of entry key of a per-CPU array of n __u64s. */
static void sum(int fd, __u32 key, __u64 *out, size_t n)
{
	__u64 *v = calloc((size_t)ncpu, n * sizeof(__u64));
	int c;
	size_t i;

	if (!v)
		die(3, "calloc");
	if (bpf_map_lookup_elem(fd, &key, v))
		die(3, "map lookup");
	memset(out, 0, n * sizeof(__u64));
	for (c = 0; c < ncpu; c++)
		for (i = 0; i < n; i++)
			out[i] += v[(size_t)c * n + i];
	free(v);
}

#define NG (sizeof(struct xk_global) / 8)
#define ND (sizeof(struct xk_dns_stats) / 8)
#define NC (sizeof(struct xk_capture_stats) / 8)

struct counts {
	struct xk_global g;
	struct xk_dns_stats d;
	struct xk_capture_stats c;
};

static int fd_global, fd_dns, fd_cap;
static __u32 dir;

static void read_counts(struct counts *k)
{
	sum(fd_global, dir, (__u64 *)&k->g, NG);
	sum(fd_dns, dir, (__u64 *)&k->d, ND);
	sum(fd_cap, dir, (__u64 *)&k->c, NC);
}

static __u64 sizes(const struct xk_global *g)
{
	const struct xk_sizes *s = &g->sizes;

	return s->le_64 + s->le_128 + s->le_256 + s->le_512 + s->le_1024 + s->le_1518 +
	       s->le_9000 + s->le_inf;
}

/* a - b, field by field. */
static void delta(struct counts *a, const struct counts *b)
{
	__u64 *x = (__u64 *)a;
	const __u64 *y = (const __u64 *)b;
	size_t i;

	for (i = 0; i < sizeof(*a) / 8; i++)
		x[i] -= y[i];
}

static void names(char *buf, size_t len, const char *const *name, const __u64 *v, size_t n)
{
	size_t i, at = 0;

	buf[0] = 0;
	for (i = 0; i < n && at < len; i++) {
		if (!v[i])
			continue;
		if (v[i] == 1)
			at += snprintf(buf + at, len - at, "%s%s", at ? " " : "", name[i]);
		else
			at += snprintf(buf + at, len - at, "%s%s*%llu", at ? " " : "", name[i],
				       (unsigned long long)v[i]);
	}
}

/* The invariants of d, the change that frames of bytes made. */
static void check(char *bad, size_t len, const struct counts *d, __u64 frames, __u64 bytes)
{
	const struct xk_global *g = &d->g;
	size_t at = 0;

	bad[0] = 0;
#define BAD(cond, what) \
	if ((cond) && at < len) at += snprintf(bad + at, len - at, "%s%s", at ? " " : "", what)
	BAD(g->packets != frames, "packets");
	BAD(g->bytes != bytes, "bytes");
	BAD(sizes(g) != frames, "sizes");
	BAD(g->ipv4 + g->ipv6 + g->non_ip + g->parse_errors != g->packets, "classes");
	BAD(g->tcp + g->udp + g->icmp + g->other != g->ipv4 + g->ipv6, "transports");
	BAD(g->fragments > g->ipv4 + g->ipv6, "fragments");
	BAD(d->d.queries + d->d.responses + d->d.malformed > frames, "dns");
	BAD(d->d.answered + d->d.unmatched != d->d.responses, "dns_matched");
	BAD(d->c.events + d->c.lost + d->c.capped > frames, "capture");
#undef BAD
}

static __u64 rng = 0x9e3779b97f4a7c15ULL;

static __u64 rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static const unsigned char interesting[] = {
	0x00, 0x01, 0x05, 0x06, 0x08, 0x11, 0x2c, 0x35, 0x3a, 0x3b, 0x3f, 0x40, 0x45, 0x46,
	0x4f, 0x50, 0x60, 0x7f, 0x80, 0x86, 0x88, 0xa8, 0xc0, 0xdd, 0xfe, 0xff,
};

/* One frame into buf: random, or a seed mutated; returns its length. */
static uint32_t make(unsigned char *buf)
{
	const struct frame *s = nseeds ? &seeds[rnd() % nseeds] : NULL;
	uint32_t len, i, n;
	unsigned int how = rnd() % 8;

	if (!s || how == 0) {
		len = MINF + rnd() % (rnd() % 4 ? 200 : MAXF - MINF + 1);
		for (i = 0; i < len; i++)
			buf[i] = rnd();
		if (rnd() % 2) { /* an IP EtherType, so the parser gets further */
			buf[12] = rnd() % 2 ? 0x08 : 0x86;
			buf[13] = buf[12] == 0x08 ? 0x00 : 0xdd;
		}
		return len;
	}
	len = s->len > MAXF ? MAXF : s->len;
	memcpy(buf, s->data, len);
	switch (how) {
	case 1: /* bytes flipped */
		for (n = 1 + rnd() % 8; n; n--)
			buf[rnd() % len] ^= 1u << (rnd() % 8);
		break;
	case 2: /* cut */
		if (len > MINF)
			len = MINF + rnd() % (len - MINF);
		break;
	case 3: { /* a 16-bit field in the headers set to a boundary */
		static const uint16_t v[] = { 0, 1, 7, 8, 12, 20, 40, 0x7fff, 0x8000, 0xffff };
		uint32_t at = rnd() % (len < 96 ? len - 1 : 95);
		uint16_t x = rnd() % 3 ? v[rnd() % (sizeof(v) / sizeof(v[0]))] :
			     (uint16_t)(len - at + (int)(rnd() % 9) - 4);

		buf[at] = x >> 8;
		buf[at + 1] = x;
		break;
	}
	case 4: /* longer, random bytes after it */
		n = len + rnd() % (MAXF - len + 1);
		for (i = len; i < n; i++)
			buf[i] = rnd();
		len = n;
		break;
	case 5: { /* the start of one seed, the rest of another */
		const struct frame *t = &seeds[rnd() % nseeds];
		uint32_t cut = MINF + rnd() % (len - MINF + 1);

		if (t->len > cut) {
			n = t->len > MAXF ? MAXF : t->len;
			memcpy(buf + cut, t->data + cut, n - cut);
			len = n;
		} else {
			len = cut;
		}
		break;
	}
	default: /* bytes set to values parsers care about */
		for (n = 1 + rnd() % 4; n; n--)
			buf[rnd() % len] = interesting[rnd() % sizeof(interesting)];
		break;
	}
	return len;
}

/*
 * Does the kernel refuse to run this frame? BPF_PROG_TEST_RUN of a tc
 * program wants the IP header of an IPv4 or IPv6 frame whole (EINVAL);
 * such frames are run over a veth instead (tests/robust.bats). Nothing
 * else may be refused.
 */
static int refusal_expected(int tc, const unsigned char *f, uint32_t len)
{
	unsigned int et = len >= MINF ? (unsigned int)f[12] << 8 | f[13] : 0;

	if (len < MINF)
		return 1;
	return tc && ((et == 0x0800 && len < MINF + 20) || (et == 0x86dd && len < MINF + 40));
}

static int run(int prog, unsigned char *buf, uint32_t len, __u32 *ret)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = buf, .data_size_in = len, .repeat = 1);
	int err = bpf_prog_test_run_opts(prog, &o);

	*ret = o.retval;
	return err;
}

static void usage(int rc)
{
	fputs("usage: xk-fuzz PINDIR xdp|tc_in|egress --each PCAP\n"
	      "       xk-fuzz PINDIR xdp|tc_in|egress --random N [--seed S] [--from PCAP]\n"
	      "       xk-fuzz --prog PIN N [--seed S]\n"
	      "       xk-fuzz --scramble PIN [--seed S]\n",
	      rc ? stderr : stdout);
	exit(rc);
}

/* xk-fuzz --prog PIN N [--seed S] */
static int records(int argc, char **argv)
{
	static unsigned char buf[512];
	unsigned long long n, k, ran = 0;
	char *end;
	int prog;
	__u32 ret;

	errno = 0;
	n = strtoull(argv[3], &end, 10);
	if (errno || *end || argv[3][0] == '-' || !n)
		usage(2);
	if (argc == 6 && !strcmp(argv[4], "--seed"))
		rng = strtoull(argv[5], NULL, 10) | 1;
	else if (argc != 4)
		usage(2);
	prog = bpf_obj_get(argv[2]);
	if (prog < 0)
		die(3, argv[2]);
	for (k = 0; k < n; k++) {
		uint32_t len = MINF + rnd() % (sizeof(buf) - MINF + 1), i;

		if (k % 2) {
			memset(buf, 0, len);
			for (i = rnd() % 16; i; i--)
				buf[rnd() % len] = rnd() % 3 ? rnd() % 8 : rnd();
		} else {
			for (i = 0; i < len; i++)
				buf[i] = rnd();
		}
		if (run(prog, buf, len, &ret) == 0)
			ran++;
	}
	printf("{\"records\":%llu}\n", ran);
	return ran == n ? 0 : 1;
}

/* xk-fuzz --scramble PIN [--seed S] */
static int scramble(int argc, char **argv)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), k, i;
	unsigned char *v;
	size_t per, all;
	int fd;

	if (argc == 5 && !strcmp(argv[3], "--seed"))
		rng = strtoull(argv[4], NULL, 10) | 1;
	else if (argc != 3)
		usage(2);
	fd = bpf_obj_get(argv[2]);
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		die(3, argv[2]);
	if (info.type != BPF_MAP_TYPE_ARRAY && info.type != BPF_MAP_TYPE_PERCPU_ARRAY) {
		errno = 0;
		die(3, "not an array map");
	}
	per = info.type == BPF_MAP_TYPE_PERCPU_ARRAY ? ((size_t)info.value_size + 7) / 8 * 8 : info.value_size;
	all = per * (info.type == BPF_MAP_TYPE_PERCPU_ARRAY ? (size_t)ncpu : 1);
	v = malloc(all);
	if (!v)
		die(3, "malloc");
	for (k = 0; k < info.max_entries && k < 65536; k++) {
		if (k % 2) {
			memset(v, 0, all);
			for (i = rnd() % 32; i; i--)
				v[rnd() % all] = rnd();
		} else {
			for (i = 0; i < all; i++)
				v[i] = rnd();
		}
		if (bpf_map_update_elem(fd, &k, v, BPF_ANY)) {
			free(v);
			die(3, "map update");
		}
	}
	free(v);
	printf("{\"entries\":%u}\n", k);
	return 0;
}

static const char *const gname[] = { "packets", "bytes", "ipv4", "ipv6", "non_ip", "tcp",
				     "udp", "icmp", "other", "fragments", "parse_errors" };
static const char *const dname[] = { "queries", "responses", "malformed" };

int main(int argc, char **argv)
{
	const char *prog_name, *each = NULL, *from = NULL;
	unsigned long long n = 0;
	__u32 pass, ret;
	int prog, i;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		usage(0);
	if (argc >= 4 && !strcmp(argv[1], "--prog"))
		return records(argc, argv);
	if (argc >= 3 && !strcmp(argv[1], "--scramble")) {
		ncpu = libbpf_num_possible_cpus();
		if (ncpu <= 0)
			die(3, "possible CPUs");
		return scramble(argc, argv);
	}
	if (argc < 5)
		usage(2);
	if (!strcmp(argv[2], "xdp")) {
		prog_name = "xdpkit_ingress", dir = XK_DIR_INGRESS, pass = XDP_PASS;
	} else if (!strcmp(argv[2], "tc_in")) {
		prog_name = "xdpkit_tc_in", dir = XK_DIR_INGRESS, pass = (__u32)TC_ACT_UNSPEC;
	} else if (!strcmp(argv[2], "egress")) {
		prog_name = "xdpkit_egress", dir = XK_DIR_EGRESS, pass = (__u32)TC_ACT_UNSPEC;
	} else {
		usage(2);
	}
	for (i = 3; i < argc; i++) {
		char *end;

		if (i + 1 >= argc)
			usage(2);
		if (!strcmp(argv[i], "--each")) {
			each = argv[++i];
		} else if (!strcmp(argv[i], "--from")) {
			from = argv[++i];
		} else if (!strcmp(argv[i], "--random") || !strcmp(argv[i], "--seed")) {
			unsigned long long v;

			errno = 0;
			v = strtoull(argv[i + 1], &end, 10);
			if (errno || *end || end == argv[i + 1] || argv[i + 1][0] == '-')
				usage(2);
			if (!strcmp(argv[i], "--random"))
				n = v;
			else
				rng = v ? v : 1;
			i++;
		} else {
			usage(2);
		}
	}
	if (!each == !n)
		usage(2);
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		die(3, "possible CPUs");
	prog = pin(argv[1], prog_name);
	fd_global = pin(argv[1], "global");
	fd_dns = pin(argv[1], "dns_stats");
	fd_cap = pin(argv[1], "capture_stats");

	if (each) {
		size_t k;
		int rc = 0;

		read_pcap(each);
		for (k = 0; k < nseeds; k++) {
			struct counts a, b;
			char cls[256], dn[128], bad[256];

			read_counts(&a);
			if (run(prog, seeds[k].data, seeds[k].len, &ret)) {
				int e = errno;

				if (!refusal_expected(pass != XDP_PASS, seeds[k].data, seeds[k].len))
					rc = 1;
				printf("{\"i\":%zu,\"len\":%u,\"refused\":%d,\"bad\":\"%s\"}\n", k,
				       seeds[k].len, e,
				       refusal_expected(pass != XDP_PASS, seeds[k].data, seeds[k].len) ?
					       "" : "refused");
				continue;
			}
			read_counts(&b);
			delta(&b, &a);
			names(cls, sizeof(cls), gname + 2, &b.g.ipv4, 9);
			names(dn, sizeof(dn), dname, &b.d.queries, 3);
			check(bad, sizeof(bad), &b, 1, seeds[k].len);
			if (ret != pass)
				snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%sret", *bad ? " " : "");
			if (*bad)
				rc = 1;
			printf("{\"i\":%zu,\"len\":%u,\"ret\":%d,\"class\":\"%s\",\"dns\":\"%s\","
			       "\"captured\":%llu,\"bad\":\"%s\"}\n",
			       k, seeds[k].len, (int)ret, cls, dn,
			       (unsigned long long)(b.c.events + b.c.lost + b.c.capped), bad);
		}
		return rc;
	} else {
		static unsigned char buf[MAXF];
		unsigned long long k, refused = 0, other = 0, notpass = 0, bytes = 0;
		struct counts a, b;
		struct timespec t0, t1;
		char bad[256];
		double secs;

		if (from)
			read_pcap(from);
		read_counts(&a);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (k = 0; k < n; k++) {
			uint32_t len = make(buf);

			if (run(prog, buf, len, &ret)) {
				refused++;
				if (!refusal_expected(pass != XDP_PASS, buf, len))
					other++;
				continue;
			}
			bytes += len;
			if (ret != pass)
				notpass++;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		read_counts(&b);
		delta(&b, &a);
		check(bad, sizeof(bad), &b, n - refused, bytes);
		if (notpass)
			snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%sret", *bad ? " " : "");
		secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
		printf("{\"hook\":\"%s\",\"frames\":%llu,\"refused\":%llu,\"refused_other\":%llu,"
		       "\"not_pass\":%llu,"
		       "\"seconds\":%.3f,\"fps\":%.0f,\"packets\":%llu,\"ipv4\":%llu,\"ipv6\":%llu,"
		       "\"non_ip\":%llu,\"parse_errors\":%llu,\"fragments\":%llu,\"dns\":%llu,"
		       "\"dns_malformed\":%llu,\"captured\":%llu,\"bad\":\"%s\"}\n",
		       argv[2], n, refused, other, notpass, secs, secs > 0 ? n / secs : 0.0,
		       (unsigned long long)b.g.packets, (unsigned long long)b.g.ipv4,
		       (unsigned long long)b.g.ipv6, (unsigned long long)b.g.non_ip,
		       (unsigned long long)b.g.parse_errors, (unsigned long long)b.g.fragments,
		       (unsigned long long)(b.d.queries + b.d.responses),
		       (unsigned long long)b.d.malformed,
		       (unsigned long long)(b.c.events + b.c.lost + b.c.capped), bad);
		return *bad || other ? 1 : 0;
	}
}
