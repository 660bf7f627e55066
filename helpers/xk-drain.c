// SPDX-License-Identifier: GPL-2.0
/*
 * xk-drain - read the events of a pinned BPF ring buffer, as JSON lines, or
 * as frames into a pcapng (or pcap) file.
 *
 * usage: xk-drain --type NAME [--iface NAME | --cgroup PATH] [--prog PIN] [--stats PIN]
 *                 [--keepalive PIN] [--count N] [--duration SEC]
 *                 [--pcapng FILE | --pcap FILE] [--watch-fd FD]
 *                 [--label TEXT] [--owner PID] [--summary FILE]
 *                 [--snaplen N] [--quiet]
 *                 [--nats URL [--subject PREFIX] [--stream NAME] [--max-unacked BYTES]]
 *                 RINGBUF_PIN
 *        xk-drain --nats URL --stdin --type NAME [--iface NAME | --cgroup PATH] [...]
 *        xk-drain --nats URL --read [--stream NAME] [--subject FILTER] [--count N] [--follow]
 *        xk-drain --version | --help
 *
 * An event is struct xk_NAME (--type packet: struct xk_packet), found in the
 * BTF of a program that writes into the ring buffer (a ring buffer map has
 * no BTF of its own): --prog, else the programs pinned beside it, else any
 * loaded program that uses it. Each record is checked against the struct's
 * size and the record's length; a record too short is counted, not read.
 * Fields print by the rules of xk-dump (helpers/btfjson.c): one line
 * {"type":NAME,"iface":IFACE, the struct's fields} ("cgroup":PATH with
 * --cgroup, for events of a cgroup's connection tracker). A last member that is a
 * flexible array of xk_hex_t holds the bytes the record carries after the
 * struct (at most its member "caplen"), printed as hex.
 *
 * --pcapng FILE (or - for stdout) writes the frames instead: one interface
 * (--iface, nanosecond timestamps), an enhanced packet block per event with
 * the event's "payload" bytes, its "len" as the original length and its
 * "dir" as the inbound/outbound flag. --pcap FILE: classic pcap
 * (nanosecond), without the direction.
 *
 * --keepalive PIN: an array map of one entry whose member "deadline"
 * (CLOCK_MONOTONIC ns) the datapath stops capturing at. It is set to now + 3
 * s at start (after dropping what the ring buffer holds from before: an
 * earlier reader's leftovers) and every 0.5 s after (by a thread of its own, so a slow
 * consumer does not stop the capture: the ring buffer then fills, and the
 * events lost are counted), and to 0 at exit. Killed, the deadline passes
 * and the datapath stops within 3 s.
 *
 * --stats PIN: a per-CPU array whose value has a counter "lost" (and perhaps
 * "capped"): what the datapath could not write during this run is printed
 * at exit on stderr with the events delivered, as
 * "LABEL: N events, N lost (ring buffer full)[, N over the rate cap]".
 *
 * Stops at --count N events, after --duration SEC, on SIGINT, SIGTERM or
 * SIGHUP (the events already in the ring buffer are delivered first), and
 * when its output is closed (a pipe whose reader is gone: also noticed
 * without anything to write, within 0.1 s; --watch-fd FD watches FD for that
 * instead of stdout, for a caller that pipes stdout through a formatter).
 * --owner PID: stop too when process PID is gone (the command that runs
 * this one, killed). --summary FILE: the end line goes there, not to
 * stderr. --snaplen N: the snapshot length the file headers give. --label
 * TEXT starts the end line and every error message.
 * Output goes through a 1 MiB buffer, flushed whenever the ring buffer has
 * been drained. A closed output ends the run quietly: exit 0, no summary.
 *
 * --nats URL publishes each event's JSON line (without its newline) to NATS
 * JetStream instead of writing it, on the subject PREFIX.HOST.SCOPE.TYPE
 * (--subject PREFIX, default "xdpkit"; HOST the host name, SCOPE the
 * interface, the cgroup's last directory, or "host" without either; each
 * character outside [A-Za-z0-9_-] made '_'), into stream NAME (--stream;
 * default "XDPKIT" for the prefix "xdpkit", else the prefix in capitals
 * with '_' for '.': "fleet.a" goes to FLEET_A; made when missing, taking
 * PREFIX.>, file storage, a 2-minute duplicate window).
 * Each message has a Nats-Msg-Id (host, boot id, the run's start, a
 * sequence): a message resent after a timeout or a reconnect that the
 * server had already stored is dropped by it as a duplicate. At most
 * --max-unacked BYTES (default 16 MiB) wait for acknowledgements; an event
 * beyond that is dropped and counted. The end line adds what was
 * published, acknowledged (duplicates among them), resent and lost (over
 * the bound, refused, unacknowledged at the end, after waiting up to 10 s).
 * --stdin publishes the lines of stdin instead of a ring buffer (a
 * snapshot's), and exits 1 when one of them was not stored for certain.
 * helpers/natspub.c does the NATS part.
 *
 * --read prints the messages of the stream (--stream, default XDPKIT;
 * --subject FILTER, default xdpkit.>) from the first, one a line, and stops when none came for 2 s
 * (--follow: waits for more) or after --count N.
 *
 * Exit status: 0 done; 1 a map could not be read, or the output written,
 * or NATS could not be reached; 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btfjson.h"
#include "natspub.h"

#define PROG "xk-drain"
#ifndef XK_VERSION
#define XK_VERSION "unknown"
#endif
#define OUT_BUF (1u << 20)
#define POLL_MS 100
#define GRACE_NS 3000000000ULL
#define REFRESH_NS 500000000ULL
#define E_STOP 1000 /* the callback's "enough": --count reached */

enum fmt { FMT_JSON, FMT_PCAPNG, FMT_PCAP };

struct field {
	__u32 type, off, size;
	bool have;
};

struct drain {
	const char *type, *iface, *label;
	struct btf *btf;
	struct bj bj;
	struct bj_plan *plan; /* its fields, resolved once (btfjson.c) */
	__u32 tid;          /* struct xk_TYPE */
	__u32 tsize;
	struct field ts, dir, len, caplen;
	FILE *out;
	enum fmt fmt;
	__u32 snaplen;      /* for the file headers (0 in pcapng: none) */
	long long real_off; /* ns to add to CLOCK_MONOTONIC for wall time */
	unsigned long long count, delivered, short_records;
	bool closed;        /* the output's reader is gone */
	bool discard;       /* events of an earlier run: not ours */
	bool write_error;
	int werr;           /* its errno */
	char typefield[2200]; /* {"type":"NAME","iface":"IFACE" (or "cgroup":PATH) */
	size_t typefield_len;
	struct np *np;      /* --nats: events go there */
	FILE *mem;          /* ... each one printed here first */
	char *membuf;
	size_t memlen;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) { stop_signal = sig; }

/* Messages start with this: the program's name, or --label. */
static const char *msg_prefix = PROG;

static int fail(const char *what, const char *detail)
{
	fprintf(stderr, "%s: %s%s%s\n", msg_prefix, what, detail ? ": " : "", detail ? detail : "");
	return 1;
}

static int usage(const char *why)
{
	fprintf(stderr, "%s: %s (see --help)\n", PROG, why);
	return 2;
}

static unsigned long long mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (unsigned long long)t.tv_sec * 1000000000ULL + (unsigned long long)t.tv_nsec;
}

static bool parse_ull(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;

	if (!s || !*s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && !*end && *v <= max;
}

/* ----- BTF: the event type ----- */

/* The BTF of a program that uses map map_id: prog_pin, else the programs
 * pinned beside ring_pin, else every loaded program. NULL: none. */
static struct btf *event_btf(const char *ring_pin, const char *prog_pin, __u32 map_id)
{
	static const char *const beside[] = { "xdpkit_ingress", "xdpkit_egress", "xdpkit_tc_in",
						     "xdpkit_sockops" };
	const char *slash = strrchr(ring_pin, '/');
	size_t dlen = slash ? (size_t)(slash - ring_pin) + 1 : 0;
	__u32 id = 0, btf_id = 0;
	unsigned int i;
	int fd;

	if (prog_pin) {
		fd = bpf_obj_get(prog_pin);
		if (fd < 0)
			return NULL;
		btf_id = bj_prog_btf_using(fd, map_id);
		close(fd);
		return btf_id ? bj_load_btf(btf_id) : NULL;
	}
	for (i = 0; !btf_id && i < sizeof(beside) / sizeof(beside[0]); i++) {
		char path[PATH_MAX];

		if (dlen + strlen(beside[i]) + 1 > sizeof(path))
			break;
		memcpy(path, ring_pin, dlen);
		strcpy(path + dlen, beside[i]);
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		btf_id = bj_prog_btf_using(fd, map_id);
		close(fd);
	}
	while (!btf_id && bpf_prog_get_next_id(id, &id) == 0) {
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;
		btf_id = bj_prog_btf_using(fd, map_id);
		close(fd);
	}
	return btf_id ? bj_load_btf(btf_id) : NULL;
}

static void find_field(struct drain *d, const char *name, struct field *f)
{
	f->have = bj_member(&d->bj, d->tid, name, &f->type, &f->off, &f->size) == 0 &&
		  f->size <= 8 && f->off + f->size <= d->tsize;
}

static unsigned long long field_val(const struct drain *d, const struct field *f,
				    const void *rec)
{
	unsigned long long v = 0;

	if (f->have && bj_uint(&d->bj, f->type, (const char *)rec + f->off, &v))
		v = 0;
	return v;
}

/* ----- a map's member, by name, through the map's own BTF ----- */

struct mapfield {
	int fd;
	struct btf *btf;
	struct bj bj;
	__u32 vsize, vtype, nkeys;
	bool percpu;
	int ncpu;
	void *buf;
};

static int mapfield_open(struct mapfield *m, const char *pin)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(m, 0, sizeof(*m));
	memset(&info, 0, sizeof(info));
	m->fd = bpf_obj_get(pin);
	if (m->fd < 0)
		return fail(pin, strerror(errno));
	if (bpf_obj_get_info_by_fd(m->fd, &info, &len))
		return fail(pin, strerror(errno));
	if (info.key_size != 4 || !info.btf_id || !info.btf_value_type_id)
		return fail(pin, "not an array map with BTF");
	m->btf = bj_load_btf(info.btf_id);
	if (!m->btf || bj_init(&m->bj, m->btf, stderr))
		return fail(pin, "cannot read its BTF");
	m->vtype = info.btf_value_type_id;
	m->vsize = info.value_size;
	m->nkeys = info.max_entries;
	m->percpu = info.type == BPF_MAP_TYPE_PERCPU_ARRAY;
	m->ncpu = m->percpu ? libbpf_num_possible_cpus() : 1;
	if (m->ncpu < 1)
		return fail(pin, "cannot count the CPUs");
	m->buf = calloc((size_t)m->ncpu, ((size_t)m->vsize + 7) / 8 * 8);
	return m->buf ? 0 : fail(pin, "out of memory");
}

static void mapfield_close(struct mapfield *m)
{
	if (m->fd >= 0)
		close(m->fd);
	btf__free(m->btf);
	free(m->buf);
	memset(m, 0, sizeof(*m));
	m->fd = -1;
}

/* The sum of member `name` over every key and CPU; -1 when unreadable or
 * the value has no such member. */
static int mapfield_sum(struct mapfield *m, const char *name, unsigned long long *sum)
{
	__u32 type, off, size, k;
	size_t stride = ((size_t)m->vsize + 7) / 8 * 8;
	int c;

	*sum = 0;
	if (bj_member(&m->bj, m->vtype, name, &type, &off, &size) || off + size > m->vsize)
		return -1;
	for (k = 0; k < m->nkeys; k++) {
		if (bpf_map_lookup_elem(m->fd, &k, m->buf))
			return -1;
		for (c = 0; c < m->ncpu; c++) {
			unsigned long long v;

			if (bj_uint(&m->bj, type, (char *)m->buf + (size_t)c * stride + off, &v))
				return -1;
			*sum += v;
		}
	}
	return 0;
}

/* ----- keepalive ----- */

struct keepalive {
	struct mapfield m;
	__u32 off;
	pthread_t thread;
	bool running;
	volatile int stop;
};

static int deadline_set(struct keepalive *ka, unsigned long long v)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(ka->m.fd, &zero, ka->m.buf))
		return -1;
	memcpy((char *)ka->m.buf + ka->off, &v, sizeof(v));
	return bpf_map_update_elem(ka->m.fd, &zero, ka->m.buf, BPF_ANY);
}

static void *keepalive_loop(void *arg)
{
	struct keepalive *ka = arg;
	struct timespec t = { 0, (long)REFRESH_NS };

	while (!ka->stop) {
		nanosleep(&t, NULL);
		if (!ka->stop)
			deadline_set(ka, mono_ns() + GRACE_NS);
	}
	return NULL;
}

static int keepalive_start(struct keepalive *ka, const char *pin)
{
	__u32 type, size;

	if (mapfield_open(&ka->m, pin))
		return 1;
	if (ka->m.percpu ||
	    bj_member(&ka->m.bj, ka->m.vtype, "deadline", &type, &ka->off, &size) || size != 8 ||
	    ka->off + 8 > ka->m.vsize)
		return fail(pin, "no 8-byte member \"deadline\"");
	if (deadline_set(ka, mono_ns() + GRACE_NS))
		return fail(pin, strerror(errno));
	if (pthread_create(&ka->thread, NULL, keepalive_loop, ka))
		return fail("cannot start the keepalive thread", NULL);
	ka->running = true;
	return 0;
}

static void keepalive_end(struct keepalive *ka)
{
	if (ka->running) {
		ka->stop = 1;
		pthread_join(ka->thread, NULL);
		ka->running = false;
	}
	if (ka->m.fd >= 0 && ka->m.buf)
		deadline_set(ka, 0);
}

/* ----- output ----- */

static void put32(unsigned char *p, __u32 v) { memcpy(p, &v, 4); }

static void put16(unsigned char *p, __u16 v) { memcpy(p, &v, 2); }

/* Section header and interface description blocks (host byte order). */
static void pcapng_header(struct drain *d)
{
	unsigned char b[128];
	size_t n, nl = strlen(d->iface), pad = (4 - nl % 4) % 4;

	memset(b, 0, sizeof(b));
	put32(b, 0x0A0D0D0A);
	put32(b + 4, 28);
	put32(b + 8, 0x1A2B3C4D);
	put16(b + 12, 1);
	put16(b + 14, 0);
	memset(b + 16, 0xff, 8); /* section length: not given */
	put32(b + 24, 28);
	fwrite(b, 1, 28, d->out);

	/* IDB: linktype Ethernet, snaplen 0 (none), if_name, if_tsresol 9 */
	if (nl > 64)
		nl = 64, pad = 0;
	n = 16 + (4 + nl + pad) + (4 + 4) + 4 + 4;
	memset(b, 0, sizeof(b));
	put32(b, 1);
	put32(b + 4, (__u32)n);
	put16(b + 8, 1);
	put32(b + 12, d->snaplen);
	put16(b + 16, 2);
	put16(b + 18, (__u16)nl);
	memcpy(b + 20, d->iface, nl);
	put16(b + 20 + nl + pad, 9);
	put16(b + 22 + nl + pad, 1);
	b[24 + nl + pad] = 9; /* 10^-9 s */
	/* opt_endofopt: 4 zero bytes */
	put32(b + n - 4, (__u32)n);
	fwrite(b, 1, n, d->out);
}

static void pcap_header(struct drain *d)
{
	unsigned char b[24];

	put32(b, 0xa1b23c4d); /* nanosecond timestamps */
	put16(b + 4, 2);
	put16(b + 6, 4);
	put32(b + 8, 0);
	put32(b + 12, 0);
	put32(b + 16, d->snaplen ? d->snaplen : 262144);
	put32(b + 20, 1);
	fwrite(b, 1, sizeof(b), d->out);
}

static void frame_out(struct drain *d, const void *rec, const unsigned char *data, size_t caplen)
{
	unsigned long long t = field_val(d, &d->ts, rec) + (unsigned long long)d->real_off;
	__u32 orig = (__u32)field_val(d, &d->len, rec);
	unsigned char b[40];
	static const unsigned char zeros[4];
	size_t pad = (4 - caplen % 4) % 4;

	if (orig < caplen)
		orig = (__u32)caplen;
	if (d->fmt == FMT_PCAP) {
		put32(b, (__u32)(t / 1000000000ULL));
		put32(b + 4, (__u32)(t % 1000000000ULL));
		put32(b + 8, (__u32)caplen);
		put32(b + 12, orig);
		fwrite(b, 1, 16, d->out);
		fwrite(data, 1, caplen, d->out);
		return;
	}
	/* EPB: header 28 bytes, data, epb_flags option (8), end (4), length (4) */
	put32(b, 6);
	put32(b + 4, (__u32)(28 + caplen + pad + 8 + 4 + 4));
	put32(b + 8, 0);
	put32(b + 12, (__u32)(t >> 32));
	put32(b + 16, (__u32)t);
	put32(b + 20, (__u32)caplen);
	put32(b + 24, orig);
	fwrite(b, 1, 28, d->out);
	fwrite(data, 1, caplen, d->out);
	fwrite(zeros, 1, pad, d->out);
	put16(b, 2); /* epb_flags: direction in bits 0-1, 1 inbound, 2 outbound */
	put16(b + 2, 4);
	put32(b + 4, field_val(d, &d->dir, rec) == 1 ? 2 : 1);
	put32(b + 8, 0);
	put32(b + 12, (__u32)(28 + caplen + pad + 8 + 4 + 4));
	fwrite(b, 1, 16, d->out);
}

static int on_event(void *ctx, void *data, size_t size);

/*
 * XK_DRAIN_EXACT=1 (tests): each record is decoded from a copy of exactly
 * its size, so that valgrind sees a read past its end (in the ring buffer
 * it would land in the next record, or its header, unnoticed).
 */
static int on_event_exact(void *ctx, void *data, size_t size)
{
	void *copy = malloc(size ? size : 1);
	int ret;

	if (!copy)
		return fail("out of memory", NULL), -ENOMEM;
	memcpy(copy, data, size);
	ret = on_event(ctx, copy, size);
	free(copy);
	return ret;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct drain *d = ctx;
	size_t tail;

	if (d->discard)
		return 0;
	if (d->count && d->delivered >= d->count)
		return -E_STOP;
	if (size < d->tsize) {
		d->short_records++;
		return 0;
	}
	tail = size - d->tsize;
	if (d->caplen.have && field_val(d, &d->caplen, data) < tail)
		tail = field_val(d, &d->caplen, data);
	if (d->fmt == FMT_JSON) {
		FILE *o = d->np ? d->mem : d->out;

		if (d->np)
			rewind(o);
		d->bj.tail = (const char *)data + d->tsize;
		d->bj.tail_len = tail;
		fwrite(d->typefield, 1, d->typefield_len, o);
		if (d->plan ? bj_plan_print(&d->bj, d->plan, data)
			    : bj_fields(&d->bj, d->tid, data, d->type))
			return fail("cannot print an event of type", d->type), -EINVAL;
		if (d->np) {
			long n;

			fputc('}', o);
			if (fflush(o) || (n = ftell(o)) < 0)
				return fail("out of memory", NULL), -ENOMEM;
			np_publish(d->np, d->membuf, (size_t)n); /* a drop is counted */
		} else {
			fputs("}\n", o);
		}
	} else {
		frame_out(d, data, (const unsigned char *)data + d->tsize, tail);
	}
	d->delivered++;
	return d->count && d->delivered >= d->count ? -E_STOP : 0;
}

/* Has the reader of fd gone (a pipe or socket with nobody to read)? */
static bool reader_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

/* Flush; a pipe whose reader has gone ends the run quietly. */
static void flush(struct drain *d)
{
	if (fflush(d->out) == 0)
		return;
	if (errno == EPIPE) {
		d->closed = true;
	} else if (!d->write_error) {
		d->write_error = true;
		d->werr = errno;
	}
}

/* The subject's SCOPE token: the interface, a cgroup's last directory
 * ("root" for the hierarchy's root), or "host". */
static const char *nats_scope(const char *where, const char *scope)
{
	const char *slash;

	if (!*where)
		return "host";
	if (strcmp(scope, "cgroup"))
		return where;
	slash = strrchr(where, '/');
	return slash && slash[1] ? slash + 1 : slash ? "root" : where;
}

static void help(void)
{
	fputs("usage: xk-drain --type NAME [--iface NAME | --cgroup PATH] [--prog PIN] [--stats PIN]\n"
	      "                [--keepalive PIN] [--count N] [--duration SEC]\n"
	      "                [--pcapng FILE | --pcap FILE] [--watch-fd FD]\n"
	      "                [--label TEXT] [--owner PID] [--summary FILE]\n"
	      "                [--snaplen N] [--quiet]\n"
	      "                [--nats URL [--subject PREFIX] [--stream NAME] [--max-unacked BYTES]]\n"
	      "                RINGBUF_PIN\n"
	      "       xk-drain --nats URL --stdin --type NAME [--iface NAME | --cgroup PATH] [...]\n"
	      "       xk-drain --nats URL --read [--stream NAME] [--subject FILTER] [--count N] [--follow]\n"
	      "Events of a pinned BPF ring buffer as JSON lines (struct xk_NAME, from\n"
	      "the BTF of a program that writes them), or frames into pcapng or pcap.\n"
	      "The comment at the top of helpers/xk-drain.c says everything; exit 0\n"
	      "done, 1 a map or the output failed, 2 usage.\n", stdout);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "iface", required_argument, NULL, 'i' },
		{ "cgroup", required_argument, NULL, 'g' },
		{ "prog", required_argument, NULL, 'P' },
		{ "stats", required_argument, NULL, 's' },
		{ "keepalive", required_argument, NULL, 'k' },
		{ "count", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "pcapng", required_argument, NULL, 'n' },
		{ "pcap", required_argument, NULL, 'p' },
		{ "watch-fd", required_argument, NULL, 'w' },
		{ "label", required_argument, NULL, 'l' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "owner", required_argument, NULL, 'o' },
		{ "summary", required_argument, NULL, 'S' },
		{ "snaplen", required_argument, NULL, 'L' },
		{ "nats", required_argument, NULL, 'N' },
		{ "subject", required_argument, NULL, 'J' },
		{ "stream", required_argument, NULL, 'R' },
		{ "max-unacked", required_argument, NULL, 'M' },
		{ "stdin", no_argument, NULL, 'I' },
		{ "read", no_argument, NULL, 'D' },
		{ "follow", no_argument, NULL, 'F' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct drain d;
	struct keepalive ka;
	struct mapfield stats;
	struct bpf_map_info info;
	struct ring_buffer *rb = NULL;
	struct sigaction sa;
	const char *prog_pin = NULL, *stats_pin = NULL, *ka_pin = NULL, *file = NULL;
	unsigned long long duration = 0, lost0 = 0, lost1 = 0, capped0 = 0, capped1 = 0, end = 0, v;
	bool quiet = false, have_lost = false, have_capped = false;
	char name[128], *obuf = NULL;
	__u32 len = sizeof(info);
	int opt, fd = -1, watch = STDOUT_FILENO, status = 0, err;
	pid_t owner = 0;
	__u32 snaplen = 0;
	const char *scope = "iface"; /* the member that names where events come from */
	const char *summary = NULL;
	FILE *sf = stderr;
	struct timespec mono, real;
	const char *nats = NULL, *subject = NULL, *stream = NULL;
	char stream_name[140];
	unsigned long long max_unacked = 16ULL << 20;
	bool from_stdin = false, nats_read = false, follow = false;
	struct np_stats ns;

	memset(&d, 0, sizeof(d));
	memset(&ka, 0, sizeof(ka));
	memset(&stats, 0, sizeof(stats));
	ka.m.fd = -1;
	stats.fd = -1;
	d.iface = "";
	d.label = PROG;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 't': d.type = optarg; break;
		case 'i': d.iface = optarg; break;
		case 'g': d.iface = optarg, scope = "cgroup"; break;
		case 'P': prog_pin = optarg; break;
		case 's': stats_pin = optarg; break;
		case 'k': ka_pin = optarg; break;
		case 'c':
			if (!parse_ull(optarg, ULLONG_MAX, &d.count) || !d.count)
				return usage("--count: a number from 1");
			break;
		case 'd':
			if (!parse_ull(optarg, 315360000, &duration) || !duration)
				return usage("--duration: whole seconds from 1");
			break;
		case 'n': d.fmt = FMT_PCAPNG, file = optarg; break;
		case 'p': d.fmt = FMT_PCAP, file = optarg; break;
		case 'w':
			if (!parse_ull(optarg, INT_MAX, &v))
				return usage("--watch-fd: a file descriptor");
			watch = (int)v;
			break;
		case 'l': d.label = msg_prefix = optarg; break;
		case 'S': summary = optarg; break;
		case 'L':
			if (!parse_ull(optarg, 262144, &v))
				return usage("--snaplen: bytes, at most 262144");
			snaplen = (__u32)v;
			break;
		case 'o':
			if (!parse_ull(optarg, INT_MAX, &v) || !v)
				return usage("--owner: a process id");
			owner = (pid_t)v;
			break;
		case 'q': quiet = true; break;
		case 'N': nats = optarg; break;
		case 'J': subject = optarg; break;
		case 'R': stream = optarg; break;
		case 'M':
			if (!parse_ull(optarg, 1ULL << 30, &max_unacked) || max_unacked < 4096)
				return usage("--max-unacked: bytes, from 4096 to 1 GiB");
			break;
		case 'I': from_stdin = true; break;
		case 'D': nats_read = true; break;
		case 'F': follow = true; break;
		case 'V': printf("%s %s\n", PROG, XK_VERSION); return 0;
		case 'h': help(); return 0;
		default: return usage("unknown option");
		}
	}
	if ((from_stdin || nats_read || subject || follow) && !nats)
		return usage("--stdin, --read, --subject, --follow: with --nats URL");
	if (nats && (!*nats || strlen(nats) > 1024 || strspn(nats, "\t\n\r ,") != 0))
		return usage("--nats: a URL such as nats://127.0.0.1:4222");
	if (nats && strncmp(nats, "nats://", 7) && strncmp(nats, "tls://", 6))
		return usage("--nats: a URL nats://HOST:PORT (or tls://)");
	if (!stream && subject && !nats_read) {
		/* a prefix of its own: a stream of its own (checked below) */
		size_t i;

		for (i = 0; subject[i] && i + 1 < sizeof(stream_name); i++)
			stream_name[i] = subject[i] == '.' ? '_' :
					 subject[i] >= 'a' && subject[i] <= 'z' ? (char)(subject[i] - 'a' + 'A') : subject[i];
		stream_name[i] = 0;
		stream = stream_name;
	}
	if (!stream)
		stream = "XDPKIT";
	if (!*stream || strlen(stream) > 128 || strspn(stream, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(stream))
		return usage("--stream: a name of [A-Za-z0-9_-], at most 128");
	if (nats_read) {
		if (optind != argc)
			return usage("--read takes no ring buffer");
		if (subject && (!*subject || strlen(subject) > 255 || strpbrk(subject, " \t\r\n")))
			return usage("--subject: a subject filter without spaces");
		return np_read(nats, stream, subject ? subject : "xdpkit.>", d.count, follow ? 0 : 2000,
			       d.label) ? 1 : 0;
	}
	if (subject && (!*subject || strlen(subject) > 128 ||
			strspn(subject, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.") != strlen(subject) ||
			subject[0] == '.' || subject[strlen(subject) - 1] == '.' || strstr(subject, "..")))
		return usage("--subject: a prefix of tokens of [A-Za-z0-9_-] joined by dots");
	if (nats && d.fmt != FMT_JSON)
		return usage("--nats publishes JSON lines: not with --pcapng or --pcap");
	if (from_stdin) {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;

		if (optind != argc)
			return usage("--stdin takes no ring buffer");
		if (!d.type || !*d.type || strlen(d.type) > 60)
			return usage("--type: what the lines are (the subject's last token)");
		if (np_open(&d.np, nats, subject ? subject : "xdpkit", stream, nats_scope(d.iface, scope),
			    d.type, (size_t)max_unacked, d.label))
			return 1;
		while ((n = getline(&line, &cap, stdin)) > 0) {
			while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
				n--;
			if (n > 0) {
				np_publish(d.np, line, (size_t)n);
				np_tick(d.np);
			}
		}
		free(line);
		np_close(d.np, 10000, &ns);
		if (!quiet)
			fprintf(stderr, "%s: %llu published, %llu acknowledged (%llu duplicates), %llu resent, "
				"%llu lost (%llu over the bound, %llu refused, %llu unacknowledged)\n",
				d.label, ns.published, ns.acked, ns.duplicates, ns.resent,
				ns.over + ns.failed + ns.unacked, ns.over, ns.failed, ns.unacked);
		/* a line not stored for certain is a failure here (a snapshot) */
		return ns.over + ns.failed + ns.unacked ? 1 : 0;
	}
	if (optind != argc - 1)
		return usage("one ring buffer pin expected");
	if (!d.type || !*d.type || strlen(d.type) > 60 || strspn(d.type, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(d.type))
		return usage("--type: the event's name (struct xk_NAME), lower case");
	if (strlen(d.iface) > (strcmp(scope, "iface") ? 1024 : 64))
		return usage("--iface: too long");

	fd = bpf_obj_get(argv[optind]);
	memset(&info, 0, sizeof(info));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return fail(argv[optind], strerror(errno));
	if (info.type != BPF_MAP_TYPE_RINGBUF)
		return fail(argv[optind], "not a ring buffer");
	d.btf = event_btf(argv[optind], prog_pin, info.id);
	if (!d.btf)
		return fail(argv[optind], "no program using it, with BTF, to take the event type from");
	snprintf(name, sizeof(name), "xk_%s", d.type);
	err = btf__find_by_name_kind(d.btf, name, BTF_KIND_STRUCT);
	if (err <= 0)
		return fail(name, "no such struct in the program's BTF");
	d.tid = (__u32)err;
	d.tsize = btf__type_by_id(d.btf, d.tid)->size;
	if (bj_init(&d.bj, d.btf, stdout))
		return fail("clock_gettime", strerror(errno));
	find_field(&d, "ts", &d.ts);
	find_field(&d, "dir", &d.dir);
	find_field(&d, "len", &d.len);
	find_field(&d, "caplen", &d.caplen);
	if (d.fmt != FMT_JSON && !(d.ts.have && d.len.have))
		return fail(name, "no members ts and len: cannot make frames of it");
	if (clock_gettime(CLOCK_MONOTONIC, &mono) || clock_gettime(CLOCK_REALTIME, &real))
		return fail("clock_gettime", strerror(errno));
	d.real_off = (long long)(real.tv_sec - mono.tv_sec) * 1000000000LL +
		     (real.tv_nsec - mono.tv_nsec);
	d.typefield_len = (size_t)snprintf(d.typefield, sizeof(d.typefield),
					   "{\"type\":\"%s\",\"%s\":", d.type, scope);
	{
		/* the interface name as a JSON string, escaped by the shared rule */
		char *s = NULL;
		size_t n = 0;
		FILE *m = open_memstream(&s, &n);

		if (!m)
			return fail("out of memory", NULL);
		bj_string(m, d.iface, strlen(d.iface));
		fclose(m);
		if (!s || d.typefield_len + n >= sizeof(d.typefield)) {
			free(s);
			return usage("--iface: too long");
		}
		memcpy(d.typefield + d.typefield_len, s, n);
		d.typefield_len += n;
		free(s);
	}

	/* a stream of our own, on a copy of stdout: closed, with its buffer,
	 * at the end (and dropped unwritten when its reader has gone) */
	if (file && strcmp(file, "-") != 0) {
		d.out = fopen(file, "wb");
		if (!d.out)
			return fail(file, strerror(errno));
	} else {
		int o = dup(STDOUT_FILENO);

		d.out = o < 0 ? NULL : fdopen(o, "wb");
		if (!d.out)
			return fail("stdout", strerror(errno));
	}
	d.bj.out = d.out;
	if (nats) {
		d.mem = open_memstream(&d.membuf, &d.memlen);
		if (!d.mem)
			return fail("out of memory", NULL);
		d.bj.out = d.mem;
		if (np_open(&d.np, nats, subject ? subject : "xdpkit", stream, nats_scope(d.iface, scope),
			    d.type, (size_t)max_unacked, d.label)) {
			fclose(d.mem);
			free(d.membuf);
			return 1;
		}
	}
	d.plan = bj_plan_new(&d.bj, d.tid);
	obuf = malloc(OUT_BUF);
	if (!obuf || setvbuf(d.out, obuf, _IOFBF, OUT_BUF))
		return fail("out of memory", NULL);
	__fsetlocking(d.out, FSETLOCKING_BYCALLER);
	d.snaplen = snaplen;
	if (d.fmt == FMT_PCAPNG)
		pcapng_header(&d);
	else if (d.fmt == FMT_PCAP)
		pcap_header(&d);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a signal ends the poll */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (stats_pin) {
		if (mapfield_open(&stats, stats_pin)) {
			status = 1;
			goto out;
		}
		have_lost = mapfield_sum(&stats, "lost", &lost0) == 0;
		have_capped = mapfield_sum(&stats, "capped", &capped0) == 0;
		if (!have_lost) {
			status = fail(stats_pin, "no counter \"lost\" readable");
			goto out;
		}
	}
	rb = ring_buffer__new(fd, getenv("XK_DRAIN_EXACT") ? on_event_exact : on_event, &d, NULL);
	if (!rb) {
		status = fail("cannot map the ring buffer", strerror(errno));
		goto out;
	}
	/* what an earlier reader left unread (past its --count) is not ours:
	 * a reader that arms the capture starts from an empty ring */
	if (ka_pin) {
		d.discard = true;
		ring_buffer__consume(rb);
		d.discard = false;
	}
	if (ka_pin && keepalive_start(&ka, ka_pin)) {
		status = 1;
		goto out;
	}
	if (duration)
		end = mono_ns() + duration * 1000000000ULL;

	while (!stop_signal && !d.closed && !d.write_error) {
		/* the datapath wakes the reader only once 64 KiB wait: the rest
		 * is read when the poll times out */
		err = ring_buffer__poll(rb, POLL_MS);
		if (err >= 0)
			err = ring_buffer__consume(rb);
		if (err == -E_STOP)
			break;
		if (err < 0 && err != -EINTR) {
			status = fail("reading the ring buffer", strerror(-err));
			break;
		}
		flush(&d);
		if (d.np)
			np_tick(d.np);
		if (end && mono_ns() >= end)
			break;
		if (watch >= 0 && reader_gone(watch))
			d.closed = true;
		if (owner && kill(owner, 0) && errno == ESRCH)
			break;
	}
	/* stop the datapath, then deliver what it wrote before */
	keepalive_end(&ka);
	if (!d.closed && !d.write_error && !status && !(d.count && d.delivered >= d.count)) {
		err = ring_buffer__consume(rb);
		if (err < 0 && err != -E_STOP)
			status = fail("reading the ring buffer", strerror(-err));
	}
	if (!d.closed)
		flush(&d);
	if (d.write_error && !d.closed)
		status = fail("writing the output", strerror(d.werr));
	if (stats.fd >= 0) {
		mapfield_sum(&stats, "lost", &lost1);
		if (have_capped)
			mapfield_sum(&stats, "capped", &capped1);
	}
	if (d.write_error)
		quiet = true; /* said above: nothing was delivered right */
	if (!d.closed && !quiet && summary && !(sf = fopen(summary, "w"))) {
		fail(summary, strerror(errno));
		sf = stderr;
	}
	if (!d.closed && !quiet) {
		fprintf(sf, "%s: %llu event%s", d.label, d.delivered, d.delivered == 1 ? "" : "s");
		if (have_lost)
			fprintf(sf, ", %llu lost (ring buffer full)", lost1 - lost0);
		if (have_capped && capped1 != capped0)
			fprintf(sf, ", %llu over the rate cap", capped1 - capped0);
		if (d.short_records)
			fprintf(sf, ", %llu records too short for struct %s", d.short_records, name);
		if (d.np) {
			np_close(d.np, 10000, &ns);
			d.np = NULL;
			fprintf(sf, "; NATS: %llu published, %llu acknowledged (%llu duplicates), %llu resent, "
				"%llu lost (%llu over the bound, %llu refused, %llu unacknowledged)",
				ns.published, ns.acked, ns.duplicates, ns.resent,
				ns.over + ns.failed + ns.unacked, ns.over, ns.failed, ns.unacked);
		}
		fputc('\n', sf);
		if (sf != stderr)
			fclose(sf);
	}
out:
	if (d.np)
		np_close(d.np, 10000, &ns);
	if (d.mem)
		fclose(d.mem);
	free(d.membuf);
	keepalive_end(&ka);
	mapfield_close(&ka.m);
	mapfield_close(&stats);
	ring_buffer__free(rb);
	if (d.closed || d.write_error)
		__fpurge(d.out);
	if (fclose(d.out) && !d.closed && !d.write_error && !status)
		status = fail(file ? file : "stdout", strerror(errno));
	free(obuf);
	bj_plan_free(d.plan);
	btf__free(d.btf);
	close(fd);
	return status;
}
